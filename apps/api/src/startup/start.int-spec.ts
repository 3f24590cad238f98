import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { ADMIN_DATABASE_URL, clearRedis, runId, TEST_REDIS_URL } from '@gw/testing';
import { buildServer, freePort, startServer as start } from '../testing/server-process';
import { call } from '../testing/test-app';

/** `npm start`'s server process, as a user runs it (after the build that `npm start` does). */
describe('start-up', () => {
  const database = `gw_test_${runId()}_start_${randomBytes(3).toString('hex')}`;
  const envFile = join(mkdtempSync(join(tmpdir(), 'gw-start-')), '.env.local');
  const prefix = `gwtest:${runId()}:start:`;
  const dbUrl = new URL(ADMIN_DATABASE_URL);
  dbUrl.pathname = `/${database}`;
  const env: Record<string, string> = {
    ENV_FILE: envFile,
    DATABASE_URL: dbUrl.toString(),
    REDIS_URL: TEST_REDIS_URL,
    REDIS_PREFIX: prefix,
    HOST: '127.0.0.1',
  };
  let base = '';

  beforeAll(async () => {
    buildServer();
    env['PORT'] = String(await freePort());
    base = `http://127.0.0.1:${env['PORT']}`;
  });
  afterAll(async () => {
    await clearRedis(prefix);
    const admin = new Client({ connectionString: ADMIN_DATABASE_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await admin.end();
  });

  it('creates the database, migrates, bootstraps the admin, and reuses all of it on restart', async () => {
    const first = start(env);
    try {
      const [, email, password] = await first.waitFor(/Admin account created: (\S+) \/ (\S+)/);
      await first.waitFor(/Dashboard: http:\/\/127\.0\.0\.1:\d+\//);
      expect(first.output()).toContain('Created the database.');
      expect(first.output()).toMatch(/Applied \d+ migration/);
      expect((await call(base, 'GET', '/readyz')).status).toBe(200);
      const login = await call(base, 'POST', '/api/auth/login', { body: { email, password } });
      expect(login.status).toBe(200);
      expect(login.body.user.role).toBe('admin');
      const key = await call(base, 'POST', '/api/keys', { token: login.body.token, body: { name: 'survives restarts' } });
      expect(key.status).toBe(201);
      const pepper = readFileSync(envFile, 'utf8');
      expect(pepper).toMatch(/^SERVER_PEPPER=[0-9a-f]{64}$/m);

      await first.stop();
      const second = start(env);
      try {
        await second.waitFor(/Dashboard:/);
        expect(second.output()).toContain(`Admin login: ${email ?? ''}`);
        expect(second.output()).not.toContain(password);
        expect(second.output()).not.toContain('Created the database.');
        expect(readFileSync(envFile, 'utf8')).toBe(pepper);
        // Same database and same pepper: the key made before the restart still verifies.
        expect((await call(base, 'GET', '/v1/key', { token: key.body.key })).status).toBe(200);
        expect((await call(base, 'POST', '/api/auth/login', { body: { email, password } })).status).toBe(200);
      } finally {
        await second.stop();
      }
    } finally {
      await first.stop();
    }
    // Two server starts, each creating or migrating the database.
  }, 120_000);

  it('runs API_WORKERS processes on one port, replaces one that dies, and stops them all on SIGTERM', async () => {
    const children = (pid: number) =>
      readFileSync(`/proc/${String(pid)}/task/${String(pid)}/children`, 'utf8')
        .trim()
        .split(/\s+/)
        .filter(Boolean)
        .map(Number);
    const alive = (pid: number) => existsSync(`/proc/${String(pid)}`);
    const cluster = start({ ...env, API_WORKERS: '2' });
    try {
      await cluster.waitFor(/Dashboard:/, 60_000);
      const main = cluster.child.pid ?? 0;
      const workers = children(main);
      expect(workers).toHaveLength(2);
      // The admin is bootstrapped once, by one worker.
      expect(cluster.output().match(/Admin (login|account created)/g)).toHaveLength(1);
      const signup = await call(base, 'POST', '/api/auth/signup', {
        body: { email: 'cluster@example.com', password: 'cluster-secret-123' },
      });
      expect(signup.status).toBe(201);
      const key = (await call(base, 'POST', '/api/keys', { token: signup.body.token, body: { name: 'cluster' } })).body.key;
      // A key made through one worker authenticates on every worker (connections are spread across them).
      const statuses = await Promise.all(Array.from({ length: 12 }, () => call(base, 'GET', '/v1/key', { token: key })));
      expect(statuses.map((r) => r.status)).toEqual(Array(12).fill(200));

      process.kill(workers[1] ?? 0, 'SIGKILL');
      await cluster.waitFor(/Worker 1 exited \(SIGKILL\); starting it again\./);
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline && (children(main).length < 2 || children(main).includes(workers[1] ?? 0))) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const replaced = children(main);
      expect(replaced).toHaveLength(2);
      expect(replaced).toContain(workers[0]);
      expect((await call(base, 'GET', '/readyz')).status).toBe(200);

      await cluster.stop();
      expect(await cluster.exited).toBe(0);
      expect(replaced.filter(alive)).toEqual([]);
    } finally {
      await cluster.stop('SIGKILL');
    }
  }, 120_000);

  it('stops with one line naming an invalid variable', async () => {
    const started = start({ ...env, PORT: 'eighty' });
    expect(await started.exited).toBe(1);
    expect(started.output().trim().split('\n').at(-1)).toMatch(/^Invalid configuration: PORT /);
  });

  it('stops with one clear line when Redis cannot be reached', async () => {
    const started = start({ ...env, REDIS_URL: 'redis://127.0.0.1:1' });
    expect(await started.exited).toBe(1);
    expect(started.output().trim().split('\n').at(-1)).toMatch(/^Cannot reach Redis at redis:\/\/127\.0\.0\.1:1.*REDIS_URL/);
  });
});
