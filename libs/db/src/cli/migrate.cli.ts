// Prisma migrations without Prisma's native engine (see libs/db/src/migrate). Usage:
//   node tools/run-ts.js libs/db/src/cli/migrate.cli.ts deploy | status | create <name> | reset [--force]
import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { ensureDatabase, MigrationRunner, parseDatabaseUrl } from '../migrate';

const DEFAULT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/gateway';
const USAGE = 'usage: migrate.cli.ts deploy | status | create <name> | reset [--force]';

class UsageError extends Error {}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  if (command === undefined) throw new UsageError('missing command');
  const databaseUrl = process.env['DATABASE_URL'] || DEFAULT_DATABASE_URL;
  const { host, port, database } = parseDatabaseUrl(databaseUrl);
  const target = `${database} on ${host}:${port}`;
  const root = findRepoRoot(__dirname);
  const migrationsDir = join(root, 'prisma/migrations');
  const runner = new MigrationRunner({
    databaseUrl,
    migrationsDir,
    schemaPath: join(root, 'prisma/schema.prisma'),
    log: (line) => say(line),
  });
  const createIfMissing = async (): Promise<void> => {
    if ((await ensureDatabase(databaseUrl)).created) say(`Created database ${target}`);
  };

  try {
    switch (command) {
      case 'deploy': {
        expectArgs(rest, 0);
        await createIfMissing();
        const { applied } = await runner.deploy();
        say(`Database ${target} is up to date (${applied.length} migration(s) applied).`);
        return 0;
      }
      case 'status': {
        expectArgs(rest, 0);
        const { pending, upToDate, details } = await runner.status();
        for (const name of listOf(details, 'editedMigrationNames')) {
          say(`warning: migration ${name} was edited after it was applied`);
        }
        for (const name of listOf(details, 'failedMigrationNames')) say(`Failed migration: ${name}`);
        for (const name of pending) say(`Pending migration: ${name}`);
        const history: unknown = typeof details === 'object' && details !== null ? Reflect.get(details, 'history') : undefined;
        for (const name of listOf(history, 'unpersistedMigrationNames')) {
          say(`Applied to the database but missing from prisma/migrations: ${name}`);
        }
        if (upToDate) {
          say(`Database ${target} is up to date.`);
          return 0;
        }
        // Non-zero like `prisma migrate status`, so scripts can gate on it.
        say(`Database ${target} is NOT up to date.`);
        return 1;
      }
      case 'create': {
        const [name] = expectArgs(rest, 1);
        await createIfMissing();
        const result = await runner.create(name ?? '');
        // The runner has already said whether there was a change.
        if (!('empty' in result)) say(`Wrote ${relative(process.cwd(), result.path)}`);
        return 0;
      }
      case 'reset': {
        const force = rest.includes('--force') || rest.includes('-f');
        expectArgs(
          rest.filter((arg) => arg !== '--force' && arg !== '-f'),
          0,
        );
        if (!force && !(await confirm(`Drop ALL data in ${target} and re-apply every migration? [y/N] `))) {
          say('Reset cancelled.');
          return 1;
        }
        await createIfMissing();
        await runner.reset();
        say(`Database ${target} was reset.`);
        return 0;
      }
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } finally {
    await runner.close();
  }
}

function expectArgs(args: string[], count: number): string[] {
  if (args.length !== count) throw new UsageError(`expected ${count} argument(s), got ${args.length}`);
  return args;
}

async function confirm(question: string): Promise<boolean> {
  // A script cannot answer: it must say --force explicitly.
  if (!process.stdin.isTTY) throw new Error('reset destroys data: pass --force to run it non-interactively');
  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await prompt.question(question)).trim());
  } finally {
    prompt.close();
  }
}

function findRepoRoot(start: string): string {
  // Walk up rather than count `..`, so this works from source and from a build output alike.
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'prisma/schema.prisma'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no prisma/schema.prisma found above ${start}`);
  }
}

function listOf(details: unknown, key: string): string[] {
  if (typeof details !== 'object' || details === null) return [];
  const value: unknown = Reflect.get(details, key);
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s*\n\s*/g, ' ').trim();
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(error instanceof UsageError ? `${oneLine(error)}\n${USAGE}\n` : `error: ${oneLine(error)}\n`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  },
);
