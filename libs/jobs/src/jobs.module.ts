import {
  Inject,
  Injectable,
  Module,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type DynamicModule,
} from '@nestjs/common';
import type { Logger } from 'pino';
import { AccountsModule, AccountsService } from '@gw/accounts';
import { BillingModule, CreditStore } from '@gw/billing';
import { CatalogModule, CatalogSync } from '@gw/catalog';
import { CONFIG, type Config, ConfigModule } from '@gw/config';
import { DbModule } from '@gw/db';
import { GenerationWriter } from '@gw/gateway';
import { JobRunner, RedisKeys, RedisModule } from '@gw/queue';

export const JOBS_LOGGER = Symbol('JOBS_LOGGER');

@Injectable()
class JobsLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly runner: JobRunner;

  constructor(
    @Inject(CONFIG) config: Config,
    @Inject(RedisKeys) keys: RedisKeys,
    @Inject(AccountsService) accounts: AccountsService,
    @Inject(CreditStore) private readonly credits: CreditStore,
    @Inject(CatalogSync) catalogSync: CatalogSync,
    @Inject(JOBS_LOGGER) private readonly logger: Logger,
  ) {
    this.runner = new JobRunner(
      config.REDIS_URL,
      keys.key('bull'),
      {
        'sessions.purge-expired': async () => {
          const purged = await accounts.purgeExpiredSessions();
          if (purged > 0) logger.info({ purged }, 'purged expired sessions');
        },
        'catalog.sync-openrouter': async () => {
          const result = await catalogSync.syncOpenRouter();
          if (result) logger.info(result, 'catalogue synced from OpenRouter');
        },
        'billing.expire-reservations': async () => {
          const released = await credits.expire();
          if (released > 0) logger.warn({ released }, 'released credit reservations their instance never settled');
        },
      },
      logger,
      { 'billing.expire-reservations': Math.min(30_000, Math.max(1_000, (config.RESERVATION_TTL_SECONDS * 1000) / 4)) },
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    // Reservations that expired while no worker ran are released before anything else.
    await this.credits.expire();
    await this.runner.start();
    this.logger.info('worker started');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runner.close();
  }
}

/** Everything the BullMQ worker runs; booted by apps/worker or in-process by the API. */
@Module({})
export class JobsModule {
  static forRoot(config: Config, logger: Logger): DynamicModule {
    return {
      module: JobsModule,
      imports: [ConfigModule.forRoot(config), DbModule, RedisModule, AccountsModule.forRoot(), BillingModule, CatalogModule],
      providers: [{ provide: JOBS_LOGGER, useValue: logger }, JobsLifecycle, GenerationWriter],
      exports: [GenerationWriter],
    };
  }
}
