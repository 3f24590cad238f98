export * from './byok.module';
export * from './provider-keys.service';
export * from './vault-audit.service';
export * from './vault.service';
