export { databaseUrlFor, parseDatabaseUrl, redactDatabaseUrl, type DatabaseUrlParts } from './database-url';
export { ensureDatabase } from './ensure-database';
export { MigrationRunner, migrationSlug, type MigrationRunnerOptions, type MigrationStatus } from './migration-runner';
