import 'reflect-metadata';
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { AccountsService } from '@gw/accounts';
import { type Config, ConfigError, loadConfig } from '@gw/config';
import { JobsModule } from '@gw/jobs';
import { Secret } from '@gw/kernel';
import { createApp } from './create-app';
import { createLogger } from './http/logger';
import { prepareEnvFile } from './startup/env-file';
import { projectRoot } from './startup/paths';
import { ensureServices, StartupError } from './startup/preflight';

const DEFAULT_ADMIN_EMAIL = 'admin@gateway.local';
// Only these stop the server (Nest's default list includes SIGUSR2 and SIGHUP).
const SHUTDOWN_SIGNALS = ['SIGTERM', 'SIGINT'];

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/**
 * Creates the database if needed and applies pending migrations in a child process: the schema
 * engine is WebAssembly that would otherwise stay resident (about 50 MB) for the server's life.
 */
async function migrate(config: Config): Promise<void> {
  const child = fork(join(__dirname, 'startup', 'migrate.main.js'), [], {
    env: { ...process.env, DATABASE_URL: config.DATABASE_URL },
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) throw new StartupError(`Migrations failed: ${stderr.trim() || `exit code ${String(code)}`}`);
}

async function main(): Promise<void> {
  const root = projectRoot();
  const { generatedPepper } = prepareEnvFile(process.env['ENV_FILE'] ?? join(root, '.env.local'));
  const config = loadConfig();
  if (generatedPepper) say('Generated SERVER_PEPPER into .env.local (keep that file).');
  await ensureServices(config, root, say);
  await migrate(config);

  const logger = createLogger(config);
  const app = await createApp(config, { logger });
  app.enableShutdownHooks(SHUTDOWN_SIGNALS);
  const email = config.ADMIN_EMAIL ?? DEFAULT_ADMIN_EMAIL;
  const password = config.ADMIN_PASSWORD ?? randomBytes(12).toString('base64url');
  const { created } = await app.get(AccountsService).ensureAdmin(email.toLowerCase(), new Secret(password));
  if (created && !config.ADMIN_PASSWORD) {
    say(`Admin account created: ${email} / ${password}  (shown once; set ADMIN_PASSWORD to choose it)`);
  } else {
    say(`Admin login: ${email}${created ? ' (password from ADMIN_PASSWORD)' : ''}`);
  }

  if (config.WORKER === 'on') {
    const worker = await NestFactory.createApplicationContext(JobsModule.forRoot(config, logger), { logger: false });
    worker.enableShutdownHooks(SHUTDOWN_SIGNALS);
  }

  await app.listen({ port: config.PORT, host: config.HOST });
  const shown = config.HOST === '0.0.0.0' || config.HOST === '::' ? 'localhost' : config.HOST;
  const base = `http://${shown}:${config.PORT}`;
  say(`Dashboard: ${base}/`);
  say(`API:       ${base}/v1  (OpenAI-compatible)`);
  say(`Health:    ${base}/healthz  ${base}/readyz`);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof StartupError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(`Start-up failed: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  process.exit(1);
});
