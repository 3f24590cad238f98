import { randomBytes } from 'node:crypto';

/** Shared by global setup/teardown and the per-file helpers: names of this run's databases. */
export const ADMIN_DATABASE_URL = process.env['TEST_DATABASE_ADMIN_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

export function runId(): string {
  const id = process.env['GW_TEST_RUN_ID'];
  if (!id) throw new Error('GW_TEST_RUN_ID is not set: integration specs must run through the jest integration project');
  return id;
}

export function newRunId(): string {
  return `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

export function templateDatabaseName(id = runId()): string {
  return `gw_test_${id}_tpl`;
}

export function databaseUrl(database: string): string {
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${database}`;
  return url.toString();
}
