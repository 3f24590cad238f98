import { Redis } from 'ioredis';
import { clearRedis, testRedisPrefix, TEST_REDIS_URL } from '@gw/testing';
import { RateLimiter } from './rate-limiter';

describe('RateLimiter (GCRA in Redis)', () => {
  let redis: Redis;
  let prefix: string;
  beforeAll(() => {
    redis = new Redis(TEST_REDIS_URL);
    prefix = testRedisPrefix();
  });
  afterAll(async () => {
    redis.disconnect();
    await clearRedis(prefix);
  });

  it('allows a burst of N per minute, then one every 60/N seconds', async () => {
    const sut = new RateLimiter(redis, prefix);
    const t0 = 1_800_000_000_000;
    const burst = await Promise.all(Array.from({ length: 8 }, () => sut.take('k1', 6, t0)));
    expect(burst.filter((d) => d.allowed)).toHaveLength(6);
    expect(
      burst
        .map((d) => d.remaining)
        .filter((_, i) => burst[i]?.allowed)
        .sort(),
    ).toEqual([0, 1, 2, 3, 4, 5]);
    const denied = burst.find((d) => !d.allowed);
    expect(denied?.retryAfterSeconds).toBe(10);
    expect((await sut.take('k1', 6, t0 + 9_999)).allowed).toBe(false);
    expect((await sut.take('k1', 6, t0 + 10_000)).allowed).toBe(true);
    expect((await sut.take('k1', 6, t0 + 10_001)).allowed).toBe(false);
    // A full minute later the bucket is full again.
    const later = await Promise.all(Array.from({ length: 7 }, () => sut.take('k1', 6, t0 + 80_000)));
    expect(later.filter((d) => d.allowed)).toHaveLength(6);
  });

  it('keeps keys apart', async () => {
    const sut = new RateLimiter(redis, prefix);
    const t0 = 1_800_000_000_000;
    expect((await sut.take('a', 1, t0)).allowed).toBe(true);
    expect((await sut.take('a', 1, t0)).allowed).toBe(false);
    expect((await sut.take('b', 1, t0)).allowed).toBe(true);
  });
});
