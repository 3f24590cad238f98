import 'reflect-metadata';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import pino from 'pino';
import { ConfigError, loadConfig, loadEnvFile } from '@gw/config';
import { JobsModule } from '@gw/jobs';

/** A standalone BullMQ worker (`npm start` runs the same jobs in-process unless WORKER=off). */
async function main(): Promise<void> {
  loadEnvFile(process.env['ENV_FILE'] ?? join(process.cwd(), '.env.local'));
  const config = loadConfig();
  const logger = pino({ level: config.LOG_LEVEL, base: { service: 'llm-gateway-worker' } });
  const context = await NestFactory.createApplicationContext(JobsModule.forRoot(config, logger), { logger: false });
  context.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  process.stdout.write('Worker: running the generation writer and the scheduled jobs\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof ConfigError ? error.message : `Worker failed: ${String(error)}`}\n`);
  process.exit(1);
});
