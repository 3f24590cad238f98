import { Redis } from 'ioredis';
import { CreditStore, monthKeyAt, SLOT_LEASE_SIZE, type Settlement } from '@gw/billing';
import { CONFIG, type Config } from '@gw/config';
import { Database } from '@gw/db';
import { RedisKeys } from '@gw/queue';
import { ReplyGate, TEST_REDIS_URL, until } from '@gw/testing';
import { call, startTestApp, type TestApp } from '../testing/test-app';

const password = 'a-long-enough-secret-9';
const KEY_ID = '00000000-0000-4000-8000-000000000002';
const PENDING = Symbol('pending');

/**
 * A settlement whose outcome its rules fix in advance (a platform charge; a BYOK request holding a
 * free slot) is answered as soon as its step has left for Redis, without waiting for the reply; any
 * other waits for Redis to decide. The credit store under test talks to Redis through a proxy that
 * can hold Redis's replies, so "executed in Redis" and "the caller has its answer" are told apart.
 */
describe('Settlements answered before Redis replies', () => {
  let app: TestApp;
  let gate: ReplyGate;
  let gated: Redis;
  let direct: Redis;
  let keys: RedisKeys;
  let counter = 0;
  const month = monthKeyAt(Date.now());

  beforeAll(async () => {
    app = await startTestApp({ env: { SIGNUP_CREDITS: '1' } });
    keys = app.app.get(RedisKeys);
    const target = new URL(TEST_REDIS_URL);
    gate = await ReplyGate.start({ host: target.hostname, port: Number(target.port || 6379) });
    gated = new Redis({ host: '127.0.0.1', port: gate.port });
    direct = new Redis(TEST_REDIS_URL);
    await Promise.all([gated.ping(), direct.ping()]);
  });
  afterEach(() => gate.release());
  afterAll(async () => {
    gated.disconnect();
    direct.disconnect();
    await gate.close();
    await app.close();
  });

  const tenant = async (): Promise<string> => {
    counter += 1;
    const res = await call(app.url, 'POST', '/api/auth/signup', {
      body: { email: `answer${String(counter)}@example.com`, password },
    });
    expect(res.status).toBe(201);
    return res.body.tenant.id as string;
  };
  const newStore = () => new CreditStore(gated, keys, app.app.get(Database), app.app.get<Config>(CONFIG));
  const holder = (tenantId: string, generationId: string) => ({ tenantId, keyId: KEY_ID, generationId, month });
  const stream = (tenantId: string) => keys.key('test', 'answer-records', tenantId);
  const reserve = (store: CreditStore, tenantId: string, generationId: string, byok: boolean, freeRequests: number) =>
    store.reserve({
      holder: holder(tenantId, generationId),
      needMicros: 50n,
      byok,
      allowance: { freeRequests, freeMicros: null },
      keyLimitMicros: null,
    });
  const settle = (store: CreditStore, tenantId: string, generationId: string, byok: boolean, freeRequests: number) =>
    store.settle({
      holder: holder(tenantId, generationId),
      chargeMicros: byok ? 10n : 42n,
      byok,
      countsTowardAllowance: byok,
      listMicros: 200n,
      allowance: { freeRequests, freeMicros: null },
      stream: stream(tenantId),
      record: JSON.stringify({ id: generationId }),
    });
  const within = async <T>(promise: Promise<T>, ms: number): Promise<T | typeof PENDING> => {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        promise,
        new Promise<typeof PENDING>((resolve) => (timer = setTimeout(() => resolve(PENDING), ms))),
      ]);
    } finally {
      clearTimeout(timer);
    }
  };
  const records = (tenantId: string) => direct.xlen(stream(tenantId));
  const monthRequests = async (tenantId: string) => Number((await direct.hget(keys.key('bm', tenantId, month), 'req')) ?? 0);
  /** Settles one request through the gated connection, so that Redis has run SETTLE on it (see RedisBatch.send). */
  const warm = async (store: CreditStore): Promise<void> => {
    const tenantId = await tenant();
    expect(await reserve(store, tenantId, 'gen-warm', false, 0)).toEqual({ ok: true });
    expect(await settle(store, tenantId, 'gen-warm', false, 0)).toEqual<Settlement>({ chargeMicros: 42n, waived: false });
  };

  it('waits for the reply of the first settlement on a connection (the Redis behind it may lack the script)', async () => {
    const fresh = new Redis({ host: '127.0.0.1', port: gate.port });
    try {
      await fresh.ping();
      const sut = new CreditStore(fresh, keys, app.app.get(Database), app.app.get<Config>(CONFIG));
      const tenantId = await tenant();
      expect(await reserve(sut, tenantId, 'gen-first', false, 0)).toEqual({ ok: true });
      gate.hold();
      const settling = settle(sut, tenantId, 'gen-first', false, 0);
      expect(await within(settling, 300)).toBe(PENDING);
      expect(await records(tenantId)).toBe(1);
      gate.release();
      expect(await settling).toEqual<Settlement>({ chargeMicros: 42n, waived: false });
      // SETTLE has now run on this connection: the next one is answered before its reply.
      expect(await reserve(sut, tenantId, 'gen-second', false, 0)).toEqual({ ok: true });
      gate.hold();
      expect(await within(settle(sut, tenantId, 'gen-second', false, 0), 2_000)).toEqual<Settlement>({
        chargeMicros: 42n,
        waived: false,
      });
      gate.release();
      await sut.beforeApplicationShutdown();
    } finally {
      fresh.disconnect();
    }
  });

  it('answers a platform charge while Redis has executed the step but its reply is held', async () => {
    const sut = newStore();
    await warm(sut);
    const tenantId = await tenant();
    expect(await reserve(sut, tenantId, 'gen-paid', false, 0)).toEqual({ ok: true });
    gate.hold();
    const outcome = await within(settle(sut, tenantId, 'gen-paid', false, 0), 2_000);
    expect(outcome).toEqual<Settlement>({ chargeMicros: 42n, waived: false });
    // The step ran in Redis: the record is queued and its charge held until it is posted.
    await until('the record', async () => (await records(tenantId)) === 1);
    expect(await direct.hget(keys.key('hold', tenantId), 'p:gen-paid')).toBe('42');
    expect(await direct.hexists(keys.key('hold', tenantId), 'r:gen-paid')).toBe(0);
    await until('the held reply', () => gate.heldBytes() > 0);
    gate.release();
    await sut.beforeApplicationShutdown();
  });

  it('waits for the reply of a platform charge above what the generation reserved (Redis may cut it to the balance)', async () => {
    const sut = newStore();
    await warm(sut);
    const tenantId = await tenant();
    expect(await reserve(sut, tenantId, 'gen-over', false, 0)).toEqual({ ok: true });
    gate.hold();
    const settling = sut.settle({
      holder: holder(tenantId, 'gen-over'),
      chargeMicros: 51n,
      byok: false,
      countsTowardAllowance: false,
      listMicros: 51n,
      allowance: { freeRequests: 0, freeMicros: null },
      stream: stream(tenantId),
      record: JSON.stringify({ id: 'gen-over' }),
    });
    expect(await within(settling, 300)).toBe(PENDING);
    gate.release();
    expect((await settling).waived).toBe(false);
    await sut.beforeApplicationShutdown();
  });

  it('answers a BYOK request holding a free slot reserved in Redis as waived, before the reply', async () => {
    const sut = newStore();
    await warm(sut);
    const tenantId = await tenant();
    // An allowance this small takes no lease: the slot is a reservation of the request's own.
    expect(await reserve(sut, tenantId, 'gen-slot', true, 5)).toEqual({ ok: true });
    gate.hold();
    expect(await within(settle(sut, tenantId, 'gen-slot', true, 5), 2_000)).toEqual<Settlement>({
      chargeMicros: 0n,
      waived: true,
    });
    await until('the counted request', async () => (await monthRequests(tenantId)) === 1);
    expect(await direct.hexists(keys.key('hold', tenantId), 'p:gen-slot')).toBe(0);
    gate.release();
    await sut.beforeApplicationShutdown();
  });

  it("answers a BYOK request holding a slot from the instance's lease as waived, before the reply", async () => {
    const sut = newStore();
    await warm(sut);
    const tenantId = await tenant();
    expect(await reserve(sut, tenantId, 'gen-lease-first', true, 1_000_000)).toEqual({ ok: true });
    await until('the lease', () => sut.slotLeases.inHand() === SLOT_LEASE_SIZE);
    expect(await reserve(sut, tenantId, 'gen-leased', true, 1_000_000)).toEqual({ ok: true });
    gate.hold();
    expect(await within(settle(sut, tenantId, 'gen-leased', true, 1_000_000), 2_000)).toEqual<Settlement>({
      chargeMicros: 0n,
      waived: true,
    });
    await until('the counted request', async () => (await monthRequests(tenantId)) === 1);
    gate.release();
    await settle(sut, tenantId, 'gen-lease-first', true, 1_000_000);
    await sut.beforeApplicationShutdown();
  });

  it('waits for Redis to decide a BYOK request without a free slot', async () => {
    const sut = newStore();
    const tenantId = await tenant();
    // No free requests: the attempt reserves the fee from the signup credits.
    expect(await reserve(sut, tenantId, 'gen-fee', true, 0)).toEqual({ ok: true });
    gate.hold();
    const settling = settle(sut, tenantId, 'gen-fee', true, 0);
    expect(await within(settling, 300)).toBe(PENDING);
    // Executed, but not answered: the caller learns the charge only from Redis.
    expect(await records(tenantId)).toBe(1);
    gate.release();
    expect(await settling).toEqual<Settlement>({ chargeMicros: 10n, waived: false });
    await sut.beforeApplicationShutdown();
  });

  it('honours a free slot granted at reservation even when the allowance shrank before settlement', async () => {
    const sut = newStore();
    const tenantId = await tenant();
    expect(await reserve(sut, tenantId, 'gen-shrunk', true, 5)).toEqual({ ok: true });
    // An admin set the tenant's free requests to 0 while the request was in flight.
    expect(await settle(sut, tenantId, 'gen-shrunk', true, 0)).toEqual<Settlement>({ chargeMicros: 0n, waived: true });
    await sut.beforeApplicationShutdown();
    expect(await direct.hexists(keys.key('hold', tenantId), 'p:gen-shrunk')).toBe(0);
    expect(await monthRequests(tenantId)).toBe(1);
    expect(app.logs.some((entry) => entry.includes('gen-shrunk'))).toBe(false);
  });

  it('logs a settlement whose reply disagrees with the answer it was given', async () => {
    const sut = newStore();
    await warm(sut);
    const tenantId = await tenant();
    expect(await reserve(sut, tenantId, 'gen-lost-slot', true, 5)).toEqual({ ok: true });
    // Behind the instance's back: the reservation is gone and the month's allowance used up.
    await direct.hdel(keys.key('hold', tenantId), 'r:gen-lost-slot');
    await direct.hset(keys.key('bm', tenantId, month), 'req', '5', 'infl', '0');
    expect(await settle(sut, tenantId, 'gen-lost-slot', true, 5)).toEqual<Settlement>({ chargeMicros: 0n, waived: true });
    await sut.beforeApplicationShutdown();
    const line = app.logs.find((entry) => entry.includes('gen-lost-slot'));
    expect(line).toMatch(/answered with a charge of 0 micro-USD but settled at 10/);
  });
});
