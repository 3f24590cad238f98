import { join } from 'node:path';
import { Client } from 'pg';
// Jest loads global setup outside its module mapper, so the @gw/db alias does not resolve here.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { MigrationRunner } from '../../../db/src/migrate';
import { ADMIN_DATABASE_URL, databaseUrl, newRunId, templateDatabaseName } from './test-env';

/** Migrates one template database per run; each spec file clones it (CREATE DATABASE ... TEMPLATE). */
export default async function globalSetup(): Promise<void> {
  const id = newRunId();
  process.env['GW_TEST_RUN_ID'] = id;
  const template = templateDatabaseName(id);
  const admin = new Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${template}"`);
  } finally {
    await admin.end();
  }
  const root = join(__dirname, '../../../..');
  const runner = new MigrationRunner({
    databaseUrl: databaseUrl(template),
    migrationsDir: join(root, 'prisma/migrations'),
    schemaPath: join(root, 'prisma/schema.prisma'),
  });
  try {
    await runner.deploy();
  } finally {
    await runner.close();
  }
}
