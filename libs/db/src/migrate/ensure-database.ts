import { Client, escapeIdentifier } from 'pg';
import { databaseUrlFor, parseDatabaseUrl } from './database-url';

const DUPLICATE_DATABASE = '42P04';
// Two concurrent CREATE DATABASE can also collide on pg_database's unique index.
const UNIQUE_VIOLATION = '23505';
const INVALID_CATALOG_NAME = '3D000';
// Tried in order, as Prisma does: `template1` always exists when `postgres` has been dropped.
const MAINTENANCE_DATABASES = ['postgres', 'template1'] as const;

/** Creates the database named by `url` unless it exists; safe to race with another creator. */
export async function ensureDatabase(url: string): Promise<{ created: boolean }> {
  const { database } = parseDatabaseUrl(url);
  const admin = await connectToMaintenanceDatabase(url);
  try {
    const existing = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (existing.rowCount !== null && existing.rowCount > 0) return { created: false };
    try {
      await admin.query(`CREATE DATABASE ${escapeIdentifier(database)}`);
      return { created: true };
    } catch (error) {
      const code = pgErrorCode(error);
      if (code === DUPLICATE_DATABASE || code === UNIQUE_VIOLATION) return { created: false };
      throw new Error(`Could not create database "${database}": ${errorMessage(error)}`);
    }
  } finally {
    await admin.end();
  }
}

async function connectToMaintenanceDatabase(url: string): Promise<Client> {
  let lastError: unknown;
  for (const name of MAINTENANCE_DATABASES) {
    const client = new Client({ connectionString: databaseUrlFor(url, name) });
    // A connection dropped by the server must surface through the awaited query, not crash.
    client.on('error', () => undefined);
    try {
      await client.connect();
      return client;
    } catch (error) {
      lastError = error;
      await client.end().catch(() => undefined);
      if (pgErrorCode(error) !== INVALID_CATALOG_NAME) break;
    }
  }
  const { host, port } = parseDatabaseUrl(url);
  throw new Error(`Could not connect to Postgres at ${host}:${port}: ${errorMessage(lastError)}`);
}

function pgErrorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
