import { type DynamicModule, Module } from '@nestjs/common';
import { AccountsModule } from '@gw/accounts';
import { type Config, ConfigModule } from '@gw/config';
import { DbModule } from '@gw/db';
import { RedisModule } from '@gw/queue';
import { AuthController } from './auth/auth.controller';
import { SessionGuard } from './auth/session.guard';
import { DashboardController } from './dashboard/dashboard.controller';
import { HealthController } from './health/health.controller';
import { KeysController } from './keys/keys.controller';
import { GatewayKeyGuard } from './v1/key.guard';
import { V1KeysController } from './v1/v1-keys.controller';

@Module({})
export class AppModule {
  static forRoot(config: Config): DynamicModule {
    return {
      module: AppModule,
      imports: [ConfigModule.forRoot(config), DbModule, RedisModule, AccountsModule],
      controllers: [HealthController, AuthController, KeysController, V1KeysController, DashboardController],
      providers: [SessionGuard, GatewayKeyGuard],
    };
  }
}
