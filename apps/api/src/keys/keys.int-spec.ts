import { LastUsedRecorder } from '@gw/accounts';
import { call, startTestApp, type TestApp } from '../testing/test-app';

async function signup(app: TestApp, email: string): Promise<{ token: string; tenantId: string }> {
  const res = await call(app.url, 'POST', '/api/auth/signup', { body: { email, password: 'a-long-enough-secret-9' } });
  expect(res.status).toBe(201);
  return { token: res.body.token, tenantId: res.body.tenant.id };
}

async function until(check: () => Promise<boolean>, ms: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < ms) {
    if (await check()) return Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`condition not met within ${ms} ms`);
}

describe('gateway keys (SPEC section 3)', () => {
  let sut: TestApp;
  let second: TestApp;
  let alice: { token: string; tenantId: string };
  let bob: { token: string; tenantId: string };

  beforeAll(async () => {
    sut = await startTestApp();
    second = await startTestApp({ shareWith: sut });
    alice = await signup(sut, 'alice@example.com');
    bob = await signup(sut, 'bob@example.com');
  });
  afterAll(async () => {
    await second.close();
    await sut.close();
  });

  it('shows the full key once, then only a hint', async () => {
    const created = await call(sut.url, 'POST', '/api/keys', {
      token: alice.token,
      body: { name: 'ci', creditLimit: 12.5, rateLimitRpm: 60 },
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual(
      expect.objectContaining({
        id: expect.any(String),
        name: 'ci',
        key: expect.stringMatching(/^gwk_[0-9A-Za-z]{12}_[0-9A-Za-z]{49}$/),
        hint: expect.any(String),
        byok: false,
        creditLimit: 12.5,
        rateLimitRpm: 60,
        createdAt: expect.any(String),
      }),
    );
    const secretPart = (created.body.key as string).slice(17, 60);
    const list = await call(sut.url, 'GET', '/api/keys', { token: alice.token });
    expect(list.status).toBe(200);
    expect(list.body.data).toHaveLength(1);
    expect(list.body.data[0].id).toBe(created.body.id);
    expect(list.body.data[0]).not.toHaveProperty('key');
    expect(JSON.stringify(list.body)).not.toContain(secretPart.slice(0, 16));
    const one = await call(sut.url, 'GET', `/api/keys/${created.body.id}`, { token: alice.token });
    expect(JSON.stringify(one.body)).not.toContain(secretPart.slice(0, 16));
  });

  it('authenticates /v1/key and reports label, limit and rate limit', async () => {
    const created = await call(sut.url, 'POST', '/api/keys', {
      token: alice.token,
      body: { name: 'reporting', creditLimit: 5, rateLimitRpm: 120 },
    });
    const res = await call(sut.url, 'GET', '/v1/key', { token: created.body.key });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      data: { label: 'reporting', usage: 0, limit: 5, limit_remaining: 5, rate_limit: { requests: 120, interval: '1m' } },
    });
    const unlimited = await call(sut.url, 'POST', '/api/keys', { token: alice.token, body: { name: 'open' } });
    const open = await call(sut.url, 'GET', '/v1/key', { token: unlimited.body.key });
    expect(open.body.data).toEqual({ label: 'open', usage: 0, limit: null, limit_remaining: null, rate_limit: null });
  });

  it('answers 401 in the error shape for missing, malformed, mistyped and unknown keys', async () => {
    const created = await call(sut.url, 'POST', '/api/keys', { token: alice.token, body: { name: 'typo' } });
    const key = created.body.key as string;
    const typo = key.slice(0, 30) + (key[30] === 'x' ? 'y' : 'x') + key.slice(31);
    const unknownId = `gwk_000000000000_${key.slice(17)}`;
    for (const authorization of [
      undefined,
      'Bearer',
      'Bearer nonsense',
      `Bearer ${typo}`,
      `Bearer ${unknownId}`,
      `Basic ${key}`,
    ]) {
      const res = await call(sut.url, 'GET', '/v1/key', { headers: authorization ? { authorization } : {} });
      expect(res.status).toBe(401);
      expect(res.body.error).toEqual({ code: 401, message: expect.any(String), metadata: expect.any(Object) });
    }
  });

  it('revocation answers 401 on this and on a second instance within 2 seconds', async () => {
    const created = await call(sut.url, 'POST', '/api/keys', { token: alice.token, body: { name: 'doomed' } });
    const key = created.body.key as string;
    // Both instances have the key verified and cached.
    expect((await call(sut.url, 'GET', '/v1/key', { token: key })).status).toBe(200);
    expect((await call(second.url, 'GET', '/v1/key', { token: key })).status).toBe(200);
    const revoked = await call(sut.url, 'DELETE', `/api/keys/${created.body.id}`, { token: alice.token });
    expect(revoked.status).toBe(204);
    await until(async () => (await call(sut.url, 'GET', '/v1/key', { token: key })).status === 401, 2000);
    await until(async () => (await call(second.url, 'GET', '/v1/key', { token: key })).status === 401, 2000);
    const list = await call(sut.url, 'GET', '/api/keys', { token: alice.token });
    expect(list.body.data.map((k: { id: string }) => k.id)).not.toContain(created.body.id);
  });

  it('disabling a key takes effect everywhere and re-enabling restores it', async () => {
    const created = await call(sut.url, 'POST', '/api/keys', { token: alice.token, body: { name: 'toggle' } });
    const key = created.body.key as string;
    expect((await call(second.url, 'GET', '/v1/key', { token: key })).status).toBe(200);
    const patched = await call(sut.url, 'PATCH', `/api/keys/${created.body.id}`, {
      token: alice.token,
      body: { disabled: true, name: 'toggled', creditLimit: null },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toEqual(expect.objectContaining({ name: 'toggled', disabled: true, creditLimit: null }));
    await until(async () => (await call(second.url, 'GET', '/v1/key', { token: key })).status === 401, 2000);
    await call(sut.url, 'PATCH', `/api/keys/${created.body.id}`, { token: alice.token, body: { disabled: false } });
    await until(async () => (await call(second.url, 'GET', '/v1/key', { token: key })).status === 200, 2000);
  });

  it("never shows or changes another tenant's keys", async () => {
    const created = await call(sut.url, 'POST', '/api/keys', { token: alice.token, body: { name: 'private' } });
    const id = created.body.id as string;
    expect((await call(sut.url, 'GET', `/api/keys/${id}`, { token: bob.token })).status).toBe(404);
    expect((await call(sut.url, 'PATCH', `/api/keys/${id}`, { token: bob.token, body: { name: 'mine' } })).status).toBe(404);
    expect((await call(sut.url, 'DELETE', `/api/keys/${id}`, { token: bob.token })).status).toBe(404);
    const bobList = await call(sut.url, 'GET', '/api/keys', { token: bob.token });
    expect(bobList.body.data.map((k: { id: string }) => k.id)).not.toContain(id);
    expect((await call(sut.url, 'GET', `/api/keys/not-a-uuid`, { token: bob.token })).status).toBe(404);
    // Still there for its owner.
    expect((await call(sut.url, 'GET', `/api/keys/${id}`, { token: alice.token })).body.name).toBe('private');
  });

  it('manages keys through /v1/keys with a gateway key of the same tenant only', async () => {
    const manager = await call(sut.url, 'POST', '/api/keys', { token: alice.token, body: { name: 'manager' } });
    const created = await call(sut.url, 'POST', '/v1/keys', {
      token: manager.body.key,
      body: { name: 'from-api', rateLimitRpm: 10 },
    });
    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(/^gwk_/);
    expect(created.body.byok).toBe(false);
    const list = await call(sut.url, 'GET', '/v1/keys', { token: manager.body.key });
    expect(list.body.data.map((k: { name: string }) => k.name)).toEqual(expect.arrayContaining(['manager', 'from-api']));
    const renamed = await call(sut.url, 'PATCH', `/v1/keys/${created.body.id}`, {
      token: manager.body.key,
      body: { name: 'renamed' },
    });
    expect(renamed.body.name).toBe('renamed');
    const bobKey = await call(sut.url, 'POST', '/api/keys', { token: bob.token, body: { name: 'bob' } });
    expect((await call(sut.url, 'GET', `/v1/keys/${created.body.id}`, { token: bobKey.body.key })).status).toBe(404);
    expect((await call(sut.url, 'DELETE', `/v1/keys/${created.body.id}`, { token: manager.body.key })).status).toBe(204);
    expect((await call(sut.url, 'GET', '/v1/key', { token: created.body.key })).status).toBe(401);
  });

  it('lets a key with a limit of its own read keys through /v1/keys but not lift its limit or mint another key', async () => {
    const capped = await call(sut.url, 'POST', '/api/keys', { token: alice.token, body: { name: 'capped', creditLimit: 0.5 } });
    const throttled = await call(sut.url, 'POST', '/api/keys', {
      token: alice.token,
      body: { name: 'throttled', rateLimitRpm: 5 },
    });
    for (const limited of [capped.body, throttled.body] as { id: string; key: string }[]) {
      expect((await call(sut.url, 'GET', '/v1/keys', { token: limited.key })).status).toBe(200);
      expect((await call(sut.url, 'GET', `/v1/keys/${limited.id}`, { token: limited.key })).status).toBe(200);
      const lifted = await call(sut.url, 'PATCH', `/v1/keys/${limited.id}`, {
        token: limited.key,
        body: { creditLimit: null, rateLimitRpm: null },
      });
      expect({ status: lifted.status, code: lifted.body.error?.code }).toEqual({ status: 403, code: 403 });
      expect((await call(sut.url, 'POST', '/v1/keys', { token: limited.key, body: { name: 'sibling' } })).status).toBe(403);
      expect((await call(sut.url, 'DELETE', `/v1/keys/${limited.id}`, { token: limited.key })).status).toBe(403);
    }
    const after = await call(sut.url, 'GET', `/api/keys/${String(capped.body.id)}`, { token: alice.token });
    expect(after.body.creditLimit).toBe(0.5);
  });

  it('takes null for optional fields on creation as not sent', async () => {
    const created = await call(sut.url, 'POST', '/api/keys', {
      token: alice.token,
      body: { name: 'nulls', vaultAccess: null, creditLimit: null, rateLimitRpm: null },
    });
    expect(created.status).toBe(201);
    expect(created.body.byok).toBe(false);
    const provider = await call(sut.url, 'POST', '/api/provider-keys', {
      token: alice.token,
      body: { provider: 'openrouter', secret: 'sk-or-v1-nulls-0000', label: null, alwaysUse: null },
    });
    expect(provider.status).toBe(201);
    expect(provider.body).toMatchObject({ label: 'OpenRouter key', alwaysUse: false });
  });

  it('validates key bodies with field errors', async () => {
    const cases: [unknown, string][] = [
      [{}, 'name'],
      [{ name: '' }, 'name'],
      [{ name: 'x', creditLimit: -1 }, 'creditLimit'],
      [{ name: 'x', rateLimitRpm: 1.5 }, 'rateLimitRpm'],
      [{ name: 'x', colour: 'red' }, 'colour'],
    ];
    for (const [body, field] of cases) {
      const res = await call(sut.url, 'POST', '/api/keys', { token: alice.token, body });
      expect(res.status).toBe(400);
      expect(res.body.error.metadata.field).toBe(field);
    }
  });

  it('records last use without a write per request', async () => {
    const created = await call(sut.url, 'POST', '/api/keys', { token: alice.token, body: { name: 'used' } });
    await call(sut.url, 'GET', '/v1/key', { token: created.body.key });
    await sut.app.get(LastUsedRecorder).flush();
    const list = await call(sut.url, 'GET', `/api/keys/${created.body.id}`, { token: alice.token });
    expect(list.body.lastUsedAt).toEqual(expect.any(String));
  });
});
