import { AccountsService } from '@gw/accounts';
import { Database } from '@gw/db';
import { Secret } from '@gw/kernel';
import { call, startTestApp, type TestApp } from '../testing/test-app';

const password = 'a-long-enough-secret-9';

describe('credits and the ledger', () => {
  let sut: TestApp;
  let admin: string;
  let alice: { token: string; tenantId: string; key: string };
  let bob: { token: string; tenantId: string };

  beforeAll(async () => {
    sut = await startTestApp({ env: { SIGNUP_CREDITS: '1.5' } });
    await sut.app.get(AccountsService).ensureAdmin('boss@example.com', new Secret(password));
    admin = (await call(sut.url, 'POST', '/api/auth/login', { body: { email: 'boss@example.com', password } })).body.token;
    const a = await call(sut.url, 'POST', '/api/auth/signup', { body: { email: 'alice@example.com', password } });
    const key = (await call(sut.url, 'POST', '/api/keys', { token: a.body.token, body: { name: 'k' } })).body.key;
    alice = { token: a.body.token, tenantId: a.body.tenant.id, key };
    const b = await call(sut.url, 'POST', '/api/auth/signup', { body: { email: 'bob@example.com', password } });
    bob = { token: b.body.token, tenantId: b.body.tenant.id };
  });
  afterAll(async () => {
    await sut.close();
  });

  it('starts new tenants with SIGNUP_CREDITS', async () => {
    expect((await call(sut.url, 'GET', '/api/billing/balance', { token: alice.token })).body).toMatchObject({
      balance: 1.5,
      reserved: 0,
      byokAllowance: { requestsUsed: 0, freeRequests: 1_000_000, usdUsed: 0, freeUsd: null },
    });
    const ledger = await call(sut.url, 'GET', '/api/billing/ledger', { token: alice.token });
    expect(ledger.body.data).toEqual([
      expect.objectContaining({ kind: 'grant', amount: 1.5, balanceAfter: 1.5, generationId: null, reason: 'signup credits' }),
    ]);
  });

  it('grants once per idempotency key, even when the same grant races with itself', async () => {
    const body = { amount: 10, reason: 'welcome bonus', idempotencyKey: 'grant-alice-0001' };
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        call(sut.url, 'POST', `/api/admin/tenants/${alice.tenantId}/credits`, { token: admin, body }),
      ),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 200)).toHaveLength(9);
    expect(new Set(results.map((r) => r.body.entry.id)).size).toBe(1);
    expect((await call(sut.url, 'GET', '/api/billing/balance', { token: alice.token })).body.balance).toBe(11.5);
    const reused = await call(sut.url, 'POST', `/api/admin/tenants/${alice.tenantId}/credits`, {
      token: admin,
      body: { ...body, amount: 99 },
    });
    expect(reused.status).toBe(409);
    expect(reused.body.error.metadata.field).toBe('idempotencyKey');
  });

  it('keeps the balance equal to the ledger sum and never below zero', async () => {
    const adjust = await call(sut.url, 'POST', `/api/admin/tenants/${alice.tenantId}/credits`, {
      token: admin,
      body: { amount: -0.25, reason: 'correction', idempotencyKey: 'adjust-alice-0001' },
    });
    expect(adjust.status).toBe(201);
    expect(adjust.body.entry).toEqual(expect.objectContaining({ kind: 'adjustment', amount: -0.25, balanceAfter: 11.25 }));
    const overdraw = await call(sut.url, 'POST', `/api/admin/tenants/${alice.tenantId}/credits`, {
      token: admin,
      body: { amount: -1000, reason: 'too much', idempotencyKey: 'adjust-alice-0002' },
    });
    expect(overdraw.status).toBe(402);
    const { rows } = await sut.app.get(Database).pool.query<{ sum: string; balance: string }>(
      `SELECT (SELECT sum(amount_micros) FROM ledger_entries WHERE tenant_id = $1)::text AS sum,
                (SELECT balance_micros FROM tenant_balances WHERE tenant_id = $1)::text AS balance`,
      [alice.tenantId],
    );
    expect(rows[0]?.sum).toBe(rows[0]?.balance);
    expect(rows[0]?.balance).toBe('11250000');
  });

  it('reports credits and usage on /v1/credits, per tenant', async () => {
    const credits = await call(sut.url, 'GET', '/v1/credits', { token: alice.key });
    expect(credits.body).toEqual({ data: { total_credits: 11.5, total_usage: 0.25 } });
    const bobLedger = await call(sut.url, 'GET', '/api/billing/ledger', { token: bob.token });
    expect(bobLedger.body.data).toHaveLength(1);
    expect((await call(sut.url, 'GET', '/api/billing/balance', { token: bob.token })).body.balance).toBe(1.5);
  });

  it('pages the ledger and validates grants', async () => {
    const first = await call(sut.url, 'GET', '/api/billing/ledger?limit=2', { token: alice.token });
    expect(first.body.data).toHaveLength(2);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await call(sut.url, 'GET', `/api/billing/ledger?limit=2&cursor=${String(first.body.nextCursor)}`, {
      token: alice.token,
    });
    expect(second.body.data).toHaveLength(1);
    expect(second.body.nextCursor).toBeNull();
    // A cursor is one of the tenant's own entries: another tenant's id, an unknown one or garbage is a 400.
    const bobEntry = (await call(sut.url, 'GET', '/api/billing/ledger', { token: bob.token })).body.data[0].id as string;
    for (const cursor of [bobEntry, '00000000-0000-4000-8000-000000000000', 'garbage']) {
      const res = await call(sut.url, 'GET', `/api/billing/ledger?cursor=${cursor}`, { token: alice.token });
      expect({ cursor, status: res.status, field: res.body.error?.metadata?.field }).toEqual({
        cursor,
        status: 400,
        field: 'cursor',
      });
    }
    for (const [body, field] of [
      [{ amount: 0, reason: 'x', idempotencyKey: 'zero-amount-01' }, 'amount'],
      [{ amount: 1, reason: '', idempotencyKey: 'no-reason-0001' }, 'reason'],
      [{ amount: 1, reason: 'x', idempotencyKey: '   ' }, 'idempotencyKey'],
      [{ amount: 0.0000001, reason: 'x', idempotencyKey: 'too-precise-1' }, 'amount'],
    ] as const) {
      const res = await call(sut.url, 'POST', `/api/admin/tenants/${bob.tenantId}/credits`, { token: admin, body });
      expect({ field, status: res.status, got: res.body.error?.metadata?.field }).toEqual({ field, status: 400, got: field });
    }
    expect(
      (
        await call(sut.url, 'POST', `/api/admin/tenants/${bob.tenantId}/credits`, {
          token: bob.token,
          body: { amount: 5, reason: 'me', idempotencyKey: 'self-grant-01' },
        })
      ).status,
    ).toBe(403);
    const tenants = await call(sut.url, 'GET', '/api/admin/tenants?search=alice', { token: admin });
    expect(tenants.body.data[0].balance).toBe(11.25);
  });
});
