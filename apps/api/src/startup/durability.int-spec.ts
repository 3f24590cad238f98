import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeOpenRouter, TEST_REDIS_URL } from '@gw/testing';
import { buildServer, freePort, serverStorage, startServer } from '../testing/server-process';
import { call } from '../testing/test-app';

const REQUESTS = 200;

/** SPEC: nothing on the request path is lost if the process dies right after answering. */
describe('generation records survive SIGKILL', () => {
  const storage = serverStorage('kill');
  let upstream: FakeOpenRouter;

  beforeAll(async () => {
    buildServer();
    upstream = await FakeOpenRouter.start();
  });
  afterAll(async () => {
    await upstream.close();
    await storage.drop();
  });

  async function countGenerations(): Promise<number> {
    const rows = await storage.query<{ n: string }>('SELECT count(*) AS n FROM generations');
    return Number(rows[0]?.n ?? 0);
  }

  it(`keeps all ${String(REQUESTS)} records of a process killed right after answering`, async () => {
    const port = String(await freePort());
    const base = `http://127.0.0.1:${port}`;
    const env = {
      ENV_FILE: join(mkdtempSync(join(tmpdir(), 'gw-kill-')), '.env.local'),
      DATABASE_URL: storage.databaseUrl,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: storage.redisPrefix,
      PORT: port,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      OPENROUTER_BASE_URL: upstream.baseUrl,
      OPENROUTER_API_KEY: 'platform-key',
      SIGNUP_CREDITS: '100',
    };
    // The first process runs no worker: every record must outlive it in the queue.
    const first = startServer({ ...env, WORKER: 'off' });
    let key: string;
    try {
      await first.waitFor(/Dashboard:/);
      const signup = await call(base, 'POST', '/api/auth/signup', {
        body: { email: 'kill@example.com', password: 'a-long-enough-secret-9' },
      });
      key = (await call(base, 'POST', '/api/keys', { token: signup.body.token, body: { name: 'load' } })).body.key;
      const statuses: number[] = [];
      for (let batch = 0; batch < REQUESTS / 20; batch++) {
        const results = await Promise.all(
          Array.from({ length: 20 }, () =>
            call(base, 'POST', '/v1/chat/completions', {
              token: key,
              body: { model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] },
            }),
          ),
        );
        statuses.push(...results.map((r) => r.status));
      }
      expect(statuses.filter((s) => s === 200)).toHaveLength(REQUESTS);
    } finally {
      await first.stop('SIGKILL');
    }
    expect(await countGenerations()).toBe(0);

    const second = startServer({ ...env, WORKER: 'on' });
    try {
      await second.waitFor(/Dashboard:/);
      const deadline = Date.now() + 20_000;
      let count = 0;
      while (Date.now() < deadline) {
        count = await countGenerations();
        if (count >= REQUESTS) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(count).toBe(REQUESTS);
    } finally {
      await second.stop();
    }
  });
});
