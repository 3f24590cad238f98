import { hostname } from 'node:os';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { CONFIG, type Config } from '@gw/config';
import { CreditStore, type GenerationCharge, postGenerationCharges } from '@gw/billing';
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
    // The reply goes straight into its compact form: it is never held across an await.
    const batch = readBatch(
      (await redis.call(
        'XREADGROUP',
        'GROUP',
        GROUP,
        this.consumer,
        'COUNT',
        String(BATCH),
        'BLOCK',
        String(blockMs),
        'STREAMS',
        this.stream,
        '>',
      )) as [string, StreamEntries][] | null,
    );
    await this.write(batch);
    return batch.entryIds.length;
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
      await this.write(compactEntries(entries));
      cursor = next;
    } while (cursor !== '0-0' && this.isRunning());
  }

  private async write(batch: Batch): Promise<void> {
    const redis = this.redis;
    if (batch.entryIds.length === 0 || !redis) return;
    for (const entry of batch.malformed) {
      await redis.xadd(`${this.stream}:dead`, '*', ...entry);
      this.logger.error(`a generation record that is not valid JSON was moved to ${this.stream}:dead`);
    }
    if (batch.records.length > 0) await this.settleOrIsolate(batch);
    await redis
      .multi()
      .xack(this.stream, GROUP, ...batch.entryIds)
      .xdel(this.stream, ...batch.entryIds)
      .exec();
  }

  /**
   * Settles a batch; if the batch fails while the database answers, settles its records one by one
   * so that a single record Postgres refuses cannot hold every later one back: that record moves
   * to a dead-letter stream (kept for an operator, logged) and the rest are written.
   */
  private async settleOrIsolate(batch: Batch): Promise<void> {
    try {
      await this.settle(batch);
      return;
    } catch (error) {
      if (batch.records.length === 1 || !(await this.databaseAnswers())) throw error;
    }
    for (let index = 0; index < batch.records.length; index++) {
      const single = batch.single(index);
      try {
        await this.settle(single);
      } catch (error) {
        if (!(await this.databaseAnswers())) throw error;
        const record = single.records[0] as BatchRecord;
        await this.redis?.xadd(`${this.stream}:dead`, '*', 'g', single.recordJson(0), 'c', record.chargeMicros.toString());
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
  private async settle(batch: Batch): Promise<void> {
    const { records } = batch;
    const posted = await this.db.transaction(async (client) => {
      const inserted = await this.insert(client, batch);
      const charges: GenerationCharge[] = records
        .filter((record) => inserted.has(record.id))
        .map((record) => ({
          generationId: record.id,
          tenantId: record.tenantId,
          keyId: record.keyId,
          kind: record.isByok ? 'byok_fee' : 'charge',
          amountMicros: record.chargeMicros,
        }));
      const result = await postGenerationCharges(
        client,
        charges,
        records.map((record) => record.tenantId),
      );
      for (const [generationId, amount] of result.clamped) {
        await client.query('UPDATE generations SET cost_micros = $2 WHERE id = $1', [generationId, amount.toString()]);
      }
      return result;
    });
    // Every tenant's mirror takes its new balance; only charged generations have a held amount
    // to drop (SETTLE holds nothing for a zero charge), so only their ids go with it.
    const byTenant = new Map<string, string[]>();
    for (const record of records) {
      let ids = byTenant.get(record.tenantId);
      if (!ids) {
        ids = [];
        byTenant.set(record.tenantId, ids);
      }
      if (record.chargeMicros > 0n) ids.push(record.id);
    }
    for (const [tenantId, generationIds] of byTenant) {
      const state = posted.balances.get(tenantId);
      await this.credits.posted(tenantId, state?.balanceMicros ?? 0n, state?.version ?? 0n, generationIds);
    }
    for (const record of records) {
      const cut = posted.clamped.get(record.id);
      if (cut !== undefined) await this.credits.correctKeySpend(record.keyId, cut - record.chargeMicros);
    }
  }

  /**
   * The batch's rows from its one JSON text, expanded by Postgres: no per-row parameters to build
   * or hold while the statement runs. Returns the ids that were new.
   */
  private async insert(client: PoolClient, batch: Batch): Promise<Set<string>> {
    const result = await client.query<{ id: string }>(
      `INSERT INTO generations (id, tenant_id, key_id, requested_model, model, provider, is_byok, fallback, attempts,
         prompt_tokens, completion_tokens, cost_micros, upstream_cost_micros, latency_ms, ttfb_ms, status, http_status,
         streamed, app_referer, app_title, created_at)
       SELECT r.id, r."tenantId", r."keyId", r."requestedModel", r.model, r.provider, r."isByok", r.fallback, r.attempts,
              r."promptTokens", r."completionTokens", (e.value->>'c')::bigint, r."upstreamCostMicros", r."latencyMs",
              r."ttfbMs", r.status, r."httpStatus", r.streamed, r."appReferer", r."appTitle", r."createdAt"
         FROM json_array_elements($1::json) AS e,
              json_to_record(e.value->'r') AS r(id text, "tenantId" uuid, "keyId" uuid, "requestedModel" text, model text,
                provider text, "isByok" boolean, fallback boolean, attempts jsonb, "promptTokens" int,
                "completionTokens" int, "upstreamCostMicros" bigint, "latencyMs" int, "ttfbMs" int, status text,
                "httpStatus" int, streamed boolean, "appReferer" text, "appTitle" text, "createdAt" timestamptz)
       ON CONFLICT (id) DO NOTHING
       RETURNING id`,
      [batch.payload],
    );
    return new Set(result.rows.map((row) => row.id));
  }
}

/** What the writer keeps of one record besides its JSON text. */
interface BatchRecord {
  readonly id: string;
  readonly tenantId: string;
  readonly keyId: string;
  readonly isByok: boolean;
  /** The charge as settled in Redis (after the BYOK waiver), carried beside the record. */
  readonly chargeMicros: bigint;
}

/**
 * One read of the stream in the form it waits in while Postgres works: the distinct records as one
 * JSON text (`[{"c":<charge>,"r":<record>},…]`, a single string the garbage collector never
 * copies) and a few fields of each. Holding the parsed records and one query parameter per column
 * instead kept megabytes alive across every batch's round trips at full load.
 */
class Batch {
  constructor(
    /** Stream entry ids, acknowledged once the batch is written. */
    readonly entryIds: string[],
    readonly records: BatchRecord[],
    readonly payload: string,
    /** Where each record's own JSON starts and ends in `payload`. */
    private readonly bounds: number[],
    /** Entries whose record is not valid JSON, as field lists for the dead-letter stream. */
    readonly malformed: string[][],
  ) {}

  recordJson(index: number): string {
    return this.payload.slice(this.bounds[2 * index], this.bounds[2 * index + 1]);
  }

  /** A batch of just one of these records (written on its own when the batch as a whole fails). */
  single(index: number): Batch {
    const record = this.records[index] as BatchRecord;
    const json = this.recordJson(index);
    const head = `[{"c":${record.chargeMicros.toString()},"r":`;
    return new Batch([], [record], `${head}${json}}]`, [head.length, head.length + json.length], []);
  }
}

const EMPTY_BATCH = new Batch([], [], '[]', [], []);

function readBatch(reply: [string, StreamEntries][] | null): Batch {
  return compactEntries(reply?.[0]?.[1] ?? []);
}

function compactEntries(entries: StreamEntries): Batch {
  if (entries.length === 0) return EMPTY_BATCH;
  const entryIds: string[] = [];
  const records: BatchRecord[] = [];
  const bounds: number[] = [];
  const malformed: string[][] = [];
  // Keyed by generation id: one queued twice (a retried enqueue) is written and charged once.
  const seen = new Set<string>();
  // Joined once at the end: `join` builds one flat string, where `+=` would leave a chain of pieces.
  const parts: string[] = ['['];
  let length = 1;
  const append = (text: string) => {
    parts.push(text);
    length += text.length;
  };
  for (const [entryId, fields] of entries) {
    entryIds.push(entryId);
    const json = fieldOf(fields, 'g');
    if (json === undefined) continue;
    const parsed = parseRecord(json, fieldOf(fields, 'c'));
    if (!parsed) {
      malformed.push(fields);
      continue;
    }
    if (seen.has(parsed.id)) continue;
    seen.add(parsed.id);
    records.push(parsed);
    append(`${records.length > 1 ? ',' : ''}{"c":${parsed.chargeMicros.toString()},"r":`);
    bounds.push(length);
    append(json);
    bounds.push(length);
    append('}');
  }
  append(']');
  return new Batch(entryIds, records, parts.join(''), bounds, malformed);
}

function fieldOf(fields: string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

const DIGITS = /^\d{1,18}$/;

function parseRecord(json: string, charge: string | undefined): BatchRecord | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const { id, tenantId, keyId, isByok, costMicros } = parsed as Partial<GenerationRecord>;
  const micros = charge ?? costMicros;
  if (typeof id !== 'string' || typeof tenantId !== 'string' || typeof keyId !== 'string') return null;
  if (typeof micros !== 'string' || !DIGITS.test(micros)) return null;
  return { id, tenantId, keyId, isByok: isByok === true, chargeMicros: BigInt(micros) };
}
