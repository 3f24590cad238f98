import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Client, type QueryResultRow } from 'pg';
import { ADMIN_DATABASE_URL, clearRedis, runId } from '@gw/testing';

const root = join(__dirname, '../../../..');
const main = join(root, 'dist/apps/api/src/main.js');

/** Compiles the server as `npm start` does (about 100 ms). */
export function buildServer(): void {
  execFileSync(process.execPath, [join(root, 'tools/build.js')], { cwd: root, stdio: 'ignore' });
}

export interface ServerProcess {
  readonly child: ChildProcess;
  output(): string;
  readonly exited: Promise<number | null>;
  waitFor(pattern: RegExp, ms?: number): Promise<RegExpMatchArray>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Runs the built server (`dist/apps/api/src/main.js`) as a user would, with only `env`. */
export function startServer(env: Record<string, string>): ServerProcess {
  const child = spawn(process.execPath, [main], {
    cwd: root,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exited,
    // Generous: a start runs migrations and compiles, and CI machines share their cores with the suite.
    async waitFor(pattern, ms = 60_000) {
      const deadline = Date.now() + ms;
      while (Date.now() < deadline) {
        const match = pattern.exec(output);
        if (match) return match;
        if (child.exitCode !== null || child.signalCode !== null) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`no ${String(pattern)} in output:\n${output}`);
    },
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/**
 * A port for a server process to listen on: below Linux's ephemeral range (32768+), so no outgoing
 * connection can be holding it, and checked free by binding it first.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 10_000 + Math.floor(Math.random() * 20_000);
    const free = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error('no free port found');
}

/** Where server processes of one test keep their data: a database they create on start, and a Redis prefix. */
export interface ServerStorage {
  readonly databaseUrl: string;
  readonly redisPrefix: string;
  query<T extends QueryResultRow>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Drops the database and clears the prefix. */
  drop(): Promise<void>;
}

export function serverStorage(tag: string): ServerStorage {
  const database = `gw_test_${runId()}_${tag}_${randomBytes(3).toString('hex')}`;
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${database}`;
  const databaseUrl = url.toString();
  const redisPrefix = `gwtest:${runId()}:${tag}:`;
  const withClient = async <T>(connectionString: string, work: (client: Client) => Promise<T>): Promise<T> => {
    const client = new Client({ connectionString });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  };
  return {
    databaseUrl,
    redisPrefix,
    query: <T extends QueryResultRow>(sql: string, params: unknown[] = []) =>
      withClient(databaseUrl, async (client) => (await client.query<T>(sql, params)).rows),
    async drop() {
      await clearRedis(redisPrefix);
      await withClient(ADMIN_DATABASE_URL, (client) => client.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`));
    },
  };
}
