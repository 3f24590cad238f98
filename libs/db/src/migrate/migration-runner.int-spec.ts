import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { cp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { databaseUrlFor, parseDatabaseUrl, redactDatabaseUrl } from './database-url';
import { ensureDatabase } from './ensure-database';
import { MigrationRunner } from './migration-runner';

// Self-contained: its own throwaway database and a temp copy of the migrations folder, so it
// needs no global setup and never writes into the repository.
const SERVER_URL = process.env['TEST_DATABASE_ADMIN_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const REPO_ROOT = join(__dirname, '../../../..');
const SCHEMA_PATH = join(REPO_ROOT, 'prisma/schema.prisma');
const suffix = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
const DB_NAME = `gw_migrate_it_${suffix}`;
const DB_URL = databaseUrlFor(SERVER_URL, DB_NAME);

const workDir = mkdtempSync(join(tmpdir(), 'gw-migrate-it-'));
const migrationsDir = join(workDir, 'migrations');
const logLines: string[] = [];
// Connects lazily, on its first command.
const runner = new MigrationRunner({
  databaseUrl: DB_URL,
  migrationsDir,
  schemaPath: SCHEMA_PATH,
  log: (line) => logLines.push(line),
});
let repoMigrations: string[] = [];

async function query<T extends Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

async function migrationDirs(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

async function dropDatabase(name: string): Promise<void> {
  await query(SERVER_URL, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}

beforeAll(async () => {
  await cp(join(REPO_ROOT, 'prisma/migrations'), migrationsDir, { recursive: true });
  repoMigrations = await migrationDirs(migrationsDir);
  expect(await ensureDatabase(DB_URL)).toEqual({ created: true });
});

afterAll(async () => {
  await runner.close();
  await dropDatabase(DB_NAME);
  await rm(workDir, { recursive: true, force: true });
});

describe('database urls', () => {
  it('parses every part, percent-decoded, with defaults', () => {
    expect(parseDatabaseUrl('postgres://me:p%40ss@db.internal/app?schema=gw&sslmode=require')).toEqual({
      host: 'db.internal',
      port: 5432,
      user: 'me',
      password: 'p@ss',
      database: 'app',
      schema: 'gw',
      sslmode: 'require',
      params: { schema: 'gw', sslmode: 'require' },
    });
    expect(parseDatabaseUrl('postgresql://postgres@[::1]:6543/gateway')).toMatchObject({
      host: '::1',
      port: 6543,
      password: undefined,
    });
  });

  it('points at another database and never leaks the password', () => {
    expect(databaseUrlFor('postgresql://me:secret@h:5433/app?schema=gw', 'postgres')).toBe(
      'postgresql://me:secret@h:5433/postgres?schema=gw',
    );
    expect(redactDatabaseUrl('postgresql://me:secret@h/app')).toBe('postgresql://me:***@h/app');
    expect(() => parseDatabaseUrl('mysql://me:secret@h/app')).toThrow(/postgresql:\/\//);
    expect(() => parseDatabaseUrl('postgresql://me:secret@h:99999/app')).toThrow(/not a valid URL/);
  });
});

describe('ensureDatabase', () => {
  it('creates a database once, even when callers race', async () => {
    const name = `gw_migrate_it_race_${suffix}`;
    const url = databaseUrlFor(SERVER_URL, name);
    try {
      const results = await Promise.all([ensureDatabase(url), ensureDatabase(url), ensureDatabase(url)]);
      expect(results.filter((result) => result.created)).toHaveLength(1);
      expect(await ensureDatabase(url)).toEqual({ created: false });
    } finally {
      await dropDatabase(name);
    }
  });
});

describe('MigrationRunner', () => {
  it('reports every migration as pending on a fresh database', async () => {
    expect(repoMigrations.length).toBeGreaterThan(0);
    const status = await runner.status();
    expect(status.upToDate).toBe(false);
    expect(status.pending).toEqual(repoMigrations);
  });

  it('deploys every migration to a fresh database, recorded with sha256 checksums', async () => {
    const { applied } = await runner.deploy();
    expect(applied).toEqual(repoMigrations);
    expect(logLines).toEqual(expect.arrayContaining(repoMigrations.map((name) => `Applied migration ${name}`)));

    const tables = await query<{ table_name: string }>(
      DB_URL,
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`,
    );
    expect(tables.map((row) => row.table_name)).toEqual(expect.arrayContaining(['users', 'gateway_keys']));

    const rows = await query<{
      migration_name: string;
      checksum: string;
      finished_at: Date | null;
      rolled_back_at: Date | null;
      applied_steps_count: number;
    }>(DB_URL, 'SELECT * FROM _prisma_migrations ORDER BY migration_name');
    expect(rows.map((row) => row.migration_name)).toEqual(repoMigrations);
    for (const row of rows) {
      const sql = await readFile(join(migrationsDir, row.migration_name, 'migration.sql'));
      expect(row.checksum).toBe(createHash('sha256').update(sql).digest('hex'));
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.rolled_back_at).toBeNull();
      expect(row.applied_steps_count).toBe(1);
    }
  });

  it('applies nothing on a second deploy, quickly', async () => {
    const started = performance.now();
    expect(await runner.deploy()).toEqual({ applied: [] });
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('reports the database as up to date', async () => {
    const status = await runner.status();
    expect(status).toMatchObject({ pending: [], upToDate: true });
    expect(status.details).toMatchObject({ failedMigrationNames: [], editedMigrationNames: [], history: null });
  });

  it('creates nothing when the schema matches the migrations', async () => {
    expect(await runner.create('unchanged')).toEqual({ empty: true });
    expect(await migrationDirs(migrationsDir)).toEqual(repoMigrations);
  });

  it('creates, then deploys, a migration for a schema change', async () => {
    const schemaPath = join(workDir, 'schema.prisma');
    const schema = await readFile(SCHEMA_PATH, 'utf8');
    await writeFile(schemaPath, `${schema}\nmodel MigrateProbe {\n  id Int @id\n  @@map("migrate_probe")\n}\n`);
    const changed = new MigrationRunner({ databaseUrl: DB_URL, migrationsDir, schemaPath });
    try {
      const result = await changed.create('Add migrate probe!');
      if ('empty' in result) throw new Error('expected a migration');
      expect(result.name).toMatch(/^\d{14}_add_migrate_probe$/);
      expect(result.path).toBe(join(migrationsDir, result.name, 'migration.sql'));
      expect(await readFile(result.path, 'utf8')).toContain('CREATE TABLE "migrate_probe"');
      expect(await readFile(join(migrationsDir, 'migration_lock.toml'), 'utf8')).toContain('provider = "postgresql"');
      // It sorts after every existing migration, so deploy applies it last.
      expect((await migrationDirs(migrationsDir)).at(-1)).toBe(result.name);

      expect(await changed.deploy()).toEqual({ applied: [result.name] });
      expect(await changed.create('again')).toEqual({ empty: true });
    } finally {
      await changed.close();
    }
  });

  it('turns engine failures into errors naming the migration, without the password', async () => {
    const broken = join(migrationsDir, '29991231235959_broken');
    await mkdir(broken);
    await writeFile(join(broken, 'migration.sql'), 'CREATE TABLE broken (;\n');
    const url = new URL(DB_URL);
    url.username = 'postgres';
    url.password = 'not-a-real-secret'; // trust auth ignores it; it must still never be printed
    const failing = new MigrationRunner({ databaseUrl: url.toString(), migrationsDir, schemaPath: SCHEMA_PATH });
    try {
      const error: unknown = await failing.deploy().then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(error).toBeInstanceOf(Error);
      const message = error instanceof Error ? error.message : '';
      expect(message).toMatch(/migrate deploy failed \(migration 29991231235959_broken\): .*syntax error/);
      expect(message).not.toContain('not-a-real-secret');
      // The failed script ran as one statement batch: nothing of it is left behind.
      expect(await query(DB_URL, `SELECT to_regclass('broken') AS t`)).toEqual([{ t: null }]);
    } finally {
      await failing.close();
      await rm(broken, { recursive: true, force: true });
    }
  });

  it('resets the database and re-applies every migration', async () => {
    await query(DB_URL, `INSERT INTO tenants (id, name) VALUES (gen_random_uuid(), 'to be dropped')`);
    await runner.reset();
    expect(await query(DB_URL, 'SELECT count(*)::int AS n FROM tenants')).toEqual([{ n: 0 }]);
    expect(await runner.status()).toMatchObject({ pending: [], upToDate: true });
  });

  it('serialises concurrent deploys through Prisma advisory lock, and releases it', async () => {
    const name = `gw_migrate_it_lock_${suffix}`;
    const url = databaseUrlFor(SERVER_URL, name);
    await ensureDatabase(url);
    const runners = [1, 2, 3].map(() => new MigrationRunner({ databaseUrl: url, migrationsDir, schemaPath: SCHEMA_PATH }));
    try {
      const started = performance.now();
      const results = await Promise.all(runners.map((each) => each.deploy()));
      const applied = results.map((result) => result.applied.length).sort();
      expect(applied).toEqual([0, 0, (await migrationDirs(migrationsDir)).length]);
      // Without releasing the lock after each command, the losers would wait for a timeout.
      expect(performance.now() - started).toBeLessThan(5000);
      const locks = await query(
        SERVER_URL,
        `SELECT 1 FROM pg_locks l JOIN pg_database d ON d.oid = l.database
          WHERE l.locktype = 'advisory' AND d.datname = $1`,
        [name],
      );
      expect(locks).toEqual([]);
    } finally {
      await Promise.all(runners.map((each) => each.close()));
      await dropDatabase(name);
    }
  });

  it('leaves no connection and no shadow database behind after close()', async () => {
    await runner.close();
    await runner.close(); // idempotent
    await expect(runner.status()).rejects.toThrow(/closed/);
    const connections = await query<{ n: number }>(
      SERVER_URL,
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1`,
      [DB_NAME],
    );
    expect(connections).toEqual([{ n: 0 }]);
    const shadows = await query<{ datname: string }>(
      SERVER_URL,
      `SELECT datname FROM pg_database WHERE datname LIKE 'prisma\\_migrate\\_shadow\\_db\\_%'`,
    );
    expect(shadows).toEqual([]);
  });
});
