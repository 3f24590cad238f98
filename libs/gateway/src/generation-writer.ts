import { hostname } from 'node:os';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { CONFIG, type Config } from '@gw/config';
import { CreditStore, type GenerationCharge, type PostedCharges, postGenerationCharges } from '@gw/billing';
import { Database } from '@gw/db';
import type { PoolClient } from 'pg';
import { createRedis, RedisKeys } from '@gw/queue';
import { generationStreamKey } from './generation-recorder';
import type { GenerationRecord } from './generation.types';

const GROUP = 'generation-writers';
const BATCH = 500;
const BLOCK_MS = 1000;
const CLAIM_IDLE_MS = 30_000;
const BATCH_PAUSE_MS = 100;

type StreamEntries = [id: string, fields: string[]][];

/**
 * Drains the generations stream into Postgres: batches of up to 500 rows in one INSERT … ON
 * CONFLICT (id) DO NOTHING (idempotent by generation id), acknowledged only after commit. Entries a
 * crashed writer had read but not acknowledged are reclaimed after 30 s, so nothing is lost.
 */
@Injectable()
export class GenerationWriter implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(GenerationWriter.name);
  private readonly stream: string;
  private readonly consumer = `${hostname()}-${String(process.pid)}`;
  private redis: Redis | undefined;
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(RedisKeys) keys: RedisKeys,
    @Inject(CreditStore) private readonly credits: CreditStore,
  ) {
    this.stream = generationStreamKey(keys);
  }

  async onApplicationBootstrap(): Promise<void> {
    // A blocking XREADGROUP needs its own connection.
    this.redis = createRedis(this.config.REDIS_URL, { maxRetriesPerRequest: null });
    await this.redis.xgroup('CREATE', this.stream, GROUP, '0', 'MKSTREAM').catch((error: unknown) => {
      if (!String(error).includes('BUSYGROUP')) throw error;
    });
    this.running = true;
    this.loop = this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    this.redis?.disconnect();
    await this.loop?.catch(() => undefined);
  }

  /**
   * Resolves once every record queued so far is in Postgres (entries leave the stream only after
   * their batch committed). Tests use it; it polls on its own connection while the loop works.
   */
  async drain(timeoutMs = 10_000): Promise<void> {
    const probe = createRedis(this.config.REDIS_URL);
    try {
      const deadline = Date.now() + timeoutMs;
      while ((await probe.xlen(this.stream)) > 0) {
        if (Date.now() > deadline) throw new Error('generation records were not written in time');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      probe.disconnect();
    }
  }

  private async run(): Promise<void> {
    // At start, take over everything a crashed writer left unacknowledged. Inserts are idempotent,
    // so also taking entries a live writer is still working on costs a duplicate insert, no more.
    await this.reclaim(0).catch(() => undefined);
    let lastClaim = Date.now();
    while (this.running) {
      try {
        if (Date.now() - lastClaim > CLAIM_IDLE_MS) {
          await this.reclaim(CLAIM_IDLE_MS);
          lastClaim = Date.now();
        }
        const read = await this.step(BLOCK_MS);
        // A partial batch means the queue is nearly empty: wait a little so the next insert
        // carries many records instead of one (Postgres sees batches even at low traffic).
        if (read > 0 && read < BATCH) await new Promise((resolve) => setTimeout(resolve, BATCH_PAUSE_MS));
      } catch (error) {
        if (!this.isRunning()) return;
        this.logger.warn(`generation writer: ${error instanceof Error ? error.message : String(error)}`);
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }

  /** Read through a method: `running` changes while the loop awaits. */
  private isRunning(): boolean {
    return this.running;
  }

  private async step(blockMs: number): Promise<number> {
    const redis = this.redis;
    if (!redis) return 0;
    const block = ['BLOCK', String(blockMs)];
    const result = (await redis.call(
      'XREADGROUP',
      'GROUP',
      GROUP,
      this.consumer,
      'COUNT',
      String(BATCH),
      ...block,
      'STREAMS',
      this.stream,
      '>',
    )) as [string, StreamEntries][] | null;
    const entries = result?.[0]?.[1] ?? [];
    await this.write(entries);
    return entries.length;
  }

  private async reclaim(minIdleMs: number): Promise<void> {
    const redis = this.redis;
    if (!redis) return;
    let cursor = '0-0';
    do {
      const [next, entries] = (await redis.xautoclaim(this.stream, GROUP, this.consumer, minIdleMs, cursor, 'COUNT', BATCH)) as [
        string,
        StreamEntries,
        unknown,
      ];
      await this.write(entries);
      cursor = next;
    } while (cursor !== '0-0' && this.isRunning());
  }

  private async write(entries: StreamEntries): Promise<void> {
    if (entries.length === 0 || !this.redis) return;
    // Keyed by generation id: one queued twice (a retried enqueue) is written and charged once.
    const records = new Map<string, GenerationRecord>();
    for (const [, fields] of entries) {
      const json = fields[fields.indexOf('g') + 1];
      if (!json) continue;
      const record = JSON.parse(json) as GenerationRecord;
      if (records.has(record.id)) continue;
      // The charge as settled in Redis (after the BYOK waiver), carried beside the record.
      const charge = fields.indexOf('c') >= 0 ? fields[fields.indexOf('c') + 1] : undefined;
      if (charge !== undefined) record.costMicros = charge;
      records.set(record.id, record);
    }
    if (records.size > 0) await this.settleOrIsolate([...records.values()]);
    const ids = entries.map(([id]) => id);
    await this.redis
      .multi()
      .xack(this.stream, GROUP, ...ids)
      .xdel(this.stream, ...ids)
      .exec();
  }

  /**
   * Settles a batch; if the batch fails while the database answers, settles its records one by one
   * so that a single record Postgres refuses cannot hold every later one back: that record moves
   * to a dead-letter stream (kept for an operator, logged) and the rest are written.
   */
  private async settleOrIsolate(records: GenerationRecord[]): Promise<void> {
    try {
      await this.settle(records);
      return;
    } catch (error) {
      if (records.length === 1 || !(await this.databaseAnswers())) throw error;
    }
    for (const record of records) {
      try {
        await this.settle([record]);
      } catch (error) {
        if (!(await this.databaseAnswers())) throw error;
        await this.redis?.xadd(`${this.stream}:dead`, '*', 'g', JSON.stringify(record));
        this.logger.error(
          `generation ${record.id} could not be written and was moved to ${this.stream}:dead: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
  }

  private async databaseAnswers(): Promise<boolean> {
    return this.db.pool.query('SELECT 1').then(
      () => true,
      () => false,
    );
  }

  /**
   * One transaction per batch: the generation rows and the ledger charges of the newly inserted
   * ones commit together (a replayed batch inserts nothing and so charges nothing). Then the Redis
   * mirror drops the posted charges from what it holds; that step is idempotent per generation.
   */
  private async settle(records: GenerationRecord[]): Promise<void> {
    const client = await this.db.pool.connect();
    let posted: PostedCharges;
    try {
      await client.query('BEGIN');
      const inserted = await this.insert(client, records);
      const charges: GenerationCharge[] = records
        .filter((record) => inserted.has(record.id))
        .map((record) => ({
          generationId: record.id,
          tenantId: record.tenantId,
          keyId: record.keyId,
          kind: record.isByok ? 'byok_fee' : 'charge',
          amountMicros: BigInt(record.costMicros),
        }));
      posted = await postGenerationCharges(
        client,
        charges,
        records.map((record) => record.tenantId),
      );
      for (const [generationId, amount] of posted.clamped) {
        await client.query('UPDATE generations SET cost_micros = $2 WHERE id = $1', [generationId, amount.toString()]);
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
    const byTenant = new Map<string, string[]>();
    for (const record of records) byTenant.set(record.tenantId, [...(byTenant.get(record.tenantId) ?? []), record.id]);
    for (const [tenantId, generationIds] of byTenant) {
      const state = posted.balances.get(tenantId);
      await this.credits.posted(tenantId, state?.balanceMicros ?? 0n, state?.version ?? 0n, generationIds);
    }
    for (const record of records) {
      const cut = posted.clamped.get(record.id);
      if (cut !== undefined) await this.credits.correctKeySpend(record.keyId, cut - BigInt(record.costMicros));
    }
  }

  private async insert(client: PoolClient, records: GenerationRecord[]): Promise<Set<string>> {
    const columns = [
      'id',
      'tenant_id',
      'key_id',
      'requested_model',
      'model',
      'provider',
      'is_byok',
      'fallback',
      'attempts',
      'prompt_tokens',
      'completion_tokens',
      'cost_micros',
      'upstream_cost_micros',
      'latency_ms',
      'ttfb_ms',
      'status',
      'http_status',
      'streamed',
      'app_referer',
      'app_title',
      'created_at',
    ];
    const values: unknown[] = [];
    const rows = records.map((r, index) => {
      values.push(
        r.id,
        r.tenantId,
        r.keyId,
        r.requestedModel,
        r.model,
        r.provider,
        r.isByok,
        r.fallback,
        JSON.stringify(r.attempts),
        r.promptTokens,
        r.completionTokens,
        r.costMicros,
        r.upstreamCostMicros,
        r.latencyMs,
        r.ttfbMs,
        r.status,
        r.httpStatus,
        r.streamed,
        r.appReferer,
        r.appTitle,
        r.createdAt,
      );
      const base = index * columns.length;
      return `(${columns.map((_, i) => `$${String(base + i + 1)}`).join(', ')})`;
    });
    const result = await client.query<{ id: string }>(
      `INSERT INTO generations (${columns.join(', ')}) VALUES ${rows.join(', ')} ON CONFLICT (id) DO NOTHING RETURNING id`,
      values,
    );
    return new Set(result.rows.map((row) => row.id));
  }
}
