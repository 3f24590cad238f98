import { Module } from '@nestjs/common';
import { CONFIG, type Config } from '@gw/config';
import { AccountsService } from './accounts.service';
import { GatewayKeysService } from './gateway-keys.service';
import { KeyAuthService } from './key-auth.service';
import { KeyEvents } from './key-events';
import { KeyVerifier } from './key-verifier';
import { LastUsedRecorder } from './last-used-recorder';
import { LoginThrottle } from './login-throttle';

@Module({
  providers: [
    { provide: KeyVerifier, inject: [CONFIG], useFactory: (config: Config) => KeyVerifier.create(config.SERVER_PEPPER) },
    AccountsService,
    GatewayKeysService,
    KeyAuthService,
    KeyEvents,
    LastUsedRecorder,
    LoginThrottle,
  ],
  exports: [AccountsService, GatewayKeysService, KeyAuthService, KeyEvents, KeyVerifier],
})
export class AccountsModule {}
