import { FakeOpenRouter } from '@gw/testing';
import { call, startTestApp, type TestApp } from '../testing/test-app';

/** `rateLimitRpm` holds across API instances sharing Redis (SPEC section 7, billing issue). */
describe('per-key rate limits', () => {
  let upstream: FakeOpenRouter;
  let first: TestApp;
  let second: TestApp;

  beforeAll(async () => {
    upstream = await FakeOpenRouter.start();
    const env = { OPENROUTER_BASE_URL: upstream.baseUrl, OPENROUTER_API_KEY: 'platform' };
    first = await startTestApp({ env });
    second = await startTestApp({ env, shareWith: first });
  });
  afterAll(async () => {
    await second.close();
    await first.close();
    await upstream.close();
  });

  it('gives exactly 5 successes in a burst of 20 over two instances, then 429 with Retry-After', async () => {
    const signup = await call(first.url, 'POST', '/api/auth/signup', {
      body: { email: 'rl@example.com', password: 'a-long-enough-secret-9' },
    });
    const key = (
      await call(first.url, 'POST', '/api/keys', { token: signup.body.token, body: { name: 'limited', rateLimitRpm: 5 } })
    ).body.key;
    const body = { model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] };
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        call(i % 2 ? second.url : first.url, 'POST', '/v1/chat/completions', { token: key, body }),
      ),
    );
    const ok = results.filter((r) => r.status === 200);
    const limited = results.filter((r) => r.status === 429);
    expect(ok).toHaveLength(5);
    expect(limited).toHaveLength(15);
    expect(upstream.requests).toHaveLength(5);
    for (const res of limited) {
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(res.headers.get('x-ratelimit-limit')).toBe('5');
      expect(res.headers.get('x-ratelimit-remaining')).toBe('0');
      expect(res.body.error.code).toBe(429);
    }
    expect(ok.map((r) => r.headers.get('x-ratelimit-limit'))).toEqual(['5', '5', '5', '5', '5']);
    expect(ok.map((r) => Number(r.headers.get('x-ratelimit-remaining'))).sort()).toEqual([0, 1, 2, 3, 4]);
    // Keys without a limit are not limited.
    const open = (await call(first.url, 'POST', '/api/keys', { token: signup.body.token, body: { name: 'open' } })).body.key;
    const many = await Promise.all(
      Array.from({ length: 12 }, () => call(second.url, 'POST', '/v1/chat/completions', { token: open, body })),
    );
    expect(many.every((r) => r.status === 200)).toBe(true);
    expect(many[0]?.headers.get('x-ratelimit-limit')).toBeNull();
  });
});
