// First: keeps start-up from growing V8's young generation (see startup/young-generation.ts).
import './startup/young-generation';
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { ConfigError, type Config, loadConfig } from '@gw/config';
import { announce, say } from './startup/announce';
import { runCluster } from './startup/cluster';
import { prepareEnvFile } from './startup/env-file';
import { projectRoot } from './startup/paths';
import { ensureServices, StartupError } from './startup/preflight';

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
  if (config.API_WORKERS > 1) {
    runCluster({ workers: config.API_WORKERS, onReady: () => announce(config), say });
    return;
  }
  // Loaded only here: a cluster's main process serves nothing and stays small.
  const { serve } = await import('./serve');
  await serve(config, { jobs: config.WORKER === 'on', bootstrapAdmin: true });
  announce(config);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof StartupError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(`Start-up failed: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  process.exit(1);
});
