import { Module } from '@nestjs/common';
import { KeysCoreModule } from '@gw/accounts';
import { BillingModule } from '@gw/billing';
import { CatalogModule } from '@gw/catalog';
import { AdminService } from './admin.service';

@Module({ imports: [KeysCoreModule, CatalogModule, BillingModule], providers: [AdminService], exports: [AdminService] })
export class AdminModule {}
