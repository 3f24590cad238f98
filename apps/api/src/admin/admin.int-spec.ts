import { AccountsService } from '@gw/accounts';
import { Database } from '@gw/db';
import { Secret } from '@gw/kernel';
import { call, startTestApp, type TestApp } from '../testing/test-app';

const password = 'a-long-enough-secret-9';

describe('admin routes (SPEC section 6)', () => {
  let sut: TestApp;
  let admin: string;
  let member: { token: string; tenantId: string };

  beforeAll(async () => {
    sut = await startTestApp({ env: { BYOK_FEE_RATE: '0.05', BYOK_FREE_REQUESTS_PER_MONTH: '1000' } });
    await sut.app.get(AccountsService).ensureAdmin('boss@example.com', new Secret(password));
    admin = (await call(sut.url, 'POST', '/api/auth/login', { body: { email: 'boss@example.com', password } })).body.token;
    const signup = await call(sut.url, 'POST', '/api/auth/signup', { body: { email: 'member@example.com', password } });
    member = { token: signup.body.token, tenantId: signup.body.tenant.id };
  });
  afterAll(async () => {
    await sut.close();
  });

  it('answers 403 to members on every admin route', async () => {
    const routes: [string, string, unknown?][] = [
      ['GET', '/api/admin/tenants'],
      ['PATCH', `/api/admin/tenants/${member.tenantId}`, { disabled: true }],
      ['GET', '/api/admin/settings'],
      ['PUT', '/api/admin/settings', { byokFeeRate: 0 }],
      ['GET', '/api/admin/pricing'],
      ['PUT', '/api/admin/pricing', { id: 'openai/gpt-4o', prompt: 0, completion: 0 }],
      ['GET', '/api/admin/aliases'],
      ['PUT', '/api/admin/aliases', { rules: [] }],
      ['GET', '/api/admin/audit'],
    ];
    for (const [method, path, body] of routes) {
      const res = await call(sut.url, method, path, { token: member.token, body });
      expect({ method, path, status: res.status, code: res.body.error?.code }).toEqual({ method, path, status: 403, code: 403 });
    }
  });

  it('lists and searches tenants', async () => {
    const all = await call(sut.url, 'GET', '/api/admin/tenants', { token: admin });
    expect(all.status).toBe(200);
    expect(all.body.data.map((t: { id: string }) => t.id)).toContain(member.tenantId);
    const found = await call(sut.url, 'GET', '/api/admin/tenants?search=MEMBER@', { token: admin });
    expect(found.body.data).toHaveLength(1);
    expect(found.body.data[0].users[0].email).toBe('member@example.com');
    for (const wildcard of ['%25', '_', '%5C']) {
      const literal = await call(sut.url, 'GET', `/api/admin/tenants?search=${wildcard}`, { token: admin });
      expect({ wildcard, found: literal.body.data }).toEqual({ wildcard, found: [] });
    }
  });

  it('reads settings from env defaults, then stores changes that win from then on', async () => {
    expect((await call(sut.url, 'GET', '/api/admin/settings', { token: admin })).body).toEqual({
      byokFeeRate: 0.05,
      byokFreeRequestsPerMonth: 1000,
      byokFreeUsdPerMonth: null,
    });
    const put = await call(sut.url, 'PUT', '/api/admin/settings', {
      token: admin,
      body: { byokFeeRate: 0.08, byokFreeUsdPerMonth: 25 },
    });
    expect(put.body).toEqual({ byokFeeRate: 0.08, byokFreeRequestsPerMonth: 1000, byokFreeUsdPerMonth: 25 });
    expect((await call(sut.url, 'GET', '/api/admin/settings', { token: admin })).body.byokFeeRate).toBe(0.08);
    const bad = await call(sut.url, 'PUT', '/api/admin/settings', { token: admin, body: { byokFeeRate: 2 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.metadata.field).toBe('byokFeeRate');
  });

  it('stores settings in integers: the fee rate to six decimals, a free amount finer than a micro-USD refused', async () => {
    const put = await call(sut.url, 'PUT', '/api/admin/settings', {
      token: admin,
      body: { byokFeeRate: 0.1234567891, byokFreeUsdPerMonth: 12.345678 },
    });
    expect(put.status).toBe(200);
    expect(put.body).toEqual(expect.objectContaining({ byokFeeRate: 0.123457, byokFreeUsdPerMonth: 12.345678 }));
    const stored = await sut.app.get(Database).pool.query<{ value: unknown }>(`SELECT value FROM settings WHERE key = 'billing'`);
    expect(stored.rows[0]?.value).toEqual({
      byokFeePpm: 123457,
      byokFreeRequestsPerMonth: 1000,
      byokFreeMicrosPerMonth: '12345678',
    });

    const finer = await call(sut.url, 'PUT', '/api/admin/settings', { token: admin, body: { byokFreeUsdPerMonth: 1.0000001 } });
    expect(finer.status).toBe(400);
    expect(finer.body.error.metadata.field).toBe('byokFreeUsdPerMonth');
    expect((await call(sut.url, 'GET', '/api/admin/settings', { token: admin })).body.byokFreeUsdPerMonth).toBe(12.345678);

    // A row written in the earlier form (USD and rate as JSON numbers, even one finer than a
    // micro-USD) is still read, rounded, and never fails a request.
    await sut.app
      .get(Database)
      .pool.query(
        `UPDATE settings SET value = '{"byokFeeRate": 0.08, "byokFreeRequestsPerMonth": 1000, "byokFreeUsdPerMonth": 25.0000001}' WHERE key = 'billing'`,
      );
    expect((await call(sut.url, 'GET', '/api/admin/settings', { token: admin })).body).toEqual({
      byokFeeRate: 0.08,
      byokFreeRequestsPerMonth: 1000,
      byokFreeUsdPerMonth: 25,
    });
    const restored = await call(sut.url, 'PUT', '/api/admin/settings', { token: admin, body: { byokFreeUsdPerMonth: 25 } });
    expect(restored.body).toEqual({ byokFeeRate: 0.08, byokFreeRequestsPerMonth: 1000, byokFreeUsdPerMonth: 25 });
  });

  it('edits prices, shown per token in /v1/models, and accepts forced names', async () => {
    const put = await call(sut.url, 'PUT', '/api/admin/pricing', {
      token: admin,
      body: { id: 'openai/gpt-4o', prompt: 3, completion: 12.5 },
    });
    expect(put.status).toBe(200);
    expect(put.body).toEqual(expect.objectContaining({ id: 'openai/gpt-4o', prompt: 3, completion: 12.5, overridden: true }));
    const models = await call(sut.url, 'GET', '/v1/models');
    const gpt4o = models.body.data.find((m: { id: string }) => m.id === 'openai/gpt-4o');
    expect(gpt4o.pricing).toEqual({ prompt: '0.000003', completion: '0.0000125' });
    const forced = await call(sut.url, 'PUT', '/api/admin/pricing', {
      token: admin,
      body: { id: 'bedrock:anthropic.claude-x-v1:0', prompt: 1, completion: 2 },
    });
    expect(forced.status).toBe(200);
    const list = await call(sut.url, 'GET', '/api/admin/pricing', { token: admin });
    expect(list.body.data.find((p: { id: string }) => p.id === 'bedrock:anthropic.claude-x-v1:0')).toEqual(
      expect.objectContaining({ prompt: 1, completion: 2 }),
    );
    const dashed = await call(sut.url, 'PUT', '/api/admin/pricing', {
      token: admin,
      body: { id: 'openrouter-acme/new-model', prompt: 4, completion: 8 },
    });
    expect(dashed.status).toBe(200);
    expect(dashed.body.id).toBe('openrouter:acme/new-model');
    const unknown = await call(sut.url, 'PUT', '/api/admin/pricing', {
      token: admin,
      body: { id: 'nobody/nothing', prompt: 1, completion: 1 },
    });
    expect(unknown.status).toBe(404);
    const bad = await call(sut.url, 'PUT', '/api/admin/pricing', {
      token: admin,
      body: { id: 'openai/gpt-4o', prompt: -1, completion: 1 },
    });
    expect(bad.body.error.metadata.field).toBe('prompt');
  });

  it('disables a tenant (403 on /v1 and /api but /api/me) and sets per-tenant overrides', async () => {
    const key = (await call(sut.url, 'POST', '/api/keys', { token: member.token, body: { name: 'k' } })).body.key;
    expect((await call(sut.url, 'GET', '/v1/key', { token: key })).status).toBe(200);
    const patched = await call(sut.url, 'PATCH', `/api/admin/tenants/${member.tenantId}`, {
      token: admin,
      body: { disabled: true, byokFeeRate: 0.01, byokFreeRequestsPerMonth: 5 },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toEqual(
      expect.objectContaining({
        disabled: true,
        overrides: { byokFeeRate: 0.01, byokFreeRequestsPerMonth: 5, byokFreeUsdPerMonth: null },
      }),
    );
    expect((await call(sut.url, 'GET', '/v1/key', { token: key })).status).toBe(403);
    expect((await call(sut.url, 'GET', '/api/keys', { token: member.token })).status).toBe(403);
    expect((await call(sut.url, 'GET', '/api/me', { token: member.token })).status).toBe(200);
    const cleared = await call(sut.url, 'PATCH', `/api/admin/tenants/${member.tenantId}`, {
      token: admin,
      body: { disabled: false, byokFeeRate: null },
    });
    expect(cleared.body.overrides.byokFeeRate).toBeNull();
    expect((await call(sut.url, 'GET', '/v1/key', { token: key })).status).toBe(200);
    expect(
      (await call(sut.url, 'PATCH', '/api/admin/tenants/not-a-uuid', { token: admin, body: { disabled: true } })).status,
    ).toBe(404);
  });

  it('grants once per idempotency key and tenant: short keys are fine, and another tenant may use the same key', async () => {
    const other = await call(sut.url, 'POST', '/api/auth/signup', { body: { email: 'other-grant@example.com', password } });
    const grant = (tenantId: string, amount: number) =>
      call(sut.url, 'POST', `/api/admin/tenants/${tenantId}/credits`, {
        token: admin,
        body: { amount, reason: 'test', idempotencyKey: 'k1' },
      });
    const balance = async () =>
      (await call(sut.url, 'GET', '/api/billing/balance', { token: other.body.token as string })).body.balance as number;
    expect((await grant(member.tenantId, 3)).status).toBe(201);
    expect((await grant(member.tenantId, 3)).status).toBe(200);
    const before = await balance();
    expect((await grant(other.body.tenant.id as string, 5)).status).toBe(201);
    expect(await balance()).toBe(before + 5);
  });

  it('lists alias rules as `rules` (the shape PUT takes) and as `data`', async () => {
    const rules = [{ pattern: '^fast$', replacement: 'openrouter:openai/gpt-4o-mini' }];
    const put = await call(sut.url, 'PUT', '/api/admin/aliases', { token: admin, body: { rules } });
    expect(put.body).toEqual({ rules, data: rules });
    const got = await call(sut.url, 'GET', '/api/admin/aliases', { token: admin });
    expect(got.body).toEqual({ rules, data: rules });
    await call(sut.url, 'PUT', '/api/admin/aliases', { token: admin, body: { rules: [] } });
  });

  it('refuses alias rules that could stall the gateway, and runs nested quantifiers in linear time', async () => {
    const risky = await call(sut.url, 'PUT', '/api/admin/aliases', {
      token: admin,
      body: {
        rules: [
          { pattern: '^fast$', replacement: 'openai/gpt-4o-mini' },
          { pattern: '^(?!x)(a+)+$', replacement: 'openai/gpt-4o' },
        ],
      },
    });
    expect(risky.status).toBe(400);
    expect(risky.body.error.metadata.field).toBe('rules.1.pattern');
    const notAName = await call(sut.url, 'PUT', '/api/admin/aliases', {
      token: admin,
      body: { rules: [{ pattern: '^(a)$', replacement: 'openrouter: \\1' }] },
    });
    expect(notAName.body.error.metadata.field).toBe('rules.0.replacement');

    const nested = await call(sut.url, 'PUT', '/api/admin/aliases', {
      token: admin,
      body: { rules: [{ pattern: '(a+)+$', replacement: 'nobody/nothing' }] },
    });
    expect(nested.status).toBe(200);
    const key = (await call(sut.url, 'POST', '/api/keys', { token: member.token, body: { name: 'alias' } })).body.key;
    // With backtracking this name would hold the event loop for minutes; linear, it is one more 404.
    const res = await call(sut.url, 'POST', '/v1/chat/completions', {
      token: key,
      body: { model: `${'a'.repeat(60)}!`, messages: [{ role: 'user', content: 'hi' }] },
    });
    expect(res.status).toBe(404);
    expect((await call(sut.url, 'GET', '/healthz')).status).toBe(200);
    await call(sut.url, 'PUT', '/api/admin/aliases', { token: admin, body: { rules: [] } });
  });

  it('records every admin action in the audit log', async () => {
    const audit = await call(sut.url, 'GET', '/api/admin/audit', { token: admin });
    const actions = audit.body.data.map((e: { action: string }) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['settings.updated', 'pricing.updated', 'tenant.updated']));
    expect(audit.body.data[0]).toEqual(
      expect.objectContaining({ actorId: expect.any(String), ip: expect.any(String), createdAt: expect.any(String) }),
    );
  });

  it('bootstraps the admin once, with a vault as signup gives, and promotes an existing account', async () => {
    const accounts = sut.app.get(AccountsService);
    expect(await accounts.ensureAdmin('boss@example.com', new Secret(password))).toEqual({ created: false });
    const { rows } = await sut.app.get(Database).pool.query(
      `SELECT u.role, t.name, length(t.vault_public_key) AS public_key_bytes,
              (SELECT count(*)::int FROM vault_wraps w WHERE w.tenant_id = t.id AND w.kind = 'recovery_key') AS recovery_wraps,
              (SELECT array_agg(a.action || ':' || a.actor_type) FROM vault_audit_log a WHERE a.tenant_id = t.id) AS audit
         FROM users u JOIN tenants t ON t.id = u.tenant_id WHERE u.email = 'boss@example.com'`,
    );
    expect(rows).toEqual([
      { role: 'admin', name: 'Administrators', public_key_bytes: 32, recovery_wraps: 1, audit: ['vault.created:system'] },
    ]);

    await call(sut.url, 'POST', '/api/auth/signup', { body: { email: 'promoted@example.com', password } });
    expect(await accounts.ensureAdmin('promoted@example.com', new Secret('not-the-password-1'))).toEqual({ created: false });
    const login = await call(sut.url, 'POST', '/api/auth/login', { body: { email: 'promoted@example.com', password } });
    expect(login.body.user.role).toBe('admin');
  });
});
