import { Controller, Get, HttpCode, Inject } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { Database } from '@gw/db';
import { DomainError } from '@gw/kernel';
import { REDIS } from '@gw/queue';

const CHECK_TIMEOUT_MS = 2_000;

@Controller()
export class HealthController {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  /** The process is alive. */
  @Get('healthz')
  @HttpCode(200)
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Postgres and Redis answer: route traffic here. */
  @Get('readyz')
  async ready(): Promise<{ status: 'ready'; checks: Record<string, 'ok'> }> {
    const [postgres, redis] = await Promise.all([
      check(() => this.db.ping()),
      check(async () => {
        await this.redis.ping();
      }),
    ]);
    if (postgres !== 'ok' || redis !== 'ok') {
      throw new DomainError('unavailable', {
        message: 'Not ready: a backing service does not answer.',
        metadata: { checks: { postgres, redis } },
      });
    }
    return { status: 'ready', checks: { postgres, redis } };
  }
}

async function check(probe: () => Promise<void>): Promise<'ok' | 'down'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'down'>((resolve) => {
    timer = setTimeout(() => resolve('down'), CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([probe().then(() => 'ok' as const), timeout]);
  } catch {
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}
