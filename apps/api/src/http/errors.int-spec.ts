import { call, startTestApp, type TestApp } from '../testing/test-app';

/** Bad input as a new user would try it: every answer is the SPEC error JSON, none is a 500. */
describe('the one error shape', () => {
  let sut: TestApp;
  beforeAll(async () => {
    sut = await startTestApp();
  });
  afterAll(async () => {
    await sut.close();
  });

  function expectErrorShape(res: { status: number; body: unknown; headers: Headers }, status: number): void {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.body).toEqual({ error: { code: status, message: expect.any(String), metadata: expect.any(Object) } });
    expect(JSON.stringify(res.body)).not.toMatch(/\bat .*\.(js|ts):\d+/);
  }

  it.each([
    ['malformed JSON', { rawBody: '{"email": "a@b.c", ' }],
    ['a JSON array', { rawBody: '[1,2,3]' }],
    ['a JSON string', { rawBody: '"hello"' }],
    ['an empty JSON body', { rawBody: '' }],
    ['a prototype-pollution attempt', { rawBody: '{"__proto__": {"admin": true}, "email": "x@y.z", "password": "abcdefghijk"}' }],
    ['a body nested 10,000 levels deep', { rawBody: `{"email":${'['.repeat(10_000)}${']'.repeat(10_000)}}` }],
  ])('answers 400 to %s', async (_name, options) => {
    const res = await call(sut.url, 'POST', '/api/auth/signup', { ...options, headers: { 'content-type': 'application/json' } });
    expectErrorShape(res, 400);
  });

  it('answers 413 to a 2 MB body on /api', async () => {
    const res = await call(sut.url, 'POST', '/api/auth/signup', {
      body: { email: 'big@example.com', password: 'x'.repeat(2 * 1024 * 1024) },
    });
    expectErrorShape(res, 413);
  });

  it('answers 413 above MAX_BODY_BYTES on /v1', async () => {
    const small = await startTestApp({ env: { MAX_BODY_BYTES: '1000' } });
    try {
      const res = await call(small.url, 'POST', '/v1/keys', { body: { name: 'x'.repeat(2000) } });
      expectErrorShape(res, 413);
    } finally {
      await small.close();
    }
  });

  it('answers 415 to a body that is not JSON', async () => {
    const res = await call(sut.url, 'POST', '/api/auth/signup', {
      rawBody: 'email=a',
      headers: { 'content-type': 'text/plain' },
    });
    expectErrorShape(res, 415);
  });

  it('answers page paths outside /api and /v1 with the dashboard (its client-side router decides)', async () => {
    const res = await fetch(`${sut.url}/some/page`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
  });

  it.each([
    ['POST', '/nope'],
    ['GET', '/api/nothing-here'],
    ['GET', '/v1/does-not-exist'],
    ['GET', '/api/auth/signup'],
    ['PUT', '/api/me'],
    ['DELETE', '/healthz'],
  ])('answers 404 to %s %s', async (method, path) => {
    const res = await call(sut.url, method, path);
    expectErrorShape(res, 404);
    expect(res.body.error.message).toContain(path);
  });

  it('carries a request id on every response, honouring a sane incoming one', async () => {
    const own = await call(sut.url, 'GET', '/healthz', { headers: { 'x-request-id': 'trace-123' } });
    expect(own.headers.get('x-request-id')).toBe('trace-123');
    const generated = await call(sut.url, 'GET', '/healthz', { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves health and readiness', async () => {
    expect((await call(sut.url, 'GET', '/healthz')).body).toEqual({ status: 'ok' });
    const ready = await call(sut.url, 'GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready', checks: { postgres: 'ok', redis: 'ok' } });
  });

  it('reports not-ready with 503 when Redis is unreachable', async () => {
    const broken = await startTestApp({ env: { REDIS_URL: 'redis://127.0.0.1:1' } });
    try {
      const res = await call(broken.url, 'GET', '/readyz');
      expectErrorShape(res, 503);
      expect(res.body.error.metadata.checks).toEqual({ postgres: 'ok', redis: 'down' });
      expect((await call(broken.url, 'GET', '/healthz')).status).toBe(200);
    } finally {
      await broken.close();
    }
  });

  it('logs one line per request with its id and no query string', async () => {
    await call(sut.url, 'GET', '/healthz?token=should-not-be-logged', { headers: { 'x-request-id': 'log-check-1' } });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const lines = sut.logs.filter((line) => line.includes('log-check-1'));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '{}')).toEqual(
      expect.objectContaining({ level: 'info', reqId: 'log-check-1', method: 'GET', path: '/healthz', status: 200 }),
    );
    expect(sut.logs.join('')).not.toContain('should-not-be-logged');
  });

  it('answers headers over the size limit and a malformed URL with the same JSON', async () => {
    const huge = await call(sut.url, 'GET', '/api/me', { headers: { authorization: `Bearer ${'a'.repeat(20_000)}` } });
    expectErrorShape(huge, 431);
    for (const path of ['/v1/%zz', '/api/keys/%E0%A4%A']) {
      const bad = await call(sut.url, 'GET', path);
      expectErrorShape(bad, 400);
    }
  });

  it('takes content-type: application/json with no body as no body (logout, delete)', async () => {
    const signup = await call(sut.url, 'POST', '/api/auth/signup', {
      body: { email: 'empty-body@example.com', password: 'a-long-passphrase' },
    });
    const token = signup.body.token as string;
    const created = await call(sut.url, 'POST', '/api/keys', { token, body: { name: 'k' } });
    const revoked = await call(sut.url, 'DELETE', `/api/keys/${String(created.body.id)}`, {
      token,
      headers: { 'content-type': 'application/json' },
    });
    expect(revoked.status).toBe(204);
    const logout = await call(sut.url, 'POST', '/api/auth/logout', { token, headers: { 'content-type': 'application/json' } });
    expect(logout.status).toBeLessThan(300);
    expect((await call(sut.url, 'GET', '/api/me', { token })).status).toBe(401);
  });

  it('refuses NUL characters with a 400 naming the field, in bodies and query strings', async () => {
    const signup = await call(sut.url, 'POST', '/api/auth/signup', {
      body: { email: 'nul@example.com', password: 'a-long-passphrase' },
    });
    const token = signup.body.token as string;
    const key = await call(sut.url, 'POST', '/api/keys', { token, rawBody: '{"name":"a\\u0000b"}' });
    expectErrorShape(key, 400);
    expect(key.body.error.metadata.field).toBe('name');
    // An escaped backslash before "u0000" is text, not a NUL.
    const text = await call(sut.url, 'POST', '/api/keys', { token, rawBody: '{"name":"a\\\\u0000b"}' });
    expect(text.status).toBe(201);
    expect(text.body.name).toBe('a\\u0000b');
    const usage = await call(sut.url, 'GET', '/api/usage?groupBy=day&from=2026-01-01%00', { token });
    expectErrorShape(usage, 400);
  });

  it.each(['2026-02-30', '2025-02-29', '2026-04-31', '2026-13-01'])(
    'answers 400 to the date %s that does not exist',
    async (date) => {
      const signup = await call(sut.url, 'POST', '/api/auth/signup', {
        body: { email: `dates-${date}@example.com`, password: 'a-long-passphrase' },
      });
      const token = signup.body.token as string;
      for (const query of [`from=${date}`, `to=${date}`]) {
        const res = await call(sut.url, 'GET', `/api/usage?${query}`, { token });
        expectErrorShape(res, 400);
        expect(res.body.error.metadata.field).toBe(query.slice(0, query.indexOf('=')));
      }
      expect((await call(sut.url, 'GET', '/api/usage?from=2024-02-29&to=2024-03-01', { token })).status).toBe(200);
    },
  );
});
