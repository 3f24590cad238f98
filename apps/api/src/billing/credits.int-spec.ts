import { AccountsService } from '@gw/accounts';
import { CreditStore } from '@gw/billing';
import { Database } from '@gw/db';
import { Secret } from '@gw/kernel';
import { FakeOpenRouter } from '@gw/testing';
import { call, startTestApp, type TestApp } from '../testing/test-app';

const password = 'a-long-enough-secret-9';
const MODEL = 'openai/gpt-4o-mini';
/** Every fake answer: 20 completion tokens; with the test price that is 200 micro-USD. */
const USAGE = { prompt_tokens: 10, completion_tokens: 20 };
const PER_REQUEST_USD = 0.0002;

interface Tenant {
  id: string;
  session: string;
  recoveryKey: string;
}

/**
 * Reserve -> settle through the real HTTP path on two instances sharing Postgres and Redis
 * (SPEC section 6, the billing issue's acceptance 2 and 4).
 */
describe('credits: reserve, settle, BYOK fee', () => {
  let openrouter: FakeOpenRouter;
  let a: TestApp;
  let b: TestApp;
  let admin: string;
  let counter = 0;

  const signup = async (): Promise<Tenant> => {
    counter += 1;
    const res = await call(a.url, 'POST', '/api/auth/signup', { body: { email: `t${String(counter)}@example.com`, password } });
    expect(res.status).toBe(201);
    return { id: res.body.tenant.id, session: res.body.token, recoveryKey: res.body.recoveryKey };
  };
  const grant = async (tenant: Tenant, amount: number): Promise<void> => {
    const res = await call(a.url, 'POST', `/api/admin/tenants/${tenant.id}/credits`, {
      token: admin,
      body: { amount, reason: 'test', idempotencyKey: `grant-${tenant.id}-${String(amount)}` },
    });
    expect(res.status).toBe(201);
  };
  const key = async (tenant: Tenant, body: Record<string, unknown> = {}): Promise<string> => {
    const res = await call(a.url, 'POST', '/api/keys', { token: tenant.session, body: { name: 'k', ...body } });
    expect(res.status).toBe(201);
    return res.body.key;
  };
  const chat = (base: string, gatewayKey: string, extra: Record<string, unknown> = {}) =>
    call(base, 'POST', '/v1/chat/completions', {
      token: gatewayKey,
      body: { model: MODEL, max_tokens: 20, messages: [{ role: 'user', content: 'hi' }], ...extra },
    });
  const ledgerSum = async (tenantId: string) => {
    const { rows } = await a.app.get(Database).pool.query<{ sum: string | null; balance: string | null }>(
      `SELECT (SELECT sum(amount_micros) FROM ledger_entries WHERE tenant_id = $1) AS sum,
                (SELECT balance_micros FROM tenant_balances WHERE tenant_id = $1) AS balance`,
      [tenantId],
    );
    return { sum: BigInt(rows[0]?.sum ?? 0), balance: BigInt(rows[0]?.balance ?? 0) };
  };

  beforeAll(async () => {
    openrouter = await FakeOpenRouter.start();
    openrouter.setDefault({ kind: 'ok', usage: USAGE });
    const env = {
      OPENROUTER_BASE_URL: openrouter.baseUrl,
      OPENROUTER_API_KEY: 'platform-or-key',
      ALLOW_PRIVATE_UPSTREAMS: 'true',
      SIGNUP_CREDITS: '0',
    };
    a = await startTestApp({ worker: true, env });
    await a.app.get(AccountsService).ensureAdmin('root@example.com', new Secret(password));
    admin = (await call(a.url, 'POST', '/api/auth/login', { body: { email: 'root@example.com', password } })).body.token;
    // 0 per prompt token and 10 micro-USD per completion token: the reservation for max_tokens 20
    // equals the charge of the fake's 20-token answer, so "credits for exactly N requests" is exact.
    const priced = await call(a.url, 'PUT', '/api/admin/pricing', {
      token: admin,
      body: { id: MODEL, prompt: 0, completion: 10 },
    });
    expect(priced.status).toBe(200);
    // Started after the price change, so both instances price alike from the first request.
    b = await startTestApp({ shareWith: a, env });
  });
  afterAll(async () => {
    await b.close();
    await a.close();
    await openrouter.close();
  });
  beforeEach(() => {
    openrouter.reset();
    openrouter.setDefault({ kind: 'ok', usage: USAGE });
  });

  it('answers 402 before any upstream call when the balance cannot cover the worst case', async () => {
    const tenant = await signup();
    const gatewayKey = await key(tenant);
    const res = await chat(a.url, gatewayKey);
    expect(res.status).toBe(402);
    expect(res.body.error).toMatchObject({ code: 402 });
    expect(res.body.error.message).toMatch(/credits/i);
    expect(openrouter.requests).toHaveLength(0);
  });

  it('charges the price once, reports it in usage.cost, and the ledger sums to the balance', async () => {
    const tenant = await signup();
    await grant(tenant, 1);
    const gatewayKey = await key(tenant);
    const res = await chat(a.url, gatewayKey);
    expect(res.status).toBe(200);
    expect(res.body.usage).toMatchObject({
      prompt_tokens: 10,
      completion_tokens: 20,
      cost: PER_REQUEST_USD,
      is_byok: false,
      cost_details: { upstream_inference_cost: PER_REQUEST_USD },
    });
    const streamed = await call(a.url, 'POST', '/v1/chat/completions', {
      token: gatewayKey,
      body: { model: MODEL, max_tokens: 20, stream: true, messages: [{ role: 'user', content: 'hi' }] },
    });
    const chunks = String(streamed.body)
      .split('\n\n')
      .filter((line) => line.startsWith('data: {'))
      .map((line) => JSON.parse(line.slice(6)) as { usage?: { cost: number } });
    expect(chunks.at(-1)?.usage?.cost).toBe(PER_REQUEST_USD);

    await a.drainGenerations();
    const generation = await call(a.url, 'GET', `/v1/generation?id=${String(res.body.id)}`, { token: gatewayKey });
    expect(generation.body.data).toMatchObject({
      cost: PER_REQUEST_USD,
      upstream_inference_cost: PER_REQUEST_USD,
      is_byok: false,
    });
    const ledger = await call(a.url, 'GET', '/api/billing/ledger', { token: tenant.session });
    const charges = (ledger.body.data as { kind: string; generationId: string | null; amount: number }[]).filter(
      (entry) => entry.kind === 'charge',
    );
    expect(charges).toHaveLength(2);
    expect(charges.find((entry) => entry.generationId === res.body.id)?.amount).toBe(-PER_REQUEST_USD);
    const balance = await call(a.url, 'GET', '/api/billing/balance', { token: tenant.session });
    expect(balance.body).toMatchObject({ balance: 1 - 2 * PER_REQUEST_USD, reserved: 0 });
    const { sum, balance: stored } = await ledgerSum(tenant.id);
    expect(sum).toBe(stored);
    const credits = await call(a.url, 'GET', '/v1/credits', { token: gatewayKey });
    expect(credits.body.data).toEqual({ total_credits: 1, total_usage: 2 * PER_REQUEST_USD });
    const current = await call(a.url, 'GET', '/v1/key', { token: gatewayKey });
    expect(current.body.data).toMatchObject({ usage: 2 * PER_REQUEST_USD, limit: null, limit_remaining: null });
  });

  it('charges a model the catalogue does not price what OpenRouter reported, to the exact micro-USD', async () => {
    const tenant = await signup();
    await grant(tenant, 2);
    const gatewayKey = await key(tenant);
    // 0.000123 * 1e6 is 123.00000000000001 in a double: a naive round-up would charge 124.
    openrouter.setDefault({ kind: 'ok', usage: { ...USAGE, cost: 0.000123 } });
    const res = await chat(a.url, gatewayKey, { model: 'openrouter:acme/unlisted-model' });
    expect(res.status).toBe(200);
    expect(res.body.usage).toMatchObject({ cost: 0.000123, is_byok: false });
    await a.drainGenerations();
    const { balance } = await ledgerSum(tenant.id);
    expect(balance).toBe(2_000_000n - 123n);
  });

  it('states the charge it could take when OpenRouter reports more than the balance holds: cost, ledger and record agree', async () => {
    const tenant = await signup();
    await grant(tenant, 2);
    const gatewayKey = await key(tenant);
    openrouter.setDefault({ kind: 'ok', usage: { ...USAGE, cost: 3 } });
    const res = await chat(a.url, gatewayKey, { model: 'openrouter:acme/unlisted-model' });
    expect(res.status).toBe(200);
    expect(res.body.usage).toMatchObject({ cost: 2, is_byok: false, cost_details: { upstream_inference_cost: 3 } });
    await a.drainGenerations();
    const generation = await call(a.url, 'GET', `/v1/generation?id=${String(res.body.id)}`, { token: gatewayKey });
    expect(generation.body.data).toMatchObject({ cost: 2 });
    const { sum, balance } = await ledgerSum(tenant.id);
    expect({ sum, balance }).toEqual({ sum: 0n, balance: 0n });
    openrouter.setDefault({ kind: 'ok', usage: USAGE });
  });

  it.each([
    ['negative', { prompt_tokens: -5, completion_tokens: 20 }],
    ['fractional', { prompt_tokens: 10, completion_tokens: 2.5 }],
    ['absurd', { prompt_tokens: 10, completion_tokens: 1e300 }],
  ])('bills an answer whose upstream usage is %s on an estimate, as one without usage', async (_name, usage) => {
    const tenant = await signup();
    await grant(tenant, 1);
    const gatewayKey = await key(tenant);
    openrouter.setDefault({ kind: 'ok', usage, content: 'x'.repeat(40) });
    for (const stream of [false, true]) {
      const res = await chat(a.url, gatewayKey, { stream });
      expect(res.status).toBe(200);
      const body = stream
        ? (String(res.body)
            .split('\n\n')
            .filter((line) => line.startsWith('data: {'))
            .map((line) => JSON.parse(line.slice(6)) as { usage?: Record<string, number> })
            .at(-1) ?? {})
        : (res.body as { usage?: Record<string, number> });
      // 40 characters delivered, about four per token; 10 micro-USD per completion token.
      expect(body.usage).toMatchObject({ completion_tokens: 10, cost: 0.0001 });
    }
    await a.drainGenerations();
    const { sum, balance } = await ledgerSum(tenant.id);
    expect(balance).toBe(1_000_000n - 200n);
    expect(sum).toBe(balance);
  });

  it("answers 403 when a key's credit limit cannot cover the request, fees and charges included", async () => {
    const tenant = await signup();
    await grant(tenant, 1);
    const limited = await key(tenant, { creditLimit: 0.0003 });
    expect((await chat(a.url, limited)).status).toBe(200);
    const over = await chat(b.url, limited);
    expect(over.status).toBe(403);
    expect(over.body.error.message).toMatch(/credit limit/i);
    expect(openrouter.requests).toHaveLength(1);
    const current = await call(a.url, 'GET', '/v1/key', { token: limited });
    expect(current.body.data).toMatchObject({ usage: PER_REQUEST_USD, limit: 0.0003, limit_remaining: 0.0001 });
  });

  it('with credits for exactly 50 requests, 200 concurrent requests over two instances: 50 succeed, 150 get 402', async () => {
    const tenant = await signup();
    await grant(tenant, 50 * PER_REQUEST_USD);
    const gatewayKey = await key(tenant);
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => chat(i % 2 === 0 ? a.url : b.url, gatewayKey)));
    const statuses = results.map((res) => res.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(50);
    expect(statuses.filter((status) => status === 402)).toHaveLength(150);
    expect(openrouter.requests).toHaveLength(50);

    await a.drainGenerations();
    const { sum, balance } = await ledgerSum(tenant.id);
    expect(balance).toBe(0n);
    expect(sum).toBe(balance);
    const db = a.app.get(Database);
    const { rows: doubles } = await db.pool.query(
      `SELECT generation_id FROM ledger_entries WHERE tenant_id = $1 AND generation_id IS NOT NULL
        GROUP BY generation_id HAVING count(*) > 1`,
      [tenant.id],
    );
    expect(doubles).toHaveLength(0);
    const { rows: charged } = await db.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM ledger_entries WHERE tenant_id = $1 AND kind = 'charge'`,
      [tenant.id],
    );
    expect(Number(charged[0]?.n)).toBe(50);
    const okIds = results.filter((res) => res.status === 200).map((res) => String(res.body.id));
    const { rows: matched } = await db.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM ledger_entries WHERE generation_id = ANY($1::text[])`,
      [okIds],
    );
    expect(Number(matched[0]?.n)).toBe(50);
    expect(await a.app.get(CreditStore).heldMicros(tenant.id)).toBe(0n);
  });

  it('BYOK: the first 3 requests of the month are free, the 4th pays rate x price, a fallback to credits pays the full price', async () => {
    expect(
      (await call(a.url, 'PUT', '/api/admin/settings', { token: admin, body: { byokFeeRate: 0.5, byokFreeRequestsPerMonth: 3 } }))
        .status,
    ).toBe(200);
    // The second instance picks the settings up on its catalogue refresh; this test uses the first.
    try {
      const tenant = await signup();
      await grant(tenant, 1);
      const vaultKey = await key(tenant, { vaultAccess: { recoveryKey: tenant.recoveryKey } });
      const added = await call(a.url, 'POST', '/api/provider-keys', {
        token: tenant.session,
        body: { provider: 'openrouter', secret: 'tenant-or-key' },
      });
      expect(added.status).toBe(201);

      const costs: number[] = [];
      for (let i = 0; i < 4; i++) {
        const res = await chat(a.url, vaultKey);
        expect(res.status).toBe(200);
        expect(res.body.usage).toMatchObject({ is_byok: true, cost_details: { upstream_inference_cost: PER_REQUEST_USD } });
        costs.push(res.body.usage.cost);
      }
      expect(costs).toEqual([0, 0, 0, PER_REQUEST_USD * 0.5]);
      expect(openrouter.requests.map((r) => r.credential)).toEqual(Array(4).fill('tenant-or-key'));

      openrouter.script('tenant-or-key', { kind: 'status', status: 429 });
      const fallback = await chat(a.url, vaultKey);
      expect(fallback.status).toBe(200);
      expect(fallback.body.usage).toMatchObject({ is_byok: false, cost: PER_REQUEST_USD });

      await a.drainGenerations();
      const generation = await call(a.url, 'GET', `/v1/generation?id=${String(fallback.body.id)}`, { token: vaultKey });
      expect(generation.body.data).toMatchObject({
        is_byok: false,
        fallback: true,
        cost: PER_REQUEST_USD,
        attempts: [
          { provider: 'openrouter', byok: true, outcome: 'rate_limited', status: 429 },
          { provider: 'openrouter', byok: false, outcome: 'ok', status: 200 },
        ],
      });
      const ledger = await call(a.url, 'GET', '/api/billing/ledger', { token: tenant.session });
      // One batch posts both charges at the same instant: compare without their order.
      const kinds = (ledger.body.data as { kind: string; amount: number }[]).map((entry) => [entry.kind, entry.amount]).sort();
      expect(kinds).toEqual([
        ['byok_fee', -PER_REQUEST_USD * 0.5],
        ['charge', -PER_REQUEST_USD],
        ['grant', 1],
      ]);
      const balance = await call(a.url, 'GET', '/api/billing/balance', { token: tenant.session });
      expect(balance.body.byokAllowance).toMatchObject({ requestsUsed: 4, freeRequests: 3, usdUsed: 4 * PER_REQUEST_USD });
      const { sum, balance: stored } = await ledgerSum(tenant.id);
      expect(sum).toBe(stored);
    } finally {
      await call(a.url, 'PUT', '/api/admin/settings', {
        token: admin,
        body: { byokFeeRate: 0.05, byokFreeRequestsPerMonth: 1_000_000 },
      });
    }
  });

  it('inside the free allowance a BYOK request needs no balance; outside it the fee must be coverable', async () => {
    const tenant = await signup();
    const patched = await call(a.url, 'PATCH', `/api/admin/tenants/${tenant.id}`, {
      token: admin,
      body: { byokFreeRequestsPerMonth: 1, byokFeeRate: 0.5 },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.overrides).toMatchObject({ byokFreeRequestsPerMonth: 1, byokFeeRate: 0.5 });
    const vaultKey = await key(tenant, { vaultAccess: { recoveryKey: tenant.recoveryKey } });
    await call(a.url, 'POST', '/api/provider-keys', {
      token: tenant.session,
      body: { provider: 'openrouter', secret: 'tenant-or-key-2', alwaysUse: true },
    });
    const free = await chat(a.url, vaultKey);
    expect(free.status).toBe(200);
    expect(free.body.usage).toMatchObject({ cost: 0, is_byok: true });
    const paid = await chat(b.url, vaultKey);
    expect(paid.status).toBe(402);
    expect(openrouter.requests).toHaveLength(1);
  });

  it('a BYOK failure whose credits fallback cannot be covered answers 402 after the one upstream call', async () => {
    const tenant = await signup();
    const vaultKey = await key(tenant, { vaultAccess: { recoveryKey: tenant.recoveryKey } });
    await call(a.url, 'POST', '/api/provider-keys', {
      token: tenant.session,
      body: { provider: 'openrouter', secret: 'tenant-or-key-3' },
    });
    openrouter.script('tenant-or-key-3', { kind: 'status', status: 429 });
    const res = await chat(a.url, vaultKey);
    expect(res.status).toBe(402);
    expect(openrouter.requests.map((r) => r.credential)).toEqual(['tenant-or-key-3']);
    expect(await a.app.get(CreditStore).heldMicros(tenant.id)).toBe(0n);
  });

  it('charges a stream cut mid-way for what was delivered, once', async () => {
    const tenant = await signup();
    await grant(tenant, 1);
    const gatewayKey = await key(tenant);
    openrouter.script('platform-or-key', { kind: 'drop-mid-stream', afterChunks: 2 });
    const res = await call(a.url, 'POST', '/v1/chat/completions', {
      token: gatewayKey,
      body: { model: MODEL, max_tokens: 20, stream: true, messages: [{ role: 'user', content: 'tell me something long' }] },
    });
    expect(res.status).toBe(200);
    const events = String(res.body)
      .split('\n\n')
      .filter((line) => line.startsWith('data: {'))
      .map((line) => JSON.parse(line.slice(6)) as { id: string; usage?: { cost: number; completion_tokens: number } });
    const last = events.at(-1);
    expect(last?.usage?.completion_tokens).toBeGreaterThan(0);
    const charged = last?.usage?.cost ?? 0;
    expect(charged).toBeGreaterThan(0);
    expect(charged).toBeLessThanOrEqual(PER_REQUEST_USD);

    await a.drainGenerations();
    const id = String(events[0]?.id);
    const generation = await call(a.url, 'GET', `/v1/generation?id=${id}`, { token: gatewayKey });
    expect(generation.body.data).toMatchObject({ status: 'error', cost: charged });
    const ledger = await call(a.url, 'GET', '/api/billing/ledger', { token: tenant.session });
    expect((ledger.body.data as { generationId: string | null }[]).filter((e) => e.generationId === id)).toHaveLength(1);
    expect(await a.app.get(CreditStore).heldMicros(tenant.id)).toBe(0n);
  });

  it('releases reservations an instance never settled once they expire', async () => {
    const tenant = await signup();
    await grant(tenant, 1);
    const credits = a.app.get(CreditStore);
    const before = await credits.openReservations();
    const reserved = await credits.reserve({
      holder: {
        tenantId: tenant.id,
        keyId: '00000000-0000-4000-8000-000000000000',
        generationId: 'gen-orphan',
        month: '2026-11',
      },
      needMicros: 5_000n,
      byok: false,
      allowance: { freeRequests: 0, freeMicros: null },
      keyLimitMicros: null,
    });
    expect(reserved).toEqual({ ok: true });
    expect(await credits.heldMicros(tenant.id)).toBe(5_000n);
    expect(await credits.expire(Date.now())).toBe(0);
    expect(await credits.expire(Date.now() + a.config.RESERVATION_TTL_SECONDS * 1000 + 1)).toBeGreaterThanOrEqual(1);
    expect(await credits.heldMicros(tenant.id)).toBe(0n);
    expect(await credits.openReservations()).toBeLessThanOrEqual(before);
  });
});
