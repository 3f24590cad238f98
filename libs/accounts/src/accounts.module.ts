import { type DynamicModule, Module, type ModuleMetadata, type Type } from '@nestjs/common';
import { CONFIG, type Config } from '@gw/config';
import { AccountsService } from './accounts.service';
import { VAULT_LIFECYCLE, type VaultLifecycle } from './accounts.tokens';
import { GatewayKeysService } from './gateway-keys.service';
import { KeyAuthService } from './key-auth.service';
import { KeyEvents } from './key-events';
import { KeyVerifier } from './key-verifier';
import { LastUsedRecorder } from './last-used-recorder';
import { LoginThrottle } from './login-throttle';

/** Key primitives the vault needs too; one instance per application. */
@Module({
  providers: [
    { provide: KeyVerifier, inject: [CONFIG], useFactory: (config: Config) => KeyVerifier.create(config.SERVER_PEPPER) },
    KeyEvents,
  ],
  exports: [KeyVerifier, KeyEvents],
})
export class KeysCoreModule {}

export interface AccountsModuleOptions {
  /** The module providing the vault, and the class that implements its lifecycle hooks. */
  vault?: { imports: NonNullable<ModuleMetadata['imports']>; lifecycle: Type<VaultLifecycle> };
}

@Module({})
export class AccountsModule {
  static forRoot(options: AccountsModuleOptions = {}): DynamicModule {
    return {
      module: AccountsModule,
      imports: [KeysCoreModule, ...(options.vault?.imports ?? [])],
      providers: [
        AccountsService,
        GatewayKeysService,
        KeyAuthService,
        LastUsedRecorder,
        LoginThrottle,
        ...(options.vault ? [{ provide: VAULT_LIFECYCLE, useExisting: options.vault.lifecycle }] : []),
      ],
      exports: [AccountsService, GatewayKeysService, KeyAuthService, KeysCoreModule],
    };
  }
}
