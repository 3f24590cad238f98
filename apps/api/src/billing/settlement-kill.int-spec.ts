import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { FakeOpenRouter, TEST_REDIS_URL, until } from '@gw/testing';
import { buildServer, freePort, type ServerProcess, serverStorage, startServer } from '../testing/server-process';
import { call } from '../testing/test-app';

const REQUESTS = 2_000;
const CONCURRENCY = 40;

/**
 * The billing issue's acceptance 3: SIGKILL one of two instances in the middle of a 2,000-request
 * run; after a restart and the drain, every successful response has exactly one charge, the
 * ledger sums to the balance, and no reservation is left open.
 */
describe('settlement survives a SIGKILL mid-run', () => {
  const storage = serverStorage('settle');
  const prefix = storage.redisPrefix;
  let upstream: FakeOpenRouter;
  let redis: Redis;

  beforeAll(async () => {
    buildServer();
    upstream = await FakeOpenRouter.start();
    // A little upstream latency keeps requests in flight when the instance dies.
    upstream.setDefault({ kind: 'ok', delayMs: 5, usage: { prompt_tokens: 12, completion_tokens: 30 } });
    redis = new Redis(TEST_REDIS_URL);
  });
  afterAll(async () => {
    redis.disconnect();
    await upstream.close();
    await storage.drop();
  });

  const settled = { timeoutMs: 30_000, intervalMs: 100 };

  it('charges every successful response exactly once and leaves no reservation open', async () => {
    const [portA, portB] = [String(await freePort()), String(await freePort())];
    const env = (port: string) => ({
      ENV_FILE: join(mkdtempSync(join(tmpdir(), 'gw-settle-')), '.env.local'),
      DATABASE_URL: storage.databaseUrl,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: prefix,
      PORT: port,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      OPENROUTER_BASE_URL: upstream.baseUrl,
      OPENROUTER_API_KEY: 'platform-key',
      SIGNUP_CREDITS: '100',
      RESERVATION_TTL_SECONDS: '2',
      SERVER_PEPPER: 'settle-test-pepper-0123456789abcdef',
    });
    const a = startServer(env(portA));
    await a.waitFor(/Dashboard:/);
    let b: ServerProcess = startServer(env(portB));
    await b.waitFor(/Dashboard:/);
    const base = (i: number) => `http://127.0.0.1:${i % 2 === 0 ? portA : portB}`;
    const succeeded: string[] = [];
    let tenantId = '';
    try {
      const signup = await call(base(0), 'POST', '/api/auth/signup', {
        body: { email: 'settle@example.com', password: 'a-long-enough-secret-9' },
      });
      tenantId = signup.body.tenant.id;
      const key = (await call(base(0), 'POST', '/api/keys', { token: signup.body.token, body: { name: 'load' } })).body.key;

      let next = 0;
      let killed = false;
      const worker = async (): Promise<void> => {
        while (next < REQUESTS) {
          const i = next++;
          if (!killed && i >= REQUESTS / 2) {
            killed = true;
            b.child.kill('SIGKILL');
          }
          try {
            const res = await call(base(i), 'POST', '/v1/chat/completions', {
              token: key,
              body: {
                model: 'openai/gpt-4o-mini',
                max_tokens: 64,
                messages: [{ role: 'user', content: `request ${String(i)}` }],
              },
            });
            if (res.status === 200) succeeded.push(String(res.body.id));
          } catch {
            // The killed instance refuses or drops the connection: not a successful response.
          }
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      await b.exited;
      expect(succeeded.length).toBeGreaterThan(REQUESTS / 2);
      expect(succeeded.length).toBeLessThan(REQUESTS);

      // Restart the killed instance; the workers drain the queue and expire its reservations.
      b = startServer(env(portB));
      await b.waitFor(/Dashboard:/);
      await until('the generation queue to drain', async () => (await redis.xlen(`${prefix}stream:generations`)) === 0, settled);
      await until('open reservations to expire', async () => (await redis.zcard(`${prefix}resv`)) === 0, settled);
      await until(
        'held credits to reach zero',
        async () => Number((await redis.hget(`${prefix}cr:${tenantId}`, 'held')) ?? 0) === 0,
        settled,
      );
    } finally {
      await b.stop();
      await a.stop();
    }

    const charges = await storage.query<{ generation_id: string; n: string }>(
      `SELECT generation_id, count(*) AS n FROM ledger_entries WHERE kind = 'charge' GROUP BY generation_id`,
    );
    const perGeneration = new Map(charges.map((row) => [row.generation_id, Number(row.n)]));
    expect([...perGeneration.values()].every((n) => n === 1)).toBe(true);
    const missing = succeeded.filter((id) => perGeneration.get(id) !== 1);
    expect(missing).toEqual([]);
    const [totals] = await storage.query<{ sum: string; balance: string }>(
      `SELECT (SELECT sum(amount_micros) FROM ledger_entries WHERE tenant_id = $1) AS sum,
              (SELECT balance_micros FROM tenant_balances WHERE tenant_id = $1) AS balance`,
      [tenantId],
    );
    expect(totals?.sum).toBe(totals?.balance);
    expect(BigInt(totals?.balance ?? -1)).toBeGreaterThanOrEqual(0n);
    // Three server starts (migrations included) and 2,000 requests on two cores.
  }, 120_000);
});
