import { type DynamicModule, Module } from '@nestjs/common';
import { AccountsModule } from '@gw/accounts';
import { AdminModule } from '@gw/admin';
import { BillingModule } from '@gw/billing';
import { ByokModule, VaultService } from '@gw/byok';
import { GatewayModule } from '@gw/gateway';
import { type Config, ConfigModule } from '@gw/config';
import { DbModule } from '@gw/db';
import { RedisModule } from '@gw/queue';
import { AdminController } from './admin/admin.controller';
import { AliasesController } from './admin/aliases.controller';
import { AuthController } from './auth/auth.controller';
import { BillingController, V1CreditsController } from './billing/billing.controller';
import { UsageController } from './billing/usage.controller';
import { ChatController } from './v1/chat.controller';
import { SessionGuard } from './auth/session.guard';
import { DashboardController } from './dashboard/dashboard.controller';
import { HealthController } from './health/health.controller';
import { KeysController } from './keys/keys.controller';
import { GatewayKeyGuard } from './v1/key.guard';
import { V1KeysController } from './v1/v1-keys.controller';
import { ProviderKeysController, V1ProviderKeysController } from './vault/provider-keys.controller';
import { VaultController } from './vault/vault.controller';

@Module({})
export class AppModule {
  static forRoot(config: Config): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        DbModule,
        RedisModule,
        ByokModule,
        GatewayModule,
        AdminModule,
        BillingModule,
        AccountsModule.forRoot({ vault: { imports: [ByokModule], lifecycle: VaultService } }),
      ],
      controllers: [
        HealthController,
        AuthController,
        KeysController,
        V1KeysController,
        ProviderKeysController,
        V1ProviderKeysController,
        VaultController,
        ChatController,
        AliasesController,
        AdminController,
        BillingController,
        V1CreditsController,
        UsageController,
        DashboardController,
      ],
      providers: [SessionGuard, GatewayKeyGuard],
    };
  }
}
