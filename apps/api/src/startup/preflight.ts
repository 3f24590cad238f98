import { spawnSync } from 'node:child_process';
import { Client } from 'pg';
import { Redis } from 'ioredis';
import type { Config } from '@gw/config';

export class StartupError extends Error {}

async function postgresUp(databaseUrl: string): Promise<boolean> {
  const url = new URL(databaseUrl);
  url.pathname = '/postgres';
  const client = new Client({ connectionString: url.toString(), connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    return true;
  } catch (error) {
    // Reached the server but e.g. authentication failed: waiting will not help, say so.
    const code = (error as { code?: string }).code;
    if (code === '28P01' || code === '28000') {
      throw new StartupError(`Postgres refused the credentials in DATABASE_URL (${code}); fix DATABASE_URL.`);
    }
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function redisUp(redisUrl: string): Promise<boolean> {
  const redis = new Redis(redisUrl, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 3_000,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
    return true;
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

function dockerAvailable(): boolean {
  return spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Makes sure Postgres and Redis answer. When one does not and Docker is available, starts the
 * bundled docker-compose.yml; otherwise fails with one line saying what to start or set.
 */
export async function ensureServices(config: Config, root: string, say: (line: string) => void): Promise<void> {
  const check = async () => ({ pg: await postgresUp(config.DATABASE_URL), redis: await redisUp(config.REDIS_URL) });
  let status = await check();
  if (status.pg && status.redis) return;
  const missing = [!status.pg && 'Postgres', !status.redis && 'Redis'].filter(Boolean).join(' and ');
  if (dockerAvailable()) {
    say(`${missing} not reachable; starting them with docker compose...`);
    const result = spawnSync('docker', ['compose', 'up', '-d', '--wait'], { cwd: root, stdio: 'inherit' });
    if (result.status === 0) status = await check();
    if (status.pg && status.redis) return;
  }
  const hints = [
    !status.pg && `Postgres at ${redactUrl(config.DATABASE_URL)} (start Postgres or set DATABASE_URL)`,
    !status.redis && `Redis at ${redactUrl(config.REDIS_URL)} (start Redis or set REDIS_URL)`,
  ].filter(Boolean);
  throw new StartupError(`Cannot reach ${hints.join(' and ')}; with Docker installed, 'docker compose up -d' starts both.`);
}

/** A URL safe to print: the password is replaced. */
export function redactUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = '****';
    return url.toString();
  } catch {
    return '(invalid URL)';
  }
}
