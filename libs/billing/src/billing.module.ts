import { Module } from '@nestjs/common';
import { CatalogModule } from '@gw/catalog';
import { BillingPolicy } from './billing-policy';
import { CreditStore } from './credit-store';
import { LedgerService } from './ledger.service';

@Module({
  imports: [CatalogModule],
  providers: [LedgerService, CreditStore, BillingPolicy],
  exports: [LedgerService, CreditStore, BillingPolicy],
})
export class BillingModule {}
