import { Database } from '@gw/db';
import { call, startTestApp, type TestApp } from '../testing/test-app';

describe('accounts (SPEC section 3)', () => {
  let sut: TestApp;
  beforeAll(async () => {
    sut = await startTestApp({ env: { LOGIN_MAX_ATTEMPTS_PER_ACCOUNT: '3' } });
  });
  afterAll(async () => {
    await sut.close();
  });

  const password = 'a-long-enough-secret-9';

  it('signs up, sets an httpOnly session cookie and creates a tenant', async () => {
    const res = await call(sut.url, 'POST', '/api/auth/signup', { body: { email: 'Alice@Example.com', password } });
    expect(res.status).toBe(201);
    expect(res.body.token).toMatch(/^gws_/);
    expect(res.body.user).toEqual({ id: expect.any(String), email: 'alice@example.com', role: 'member' });
    expect(res.body.tenant).toEqual(expect.objectContaining({ id: expect.any(String), name: 'alice@example.com' }));
    expect(res.body).toHaveProperty('recoveryKey');
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toContain(`gw_session=${res.body.token}`);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
  });

  it('refuses a duplicate email with 409, case-insensitively', async () => {
    const res = await call(sut.url, 'POST', '/api/auth/signup', { body: { email: 'ALICE@example.com', password } });
    expect(res.status).toBe(409);
    expect(res.body.error).toEqual({
      code: 409,
      message: expect.any(String),
      metadata: expect.objectContaining({ field: 'email' }),
    });
  });

  it.each([
    [{ email: 'not-an-email', password }, 'email'],
    [{ email: 'bob@example.com' }, 'password'],
    [{ email: 'bob@example.com', password: 'short' }, 'password'],
    [{ email: 'bob@example.com', password, admin: true }, 'admin'],
    [{ email: 42, password }, 'email'],
  ])('rejects %j with a 400 naming %s', async (body, field) => {
    const res = await call(sut.url, 'POST', '/api/auth/signup', { body });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe(400);
    expect(res.body.error.metadata.field).toBe(field);
  });

  it('logs in with either cookie or bearer and answers /api/me', async () => {
    await call(sut.url, 'POST', '/api/auth/signup', { body: { email: 'carol@example.com', password } });
    const login = await call(sut.url, 'POST', '/api/auth/login', { body: { email: 'carol@example.com', password } });
    expect(login.status).toBe(200);
    expect(login.body.recoveryKey).toBeUndefined();
    const bearer = await call(sut.url, 'GET', '/api/me', { token: login.body.token });
    expect(bearer.status).toBe(200);
    expect(bearer.body.user).toEqual({ id: login.body.user.id, email: 'carol@example.com', role: 'member' });
    expect(bearer.body.tenant.id).toBe(login.body.tenant.id);
    const viaCookie = await call(sut.url, 'GET', '/api/me', { headers: { cookie: `gw_session=${login.body.token}` } });
    expect(viaCookie.status).toBe(200);
  });

  it('logout invalidates the token as cookie and as bearer', async () => {
    const login = await call(sut.url, 'POST', '/api/auth/login', { body: { email: 'carol@example.com', password } });
    const out = await call(sut.url, 'POST', '/api/auth/logout', { headers: { cookie: `gw_session=${login.body.token}` } });
    expect(out.status).toBe(204);
    expect((await call(sut.url, 'GET', '/api/me', { token: login.body.token })).status).toBe(401);
    const viaCookie = await call(sut.url, 'GET', '/api/me', { headers: { cookie: `gw_session=${login.body.token}` } });
    expect(viaCookie.status).toBe(401);
    expect(viaCookie.body.error.code).toBe(401);
  });

  it('answers a wrong password and an unknown account with the same 401', async () => {
    const wrong = await call(sut.url, 'POST', '/api/auth/login', {
      body: { email: 'carol@example.com', password: 'nope-nope-nope' },
    });
    const unknown = await call(sut.url, 'POST', '/api/auth/login', { body: { email: 'nobody@example.com', password } });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body.error.message).toBe(unknown.body.error.message);
  });

  it('throttles repeated failed logins per account with 429 and Retry-After', async () => {
    await call(sut.url, 'POST', '/api/auth/signup', { body: { email: 'dave@example.com', password } });
    for (let i = 0; i < 3; i++) {
      const res = await call(sut.url, 'POST', '/api/auth/login', {
        body: { email: 'dave@example.com', password: `wrong-guess-${i}` },
      });
      expect(res.status).toBe(401);
    }
    const blocked = await call(sut.url, 'POST', '/api/auth/login', { body: { email: 'dave@example.com', password } });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(blocked.body.error.code).toBe(429);
    // Other accounts are unaffected.
    expect((await call(sut.url, 'POST', '/api/auth/login', { body: { email: 'carol@example.com', password } })).status).toBe(200);
  });

  it('keeps /api/me open and everything else 403 for a disabled tenant', async () => {
    const signup = await call(sut.url, 'POST', '/api/auth/signup', { body: { email: 'erin@example.com', password } });
    await sut.app.get(Database).prisma.tenant.update({ where: { id: signup.body.tenant.id }, data: { disabled: true } });
    const me = await call(sut.url, 'GET', '/api/me', { token: signup.body.token });
    expect(me.status).toBe(200);
    expect(me.body.tenant.disabled).toBe(true);
    const keys = await call(sut.url, 'GET', '/api/keys', { token: signup.body.token });
    expect(keys.status).toBe(403);
    expect(keys.body.error.code).toBe(403);
  });

  it('requires a session on /api routes', async () => {
    const res = await call(sut.url, 'GET', '/api/keys');
    expect(res.status).toBe(401);
    expect(res.body.error).toEqual({ code: 401, message: expect.any(String), metadata: expect.any(Object) });
  });
});
