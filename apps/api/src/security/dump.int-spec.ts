import { execFileSync } from 'node:child_process';
import { dumpRedis } from '@gw/testing';
import { call, startTestApp, type TestApp } from '../testing/test-app';

/**
 * After signup, login and key creation, nothing at rest (a full pg_dump, every Redis key of the
 * deployment) nor the logs contains the password, the session token or the gateway key's secret.
 */
describe('secrets at rest', () => {
  let sut: TestApp;
  beforeAll(async () => {
    sut = await startTestApp({ env: { LOG_LEVEL: 'trace' } });
  });
  afterAll(async () => {
    await sut.close();
  });

  it('stores no password, session token or gateway key secret', async () => {
    const password = 'Canary-Password-7f3a9c2e1b';
    const signup = await call(sut.url, 'POST', '/api/auth/signup', { body: { email: 'canary@example.com', password } });
    expect(signup.status).toBe(201);
    // A failed login leaves throttle counters in Redis: they must not hold the email or password either.
    await call(sut.url, 'POST', '/api/auth/login', { body: { email: 'canary@example.com', password: `${password}-wrong` } });
    const login = await call(sut.url, 'POST', '/api/auth/login', { body: { email: 'canary@example.com', password } });
    expect(login.status).toBe(200);
    const created = await call(sut.url, 'POST', '/api/keys', { token: login.body.token, body: { name: 'canary' } });
    expect(created.status).toBe(201);
    const key = created.body.key as string;
    expect((await call(sut.url, 'GET', '/v1/key', { token: key })).status).toBe(200);

    const pgDump = execFileSync('pg_dump', ['--inserts', sut.db.url], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    expect(pgDump).toContain('canary@example.com');
    const redisDump = await dumpRedis(sut.config.REDIS_PREFIX);
    expect(redisDump).toContain('login:ip');
    const logs = sut.logs.join('\n');
    expect(logs).toContain('/api/auth/login');
    const secretOfKey = key.slice(17);
    const needles = {
      password,
      signupToken: signup.body.token as string,
      loginToken: login.body.token as string,
      key,
      keySecret: secretOfKey,
      keySecretFragment: secretOfKey.slice(8, 24),
      email: 'canary@example.com',
    };
    for (const [where, haystack] of Object.entries({ pgDump, redisDump, logs })) {
      for (const [what, needle] of Object.entries(needles)) {
        if (what === 'email' && where === 'pgDump') continue;
        expect({ where, what, found: haystack.includes(needle) }).toEqual({ where, what, found: false });
      }
    }
  });
});
