import { Global, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { CONFIG, type Config } from '@gw/config';
import { createRedis, RedisKeys } from './redis';

/** The command connection. */
export const REDIS = Symbol('REDIS');
/** A second connection in subscriber mode (a subscribed connection cannot run commands). */
export const REDIS_SUBSCRIBER = Symbol('REDIS_SUBSCRIBER');

@Injectable()
class RedisLifecycle implements OnApplicationShutdown {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(REDIS_SUBSCRIBER) private readonly subscriber: Redis,
  ) {}

  onApplicationShutdown(): void {
    this.subscriber.disconnect();
    this.redis.disconnect();
  }
}

@Global()
@Module({
  providers: [
    { provide: REDIS, inject: [CONFIG], useFactory: (config: Config) => createRedis(config.REDIS_URL) },
    {
      provide: REDIS_SUBSCRIBER,
      inject: [CONFIG],
      useFactory: (config: Config) => createRedis(config.REDIS_URL, { maxRetriesPerRequest: null }),
    },
    { provide: RedisKeys, inject: [CONFIG], useFactory: (config: Config) => new RedisKeys(config.REDIS_PREFIX) },
    RedisLifecycle,
  ],
  exports: [REDIS, REDIS_SUBSCRIBER, RedisKeys],
})
export class RedisModule {}
