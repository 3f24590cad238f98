import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Database } from '@gw/db';

const FLUSH_INTERVAL_MS = 10_000;

/**
 * Records when each key was last used without a database write per request: uses are collected in
 * memory and written in one statement every few seconds and at shutdown. Losing the last few
 * seconds in a crash only makes "last used" slightly older; no money depends on it.
 */
@Injectable()
export class LastUsedRecorder implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(LastUsedRecorder.name);
  private pending = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(@Inject(Database) private readonly db: Database) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  touch(keyId: string): void {
    this.pending.set(keyId, Date.now());
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    try {
      await this.db.pool.query(
        `UPDATE gateway_keys k SET last_used_at = u.at
           FROM (SELECT unnest($1::uuid[]) AS id, unnest($2::timestamptz[]) AS at) u
          WHERE k.id = u.id AND (k.last_used_at IS NULL OR k.last_used_at < u.at)`,
        [[...batch.keys()], [...batch.values()].map((ms) => new Date(ms))],
      );
    } catch (error) {
      // Put the batch back (newer touches win) and try again on the next tick.
      for (const [id, at] of batch) if (!this.pending.has(id)) this.pending.set(id, at);
      this.logger.warn(`could not record key last-use times: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
