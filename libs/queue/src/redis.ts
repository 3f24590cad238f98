import { Redis, type RedisOptions } from 'ioredis';

/**
 * Creates an ioredis connection from REDIS_URL (db index, user and password in the URL are
 * honoured). `maxRetriesPerRequest: null` is what BullMQ requires of its connections and lets
 * commands wait through a short Redis restart instead of failing at once.
 */
export function createRedis(url: string, options: RedisOptions = {}): Redis {
  const redis = new Redis(url, {
    lazyConnect: false,
    // Off: ioredis pipelines leave garbage that outlives young collections (see RedisBatch, which
    // batches the hot path's commands instead).
    enableAutoPipelining: false,
    maxRetriesPerRequest: 3,
    connectionName: 'llm-gateway',
    ...options,
  });
  // Errors surface through the commands that fail; an unhandled 'error' event would crash the process.
  redis.on('error', () => undefined);
  return redis;
}

/** Names every Redis key and channel under the deployment's prefix. */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  key(...parts: readonly string[]): string {
    return `${this.prefix}${parts.join(':')}`;
  }
}
