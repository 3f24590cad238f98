import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { CONFIG, type Config } from '@gw/config';
import { DomainError } from '@gw/kernel';
import { REDIS, RedisKeys } from '@gw/queue';

const WINDOW_SECONDS = 15 * 60;

/**
 * Counts failed logins per account and per client IP in Redis (shared by every API instance).
 * Over the limit, login answers 429 with Retry-After until the window ends. Emails are hashed in
 * key names so Redis holds no addresses.
 */
@Injectable()
export class LoginThrottle {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(RedisKeys) private readonly keys: RedisKeys,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  async assertAllowed(email: string, ip: string): Promise<void> {
    const [account, address] = this.keyNames(email, ip);
    const results = await this.redis.multi().get(account).pttl(account).get(address).pttl(address).exec();
    const value = (index: number): number => Number(results?.[index]?.[1] ?? 0) || 0;
    const retryMs = Math.max(
      value(0) >= this.config.LOGIN_MAX_ATTEMPTS_PER_ACCOUNT ? value(1) : 0,
      value(2) >= this.config.LOGIN_MAX_ATTEMPTS_PER_IP ? value(3) : 0,
    );
    if (retryMs > 0) {
      const retryAfter = String(Math.max(1, Math.ceil(retryMs / 1000)));
      throw new DomainError('rate_limited', {
        message: 'Too many failed logins. Try again later.',
        metadata: { retry_after_seconds: Number(retryAfter) },
        headers: { 'Retry-After': retryAfter },
      });
    }
  }

  async recordFailure(email: string, ip: string): Promise<void> {
    const pipeline = this.redis.multi();
    for (const key of this.keyNames(email, ip)) pipeline.incr(key).expire(key, WINDOW_SECONDS, 'NX');
    await pipeline.exec();
  }

  async recordSuccess(email: string): Promise<void> {
    await this.redis.del(this.keyNames(email, '')[0]);
  }

  private keyNames(email: string, ip: string): [string, string] {
    const digest = createHash('sha256').update(email.toLowerCase()).digest('base64url').slice(0, 22);
    return [this.keys.key('login', 'account', digest), this.keys.key('login', 'ip', ip)];
  }
}
