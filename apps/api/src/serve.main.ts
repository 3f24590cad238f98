// First: keeps start-up from growing V8's young generation (see startup/young-generation.ts).
import './startup/young-generation';
import { ConfigError, loadConfig } from '@gw/config';
import { serve } from './serve';

/**
 * One HTTP worker of a cluster (API_WORKERS > 1): the main process has already prepared the
 * environment, the database and its migrations. Worker 0 also bootstraps the admin and, with
 * WORKER=on, runs the jobs.
 */
async function main(): Promise<void> {
  // The main process went away (killed): stop as on SIGTERM rather than serve on unsupervised.
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  const config = loadConfig();
  const first = process.env['GW_WORKER_INDEX'] === '0';
  await serve(config, { jobs: first && config.WORKER === 'on', bootstrapAdmin: first });
  process.send?.({ kind: 'ready' });
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof ConfigError ? error.message : `Worker start-up failed: ${error instanceof Error ? error.message : String(error)}`}\n`,
  );
  process.exit(1);
});
