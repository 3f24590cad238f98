import { Module } from '@nestjs/common';
import { KeysCoreModule } from '@gw/accounts';
import { ProviderKeysService } from './provider-keys.service';
import { VaultAuditService } from './vault-audit.service';
import { VaultService } from './vault.service';

@Module({
  imports: [KeysCoreModule],
  providers: [VaultService, VaultAuditService, ProviderKeysService],
  exports: [VaultService, VaultAuditService, ProviderKeysService],
})
export class ByokModule {}
