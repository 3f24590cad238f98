import type { Redis } from 'ioredis';
import { CreditStore, monthKeyAt, SLOT_LEASE_SIZE } from '@gw/billing';
import { CONFIG, type Config } from '@gw/config';
import { Database } from '@gw/db';
import { REDIS, RedisKeys } from '@gw/queue';
import { until } from '@gw/testing';
import { call, startTestApp, type TestApp } from '../testing/test-app';

const password = 'a-long-enough-secret-9';
const KEY_ID = '00000000-0000-4000-8000-000000000001';

/**
 * Per-instance leases of the BYOK free allowance (SlotLeases): slots handed out from memory, each
 * settlement giving its slot back in Redis, never more free slots than the month has, and a dead
 * instance's lease released by the expiry job. Two CreditStores on one Redis play two instances.
 */
describe('BYOK free-slot leases', () => {
  let app: TestApp;
  let redis: Redis;
  let keys: RedisKeys;
  let counter = 0;
  const month = monthKeyAt(Date.now());

  beforeAll(async () => {
    // No signup credits: a BYOK request that finds no free slot cannot pay the fee.
    app = await startTestApp({ env: { SIGNUP_CREDITS: '0' } });
    redis = app.app.get(REDIS);
    keys = app.app.get(RedisKeys);
  });
  afterAll(async () => {
    await app.close();
  });

  const tenant = async (): Promise<string> => {
    counter += 1;
    const res = await call(app.url, 'POST', '/api/auth/signup', {
      body: { email: `lease${String(counter)}@example.com`, password },
    });
    expect(res.status).toBe(201);
    return res.body.tenant.id as string;
  };
  const secondInstance = () => new CreditStore(redis, keys, app.app.get(Database), app.app.get<Config>(CONFIG));
  const holder = (tenantId: string, generationId: string) => ({ tenantId, keyId: KEY_ID, generationId, month });
  const reserve = (
    store: CreditStore,
    tenantId: string,
    generationId: string,
    freeRequests: number,
    freeMicros: bigint | null = null,
  ) =>
    store.reserve({
      holder: holder(tenantId, generationId),
      needMicros: 10n,
      byok: true,
      allowance: { freeRequests, freeMicros },
      keyLimitMicros: null,
    });
  const settle = (store: CreditStore, tenantId: string, generationId: string, freeRequests: number) =>
    store.settle({
      holder: holder(tenantId, generationId),
      chargeMicros: 10n,
      byok: true,
      countsTowardAllowance: true,
      listMicros: 200n,
      allowance: { freeRequests, freeMicros: null },
      stream: keys.key('test', 'lease-records'),
      record: JSON.stringify({ id: generationId }),
    });
  const hold = (tenantId: string) => redis.hgetall(keys.key('hold', tenantId));
  const inFlight = async (tenantId: string) => Number((await redis.hget(keys.key('bm', tenantId, month), 'infl')) ?? 0);
  const leaseMembers = async (tenantId: string) =>
    (await redis.zrange(keys.key('resv'), 0, -1)).filter((m) => m.startsWith(`${tenantId}|-|lease.`));

  it('hands out free slots from one lease, and each settlement gives its slot back', async () => {
    const store = secondInstance();
    const tenantId = await tenant();
    // The first request reserves the usual way (and loads the month); the lease follows.
    expect(await reserve(store, tenantId, 'gen-first', 1_000_000)).toEqual({ ok: true });
    await until('the lease', () => store.slotLeases.inHand() === SLOT_LEASE_SIZE);
    for (let i = 0; i < 10; i++) expect(await reserve(store, tenantId, `gen-${String(i)}`, 1_000_000)).toEqual({ ok: true });
    const fields = await hold(tenantId);
    // One reservation of its own for the first request, one lease for the other ten.
    expect(Object.keys(fields).sort()).toEqual(['r:gen-first', expect.stringMatching(/^r:lease\./)]);
    expect(Object.entries(fields).find(([field]) => field.startsWith('r:lease.'))?.[1]).toBe(`0|${String(SLOT_LEASE_SIZE)}`);
    expect(await inFlight(tenantId)).toBe(1 + SLOT_LEASE_SIZE);
    expect(store.slotLeases.inHand()).toBe(SLOT_LEASE_SIZE - 10);

    for (let i = 0; i < 10; i++) {
      expect(await settle(store, tenantId, `gen-${String(i)}`, 1_000_000)).toEqual({ chargeMicros: 0n, waived: true });
    }
    await settle(store, tenantId, 'gen-first', 1_000_000);
    expect(await inFlight(tenantId)).toBe(SLOT_LEASE_SIZE - 10);
    expect(await redis.hget(keys.key('bm', tenantId, month), 'req')).toBe('11');

    // Idle: the lease goes back to the month, with its place in the reservations.
    await store.slotLeases.tend(Date.now() + 60_000);
    expect(await inFlight(tenantId)).toBe(0);
    expect(await hold(tenantId)).toEqual({});
    expect(await leaseMembers(tenantId)).toEqual([]);
    await store.beforeApplicationShutdown();
  });

  it('never hands out more free slots than the month has, over two instances', async () => {
    const [one, two] = [secondInstance(), secondInstance()];
    const tenantId = await tenant();
    const free = 300;
    let granted: string[] = [];
    for (let wave = 0; wave < 10; wave++) {
      const outcomes = await Promise.all(
        Array.from({ length: 40 }, async (_, i) => {
          const id = `gen-${String(wave)}-${String(i)}`;
          const outcome = await reserve(i % 2 === 0 ? one : two, tenantId, id, free);
          return outcome.ok ? id : null;
        }),
      );
      granted = [...granted, ...outcomes.filter((id): id is string => id !== null)];
    }
    // Lease calls still on their way settle first.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(granted.length).toBeLessThanOrEqual(free);
    // Slots the leases still hold unused are the only ones not granted.
    expect(granted.length + one.slotLeases.inHand() + two.slotLeases.inHand()).toBe(free);

    const settled = await Promise.all(
      granted.map((id, i) =>
        settle(Number(id.split('-')[2]) % 2 === 0 ? one : two, tenantId, id, free).then((s) => [i, s] as const),
      ),
    );
    expect(settled.every(([, s]) => s.waived && s.chargeMicros === 0n)).toBe(true);
    await Promise.all([one.beforeApplicationShutdown(), two.beforeApplicationShutdown()]);
    expect(await inFlight(tenantId)).toBe(0);
    expect(await redis.hget(keys.key('bm', tenantId, month), 'req')).toBe(String(granted.length));
    expect(await leaseMembers(tenantId)).toEqual([]);
  });

  it('takes no lease near the end of the allowance, nor with a USD allowance', async () => {
    const store = secondInstance();
    const tenantId = await tenant();
    for (let i = 0; i < 5; i++) expect(await reserve(store, tenantId, `gen-small-${String(i)}`, 100)).toEqual({ ok: true });
    for (let i = 0; i < 5; i++) {
      expect(await reserve(store, tenantId, `gen-usd-${String(i)}`, 1_000_000, 5_000_000n)).toEqual({ ok: true });
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(store.slotLeases.inHand()).toBe(0);
    expect(Object.keys(await hold(tenantId)).filter((field) => field.startsWith('r:lease.'))).toEqual([]);
    expect(await inFlight(tenantId)).toBe(10);
    await store.beforeApplicationShutdown();
  });

  it("releases a dead instance's lease, slots taken by unsettled requests included, once it expires", async () => {
    const store = secondInstance();
    const tenantId = await tenant();
    await reserve(store, tenantId, 'gen-dead-first', 1_000_000);
    await until('the lease', () => store.slotLeases.inHand() === SLOT_LEASE_SIZE);
    for (let i = 0; i < 3; i++) await reserve(store, tenantId, `gen-dead-${String(i)}`, 1_000_000);
    expect(await inFlight(tenantId)).toBe(1 + SLOT_LEASE_SIZE);
    // The instance dies here: nothing settles, nothing is given back.
    store.slotLeases.stop();
    const credits = app.app.get(CreditStore);
    expect(await credits.expire(Date.now() + app.config.RESERVATION_TTL_SECONDS * 1000 + 1)).toBeGreaterThanOrEqual(2);
    expect(await inFlight(tenantId)).toBe(0);
    expect(await hold(tenantId)).toEqual({});
    expect(await leaseMembers(tenantId)).toEqual([]);
  });
});
