// Applies pending migrations, then exits. `npm start` runs it as a child process so the schema
// engine (WebAssembly, about 50 MB) never stays resident in the server.
import { join } from 'node:path';
import { ensureDatabase, MigrationRunner } from '@gw/db';
import { projectRoot } from './paths';

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function main(): Promise<void> {
  const databaseUrl = process.env['DATABASE_URL'];
  if (!databaseUrl) throw new Error('DATABASE_URL is not set');
  const root = projectRoot();
  const { created } = await ensureDatabase(databaseUrl);
  if (created) say('Created the database.');
  const runner = new MigrationRunner({
    databaseUrl,
    migrationsDir: join(root, 'prisma/migrations'),
    schemaPath: join(root, 'prisma/schema.prisma'),
  });
  try {
    const { applied } = await runner.deploy();
    if (applied.length > 0) say(`Applied ${String(applied.length)} migration(s): ${applied.join(', ')}`);
  } finally {
    await runner.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
