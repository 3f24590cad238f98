import { Module } from '@nestjs/common';
import { BillingModule } from '@gw/billing';
import { ByokModule } from '@gw/byok';
import { CatalogModule } from '@gw/catalog';
import { RateLimiter, REDIS, RedisKeys } from '@gw/queue';
import type { Redis } from 'ioredis';
import { ChatService } from './chat.service';
import { GenerationsService } from './generations.service';

@Module({
  imports: [ByokModule, CatalogModule, BillingModule],
  providers: [
    ChatService,
    GenerationsService,
    {
      provide: RateLimiter,
      inject: [REDIS, RedisKeys],
      useFactory: (redis: Redis, keys: RedisKeys) => new RateLimiter(redis, keys.key('ratelimit', '')),
    },
  ],
  exports: [ChatService, GenerationsService, CatalogModule],
})
export class GatewayModule {}
