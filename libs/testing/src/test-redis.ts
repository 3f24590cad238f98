import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { runId, TEST_REDIS_URL } from './jest/test-env';

/** A Redis key prefix unique to this worker and spec file; everything under it is deleted at the end. */
export function testRedisPrefix(): string {
  return `gwtest:${runId()}:${process.env['JEST_WORKER_ID'] ?? '0'}:${randomBytes(3).toString('hex')}:`;
}

export async function dumpRedis(prefix: string, url = TEST_REDIS_URL): Promise<string> {
  const redis = new Redis(url);
  try {
    const out: string[] = [];
    for await (const keys of redis.scanStream({ match: `${prefix}*`, count: 500 })) {
      for (const key of keys as string[]) {
        const type = await redis.type(key);
        const value =
          type === 'string'
            ? await redis.get(key)
            : type === 'hash'
              ? JSON.stringify(await redis.hgetall(key))
              : type === 'list'
                ? JSON.stringify(await redis.lrange(key, 0, -1))
                : type === 'set'
                  ? JSON.stringify(await redis.smembers(key))
                  : type === 'zset'
                    ? JSON.stringify(await redis.zrange(key, 0, -1, 'WITHSCORES'))
                    : type === 'stream'
                      ? JSON.stringify(await redis.xrange(key, '-', '+'))
                      : '';
        out.push(`${key} ${type} ${value ?? ''}`);
      }
    }
    return out.join('\n');
  } finally {
    redis.disconnect();
  }
}

export async function clearRedis(prefix: string, url = TEST_REDIS_URL): Promise<void> {
  const redis = new Redis(url);
  try {
    for await (const keys of redis.scanStream({ match: `${prefix}*`, count: 500 })) {
      if ((keys as string[]).length > 0) await redis.del(...(keys as string[]));
    }
  } finally {
    redis.disconnect();
  }
}
