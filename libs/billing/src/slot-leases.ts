import { randomUUID } from 'node:crypto';
import type { RedisBatch } from '@gw/queue';

/** Free slots one lease asks for. */
export const SLOT_LEASE_SIZE = 64;
/** A lease is taken only while the month keeps this many more free requests (so at most a quarter of them is leased per instance). */
export const SLOT_LEASE_MARGIN = 3 * SLOT_LEASE_SIZE;
/** Below this many slots in hand the lease is topped up in the background. */
const LOW_WATER = SLOT_LEASE_SIZE / 4;
/** A lease no request used for this long goes back to the month. */
const IDLE_MS = 10_000;
/** After the month refused to grow a lease (too few free requests left), wait this long before asking again. */
const REFUSED_BACKOFF_MS = 5_000;

/** Where one tenant's month lives in Redis (the credit store's key names). */
export interface SlotLeaseKeys {
  readonly hold: string;
  readonly month: string;
  readonly reservations: string;
}

interface Lease {
  readonly tenantId: string;
  readonly month: string;
  readonly gen: string;
  readonly member: string;
  readonly keys: SlotLeaseKeys;
  /** Slots in hand: taken by requests without a round trip. */
  available: number;
  /** Slots taken by requests that have not sent their settlement yet. */
  unsettled: number;
  /** A lease call is on its way: requests reserve the usual way until it answers. */
  busy: boolean;
  freeRequests: number;
  lastUsed: number;
  renewedAt: number;
  /** No growth asked before this time (the month refused the last one). */
  growAfter: number;
}

/** What a settlement passes to Redis for a request that took a leased slot. */
export interface LeasedSlot {
  readonly gen: string;
  readonly member: string;
  /** When the lease's reservation expires in Redis unless renewed (ms since the epoch). */
  readonly expiresAt: number;
}

/**
 * Per-instance leases of the BYOK free allowance. Inside the month's free allowance a BYOK request
 * only needs a free slot (no credits), and taking one from Redis cost every such request a round
 * trip before its upstream call. An instance instead holds a few dozen slots per tenant and month
 * as one reservation, hands them out from memory, and each settlement returns its slot to Redis in
 * the same atomic step that decides the waiver. Leases are reservations like any other: counted in
 * the month's `infl` (so no burst across instances can overrun the allowance), listed in `resv`
 * with an expiry (a crashed instance's lease is released by the expiry job), renewed while used and
 * given back when idle or at shutdown. None is taken near the end of the allowance, nor with a USD
 * allowance (a slot's worth in USD is not known before the request).
 */
export class SlotLeases {
  private readonly instance = randomUUID();
  private readonly leases = new Map<string, Lease>();
  /** Generation id -> the lease its slot came from, until its settlement. */
  private readonly taken = new Map<string, Lease>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly batch: RedisBatch,
    private readonly keysOf: (tenantId: string, month: string) => SlotLeaseKeys,
    private readonly ttlMs: number,
  ) {
    this.timer = setInterval(() => void this.tend(Date.now()), Math.min(5_000, Math.max(250, ttlMs / 4)));
    this.timer.unref();
  }

  /**
   * A free slot for this generation without a round trip, if the instance holds one (or the
   * generation already took one). Starts or tops up the lease in the background either way.
   */
  take(tenantId: string, month: string, generationId: string, freeRequests: number, now = Date.now()): boolean {
    if (this.taken.has(generationId)) return true;
    if (freeRequests < SLOT_LEASE_SIZE + SLOT_LEASE_MARGIN) return false;
    const lease = this.leaseFor(tenantId, month, freeRequests);
    lease.lastUsed = now;
    lease.freeRequests = freeRequests;
    const granted = !lease.busy && lease.available > 0;
    if (granted) {
      lease.available -= 1;
      lease.unsettled += 1;
      this.taken.set(generationId, lease);
    }
    this.topUp(lease, now);
    return granted;
  }

  /** The month's counters were just loaded: a lease that could not start without them starts now. */
  monthLoaded(tenantId: string, month: string, now = Date.now()): void {
    const lease = this.leases.get(`${tenantId}|${month}`);
    if (lease) this.topUp(lease, now);
  }

  /** Called as the generation's settlement is sent: the lease it returns its slot to, if any. */
  settle(generationId: string): LeasedSlot | null {
    const lease = this.taken.get(generationId);
    if (!lease) return null;
    this.taken.delete(generationId);
    lease.unsettled -= 1;
    return { gen: lease.gen, member: lease.member, expiresAt: lease.renewedAt + this.ttlMs };
  }

  /** Slots this instance holds in hand across its leases (tests, metrics). */
  inHand(): number {
    let total = 0;
    for (const lease of this.leases.values()) total += lease.available;
    return total;
  }

  /** Renews leases in use, gives back idle ones (and last month's). Runs on a timer. */
  async tend(now: number): Promise<void> {
    const work: Promise<void>[] = [];
    for (const lease of this.leases.values()) {
      if (lease.busy) continue;
      if (now - lease.lastUsed > IDLE_MS) work.push(this.resize(lease, lease.unsettled, now));
      else if (now - lease.renewedAt > this.ttlMs / 3) work.push(this.resize(lease, lease.unsettled + lease.available, now));
    }
    await Promise.all(work);
  }

  /** Stops renewing and giving back leases (what a crash does; tests). */
  stop(): void {
    clearInterval(this.timer);
  }

  /** Gives back every slot not taken by a request in flight (shutdown). */
  async releaseAll(): Promise<void> {
    this.stop();
    await Promise.all([...this.leases.values()].map((lease) => this.resize(lease, lease.unsettled, Date.now())));
  }

  /** In the background, when few slots are left in hand (and the month did not just refuse). */
  private topUp(lease: Lease, now: number): void {
    if (!lease.busy && lease.available < LOW_WATER && now >= lease.growAfter) {
      void this.resize(lease, lease.unsettled + SLOT_LEASE_SIZE, now);
    }
  }

  private leaseFor(tenantId: string, month: string, freeRequests: number): Lease {
    const id = `${tenantId}|${month}`;
    let lease = this.leases.get(id);
    if (!lease) {
      const gen = `lease.${this.instance}.${month}`;
      lease = {
        tenantId,
        month,
        gen,
        // The expiry job reads tenant, key, generation and month from the member; a lease has no key.
        member: `${tenantId}|-|${gen}|${month}`,
        keys: this.keysOf(tenantId, month),
        available: 0,
        unsettled: 0,
        busy: false,
        freeRequests,
        lastUsed: Date.now(),
        renewedAt: 0,
        growAfter: 0,
      };
      this.leases.set(id, lease);
    }
    return lease;
  }

  /**
   * Sets the lease to `target` slots in Redis (fewer when the month has no room) and renews its
   * expiry. What a request takes meanwhile comes from the usual reservation, so the slots in hand
   * are exactly what Redis holds beyond the requests still to settle.
   */
  private async resize(lease: Lease, target: number, now: number): Promise<void> {
    lease.busy = true;
    const unsettled = lease.unsettled;
    try {
      const result = (await this.batch.call('gwSlotLease', [
        lease.keys.hold,
        lease.keys.month,
        lease.keys.reservations,
        lease.gen,
        String(target),
        String(lease.freeRequests),
        String(SLOT_LEASE_MARGIN),
        now + this.ttlMs,
        lease.member,
      ])) as number[];
      // -3: the month's counters are not loaded yet; the next usual reservation loads them.
      lease.available = result[0] === 1 ? Math.max(0, (result[1] ?? 0) - unsettled) : 0;
      // Only a lease Redis took has a new expiry (settlements rely on it, see LeasedSlot).
      if (result[0] === 1) lease.renewedAt = now;
      if (result[0] === 1 && (result[1] ?? 0) < target) lease.growAfter = now + REFUSED_BACKOFF_MS;
    } catch {
      // Redis is unreachable: requests reserve the usual way (and fail the usual way).
      lease.available = 0;
    } finally {
      lease.busy = false;
    }
    if (lease.available === 0 && lease.unsettled === 0 && target === 0) this.leases.delete(`${lease.tenantId}|${lease.month}`);
  }
}
