import type { Redis } from 'ioredis';
import { RedisBatch } from './redis-batch';

/**
 * GCRA (a token bucket kept as one timestamp per key) in a Lua script, so every API instance
 * sharing Redis sees one limit, atomically. A limit of N per minute allows a burst of N, then one
 * request every 60/N seconds.
 *
 * KEYS[1] = key; ARGV = now ms, emission interval ms, burst. Returns {allowed, remaining,
 * retry_after_ms, reset_ms}.
 */
const GCRA = `
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local tolerance = interval * (burst - 1)
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local allow_at = tat - tolerance
if now < allow_at then
  return {0, 0, allow_at - now, tat - now}
end
local new_tat = tat + interval
redis.call('SET', KEYS[1], new_tat, 'PX', math.ceil(new_tat - now))
local remaining = math.floor((tolerance - (new_tat - interval - now)) / interval)
return {1, remaining, 0, new_tat - now}
`;

export interface RateLimitDecision {
  readonly allowed: boolean;
  readonly limit: number;
  readonly remaining: number;
  /** Whole seconds to wait before the next request can pass (0 when allowed). */
  readonly retryAfterSeconds: number;
  /** Seconds until the bucket is full again. */
  readonly resetSeconds: number;
}

export class RateLimiter {
  /** Shares the connection's per-turn write with the credit store's calls. */
  private readonly batch: RedisBatch;

  constructor(
    redis: Redis,
    private readonly prefix: string,
  ) {
    // Called by its SHA (EVALSHA) once Redis knows it, instead of sending the script each time.
    redis.defineCommand('gwRateLimit', { numberOfKeys: 1, lua: GCRA });
    this.batch = RedisBatch.of(redis);
  }

  async take(key: string, perMinute: number, now = Date.now()): Promise<RateLimitDecision> {
    const interval = 60_000 / perMinute;
    const result = (await this.batch.call('gwRateLimit', [
      `${this.prefix}${key}`,
      String(now),
      String(interval),
      String(perMinute),
    ])) as [number, number, number, number];
    const [allowed, remaining, retryMs, resetMs] = result;
    return {
      allowed: allowed === 1,
      limit: perMinute,
      remaining: Math.max(0, remaining),
      retryAfterSeconds: allowed === 1 ? 0 : Math.max(1, Math.ceil(retryMs / 1000)),
      resetSeconds: Math.max(0, Math.ceil(resetMs / 1000)),
    };
  }
}
