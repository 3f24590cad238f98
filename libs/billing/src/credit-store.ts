import { type BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { CONFIG, type Config } from '@gw/config';
import { Database } from '@gw/db';
import { REDIS, RedisBatch, RedisKeys } from '@gw/queue';
import { APPLY_BALANCE, EXPIRE, INIT_FIELDS, POSTED, RESERVE, SETTLE, SLOT_LEASE } from './credit-store.lua';
import { type ByokAllowance, monthKeyAt } from './pricing';
import { SlotLeases } from './slot-leases';

/** Who a reservation belongs to and where its BYOK month counters live. */
export interface Holder {
  readonly tenantId: string;
  readonly keyId: string;
  readonly generationId: string;
  /** The UTC month (`2026-11`) the request started in. */
  readonly month: string;
}

export interface ReserveRequest {
  readonly holder: Holder;
  /** What this attempt could cost at worst, micro-USD. */
  readonly needMicros: bigint;
  /** A BYOK attempt: needs nothing while the month's free allowance has room. */
  readonly byok: boolean;
  readonly allowance: ByokAllowance;
  readonly keyLimitMicros: bigint | null;
}

export type ReserveOutcome = { ok: true } | { ok: false; reason: 'insufficient_credits' | 'key_limit_exceeded' };

export interface SettleRequest {
  readonly holder: Holder;
  /** Platform: the charge. BYOK: the fee, charged unless the month's allowance waives it. */
  readonly chargeMicros: bigint;
  readonly byok: boolean;
  /** A successful BYOK request: counted in the month's allowance. */
  readonly countsTowardAllowance: boolean;
  readonly listMicros: bigint;
  readonly allowance: ByokAllowance;
  /** Where the generation record is queued, and the record itself (its `costMicros` is set by the writer from the settled charge). */
  readonly stream: string;
  readonly record: string;
}

export interface Settlement {
  readonly chargeMicros: bigint;
  readonly waived: boolean;
}

export interface MonthUsage {
  readonly requests: number;
  readonly listMicros: bigint;
}

type Script = (...args: (string | number)[]) => Promise<unknown>;
interface ScriptedRedis {
  gwPosted: Script;
  gwApplyBalance: Script;
  gwInitFields: Script;
  gwExpire: Script;
}

const MONTH_TTL_SECONDS = 62 * 24 * 3600;
const EXPIRE_BATCH = 500;

/**
 * The hot-path side of credits: reservations, settlement and the BYOK month counters, kept in
 * Redis by atomic scripts so that no /v1 request waits on a database write. Postgres stays the
 * source of truth: the ledger (posted in batches by the settlement writer) and the balance row.
 * A tenant's Redis mirror is loaded from Postgres on first use; after that every posting updates
 * it (the newest balance version wins), so the two never drift. docs/billing.md has the design.
 */
@Injectable()
export class CreditStore implements BeforeApplicationShutdown {
  private readonly scripts: ScriptedRedis;
  /** Reservations and settlements of concurrent requests share round trips. */
  private readonly batch: RedisBatch;
  private readonly reservationTtlMs: number;
  /** This instance's leases of free BYOK slots (see SlotLeases). */
  readonly slotLeases: SlotLeases;
  /** Generations holding a free slot reserved in Redis (not leased), with that reservation's expiry. */
  private readonly freeSlots = new Map<string, number>();
  /** What each open generation reserved (the largest need it asked for), until it settles. */
  private readonly reservedFor = new Map<string, bigint>();
  /** Settlements answered before Redis replied, until their replies are checked. */
  private readonly unconfirmed = new Set<Promise<void>>();
  private readonly logger = new Logger(CreditStore.name);

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(RedisKeys) private readonly keys: RedisKeys,
    @Inject(Database) private readonly db: Database,
    @Inject(CONFIG) config: Config,
  ) {
    // defineCommand sends each script once and then calls it by its SHA.
    redis.defineCommand('gwReserve', { numberOfKeys: 5, lua: RESERVE });
    redis.defineCommand('gwSettle', { numberOfKeys: 7, lua: SETTLE });
    redis.defineCommand('gwPosted', { numberOfKeys: 2, lua: POSTED });
    redis.defineCommand('gwApplyBalance', { numberOfKeys: 1, lua: APPLY_BALANCE });
    redis.defineCommand('gwInitFields', { numberOfKeys: 1, lua: INIT_FIELDS });
    redis.defineCommand('gwExpire', { numberOfKeys: 1, lua: EXPIRE });
    redis.defineCommand('gwSlotLease', { numberOfKeys: 3, lua: SLOT_LEASE });
    this.scripts = redis as unknown as ScriptedRedis;
    this.batch = RedisBatch.of(redis);
    this.reservationTtlMs = config.RESERVATION_TTL_SECONDS * 1000;
    this.slotLeases = new SlotLeases(
      this.batch,
      (tenantId, month) => ({
        hold: this.holdKey(tenantId),
        month: this.monthKey(tenantId, month),
        reservations: this.keys.key('resv'),
      }),
      this.reservationTtlMs,
    );
  }

  /** Before the Redis connections close (their own hook): leased slots go back to their months. */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all([this.slotLeases.releaseAll(), ...this.unconfirmed]);
  }

  async reserve(request: ReserveRequest): Promise<ReserveOutcome> {
    const { holder } = request;
    // Inside a count-only free allowance, a BYOK attempt's free slot usually comes from this
    // instance's lease, without a round trip.
    if (
      request.byok &&
      request.allowance.freeMicros === null &&
      this.slotLeases.take(holder.tenantId, holder.month, holder.generationId, request.allowance.freeRequests)
    ) {
      return { ok: true };
    }
    for (;;) {
      const expiresAt = Date.now() + this.reservationTtlMs;
      const result = (await this.batch.call('gwReserve', [
        this.creditKey(holder.tenantId),
        this.holdKey(holder.tenantId),
        this.spendKey(holder.keyId),
        this.monthKey(holder.tenantId, holder.month),
        this.keys.key('resv'),
        holder.generationId,
        request.needMicros.toString(),
        '0',
        request.byok ? '1' : '0',
        request.allowance.freeRequests,
        (request.allowance.freeMicros ?? -1n).toString(),
        (request.keyLimitMicros ?? -1n).toString(),
        expiresAt,
        member(holder),
      ])) as number[];
      switch (result[0]) {
        case 1: {
          // The call that granted the slot set the reservation's expiry; later raises keep it or extend it.
          if (result[1] === 1 && !this.freeSlots.has(holder.generationId)) this.freeSlots.set(holder.generationId, expiresAt);
          const before = this.reservedFor.get(holder.generationId) ?? 0n;
          if (request.needMicros > before) this.reservedFor.set(holder.generationId, request.needMicros);
          return { ok: true };
        }
        case 0:
          return { ok: false, reason: result[1] === 2 ? 'key_limit_exceeded' : 'insufficient_credits' };
        case -1:
          await this.loadBalance(holder.tenantId);
          break;
        case -2:
          await this.loadKeySpend(holder.keyId);
          break;
        case -3:
          await this.loadMonth(holder.tenantId, holder.month);
          this.slotLeases.monthLoaded(holder.tenantId, holder.month);
          break;
        case undefined:
        default:
          throw new Error(`unexpected reserve result ${String(result[0])}`);
      }
    }
  }

  /**
   * Settles in one atomic step (see SETTLE). When the outcome is known without Redis's reply (a
   * platform charge is the usage's price; a BYOK request holding a free slot is waived), it
   * resolves as soon as the step's bytes have left for Redis, before the reply: the answer then
   * costs no second round trip, and a crash after it loses nothing, since the kernel already
   * holds the step. The reply is still checked (and the step repeated if the month's counters
   * were missing). Any other outcome, or a step that could not leave at once, waits for the reply.
   */
  async settle(request: SettleRequest): Promise<Settlement> {
    const { holder } = request;
    const nowMs = Date.now();
    const now = monthKeyAt(nowMs);
    const leased = this.slotLeases.settle(holder.generationId);
    const slotExpiresAt = this.freeSlots.get(holder.generationId);
    this.freeSlots.delete(holder.generationId);
    const reservedMicros = this.reservedFor.get(holder.generationId) ?? 0n;
    this.reservedFor.delete(holder.generationId);
    const args = [
      this.creditKey(holder.tenantId),
      this.holdKey(holder.tenantId),
      this.spendKey(holder.keyId),
      this.monthKey(holder.tenantId, holder.month),
      this.keys.key('resv'),
      request.stream,
      this.monthKey(holder.tenantId, now),
      holder.generationId,
      member(holder),
      request.byok ? 'byok' : 'paid',
      request.chargeMicros.toString(),
      request.countsTowardAllowance ? '1' : '0',
      request.listMicros.toString(),
      request.allowance.freeRequests,
      (request.allowance.freeMicros ?? -1n).toString(),
      request.record,
      leased?.gen ?? '',
      leased?.member ?? '',
    ];
    const foreseen = this.foreseen(request, now, leased?.expiresAt ?? slotExpiresAt, nowMs, reservedMicros);
    if (!foreseen) return this.settled(holder, now, args, await this.batch.call('gwSettle', args));
    const sent = this.batch.send('gwSettle', args);
    if (!(await sent.handedOff)) return this.settled(holder, now, args, await sent.reply);
    const check = this.confirm(holder, now, args, sent.reply, foreseen);
    this.unconfirmed.add(check);
    void check.finally(() => this.unconfirmed.delete(check));
    return foreseen;
  }

  /**
   * The settlement's outcome when SETTLE's rules fix it in advance, else null. A platform charge
   * is the usage's price when it fits in what the generation reserved (more could be cut to the
   * balance). A free slot counts only while its reservation surely still stands (more than half
   * the reservation TTL from its expiry), and only in the month it was granted in, whose counters
   * are loaded.
   */
  private foreseen(
    request: SettleRequest,
    month: string,
    slotExpiresAt: number | undefined,
    nowMs: number,
    reservedMicros: bigint,
  ): Settlement | null {
    if (!request.byok)
      return request.chargeMicros <= reservedMicros ? { chargeMicros: request.chargeMicros, waived: false } : null;
    if (request.allowance.freeMicros !== null || request.holder.month !== month) return null;
    if (slotExpiresAt === undefined || slotExpiresAt - nowMs <= this.reservationTtlMs / 2) return null;
    return { chargeMicros: 0n, waived: true };
  }

  /** SETTLE's reply as a settlement; while this month's counters are missing, loads them and repeats the step. */
  private async settled(holder: Holder, month: string, args: (string | number)[], reply: unknown): Promise<Settlement> {
    let result = reply as number[];
    while (result[0] === -3) {
      await this.loadMonth(holder.tenantId, month);
      result = (await this.batch.call('gwSettle', args)) as number[];
    }
    return { chargeMicros: BigInt(result[0] ?? 0), waived: result[1] === 1 };
  }

  /** The reply of a settlement answered in advance: it must agree with what the client was told. */
  private async confirm(
    holder: Holder,
    month: string,
    args: (string | number)[],
    reply: Promise<unknown>,
    foreseen: Settlement,
  ): Promise<void> {
    try {
      const settled = await this.settled(holder, month, args, await reply);
      if (settled.chargeMicros !== foreseen.chargeMicros || settled.waived !== foreseen.waived) {
        this.logger.error(
          `generation ${holder.generationId} was answered with a charge of ${foreseen.chargeMicros.toString()} micro-USD but settled at ${settled.chargeMicros.toString()}`,
        );
      }
    } catch (error) {
      this.logger.error(
        `generation ${holder.generationId} was answered but its settlement failed in Redis: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  /** The writer committed these generations' charges; `balance`/`version` are the row after it. */
  async posted(tenantId: string, balanceMicros: bigint, version: bigint, generationIds: readonly string[]): Promise<void> {
    await this.scripts.gwPosted(
      this.creditKey(tenantId),
      this.holdKey(tenantId),
      balanceMicros.toString(),
      version.toString(),
      ...generationIds,
    );
  }

  /** A posting outside settlement (a grant): the mirror takes the balance if it is newer. */
  async applyBalance(tenantId: string, balanceMicros: bigint, version: bigint): Promise<void> {
    await this.scripts.gwApplyBalance(this.creditKey(tenantId), balanceMicros.toString(), version.toString());
  }

  /** A clamped charge posted less than was held against the key's spend. */
  async correctKeySpend(keyId: string, deltaMicros: bigint): Promise<void> {
    if (deltaMicros !== 0n) await this.redis.hincrby(this.spendKey(keyId), 'spent', deltaMicros.toString());
  }

  /** Releases reservations past their expiry (their instance died); returns how many. */
  async expire(now = Date.now()): Promise<number> {
    let total = 0;
    for (;;) {
      const released = Number(await this.scripts.gwExpire(this.keys.key('resv'), now, this.keys.key(''), EXPIRE_BATCH));
      total += released;
      if (released < EXPIRE_BATCH) return total;
    }
  }

  async openReservations(): Promise<number> {
    return this.redis.zcard(this.keys.key('resv'));
  }

  /** Held for open reservations and charges not yet posted, micro-USD (0 when never loaded). */
  async heldMicros(tenantId: string): Promise<bigint> {
    const held = await this.redis.hget(this.creditKey(tenantId), 'held');
    return BigInt(held ?? 0);
  }

  /** The key's spend including charges not yet posted, and what its open reservations hold. */
  async keySpend(keyId: string): Promise<{ spentMicros: bigint; heldMicros: bigint }> {
    const [spent, held] = await this.redis.hmget(this.spendKey(keyId), 'spent', 'held');
    if (spent === null || spent === undefined) return { spentMicros: await this.keyUsage(keyId), heldMicros: 0n };
    return { spentMicros: BigInt(spent), heldMicros: BigInt(held ?? 0) };
  }

  /** The month's BYOK requests and their list-price usage so far. */
  async monthUsage(tenantId: string, month: string): Promise<MonthUsage> {
    const [req, list] = await this.redis.hmget(this.monthKey(tenantId, month), 'req', 'list');
    if (req === null || req === undefined) return this.countMonth(tenantId, month);
    return { requests: Number(req), listMicros: BigInt(list ?? 0) };
  }

  // The three reads below are on the /v1 path (a tenant's or key's first request): plain SQL on the
  // pool, so a gateway that only serves /v1 never loads Prisma's query compiler.
  private async loadBalance(tenantId: string): Promise<void> {
    const { rows } = await this.db.pool.query<{ balance_micros: string; version: string }>(
      'SELECT balance_micros, version FROM tenant_balances WHERE tenant_id = $1',
      [tenantId],
    );
    await this.scripts.gwApplyBalance(
      this.creditKey(tenantId),
      String(rows[0]?.balance_micros ?? 0),
      String(rows[0]?.version ?? 0),
    );
  }

  private async loadKeySpend(keyId: string): Promise<void> {
    await this.scripts.gwInitFields(this.spendKey(keyId), 'spent', (await this.keyUsage(keyId)).toString());
  }

  private async keyUsage(keyId: string): Promise<bigint> {
    const { rows } = await this.db.pool.query<{ usage_micros: string }>('SELECT usage_micros FROM gateway_keys WHERE id = $1', [
      keyId,
    ]);
    return BigInt(rows[0]?.usage_micros ?? 0);
  }

  private async loadMonth(tenantId: string, month: string): Promise<void> {
    const usage = await this.countMonth(tenantId, month);
    const key = this.monthKey(tenantId, month);
    await this.scripts.gwInitFields(key, 'req', usage.requests, 'list', usage.listMicros.toString());
    await this.redis.expire(key, MONTH_TTL_SECONDS);
  }

  /** From the recorded generations: BYOK-served successful requests of that UTC month. */
  private async countMonth(tenantId: string, month: string): Promise<MonthUsage> {
    const start = new Date(`${month}-01T00:00:00.000Z`);
    const end = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
    const { rows } = await this.db.pool.query<{ requests: string; list: string | null }>(
      `SELECT count(*) AS requests, sum(upstream_cost_micros) AS list FROM generations
        WHERE tenant_id = $1 AND is_byok AND status = 'ok' AND created_at >= $2 AND created_at < $3`,
      [tenantId, start, end],
    );
    return { requests: Number(rows[0]?.requests ?? 0), listMicros: BigInt(rows[0]?.list ?? 0) };
  }

  private creditKey(tenantId: string): string {
    return this.keys.key('cr', tenantId);
  }

  private holdKey(tenantId: string): string {
    return this.keys.key('hold', tenantId);
  }

  private spendKey(keyId: string): string {
    return this.keys.key('ks', keyId);
  }

  private monthKey(tenantId: string, month: string): string {
    return this.keys.key('bm', tenantId, month);
  }
}

function member(holder: Holder): string {
  return `${holder.tenantId}|${holder.keyId}|${holder.generationId}|${holder.month}`;
}
