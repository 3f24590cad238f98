import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { NestFactory } from '@nestjs/core';
import { AccountsService } from '@gw/accounts';
import type { Config } from '@gw/config';
import { JobsModule } from '@gw/jobs';
import { Secret } from '@gw/kernel';
import { createApp } from './create-app';
import { createLogger } from './http/logger';
import { say } from './startup/announce';
import { releaseYoungGeneration } from './startup/young-generation';

const DEFAULT_ADMIN_EMAIL = 'admin@gateway.local';
// Only these stop the server (Nest's default list includes SIGUSR2 and SIGHUP).
export const SHUTDOWN_SIGNALS = ['SIGTERM', 'SIGINT'];

export interface ServeOptions {
  /** Run the BullMQ jobs and the generation writer in this process (WORKER=on, one process of a cluster). */
  readonly jobs: boolean;
  /** Bootstrap the admin account and say how to log in (one process of a cluster). */
  readonly bootstrapAdmin: boolean;
}

/** Builds the application in this process and listens on PORT (shared by a cluster's workers). */
export async function serve(config: Config, options: ServeOptions): Promise<void> {
  const logger = createLogger(config);
  const app = await createApp(config, { logger });
  app.enableShutdownHooks(SHUTDOWN_SIGNALS);
  if (options.bootstrapAdmin) {
    const email = config.ADMIN_EMAIL ?? DEFAULT_ADMIN_EMAIL;
    const password = config.ADMIN_PASSWORD ?? randomBytes(12).toString('base64url');
    const { created } = await app.get(AccountsService).ensureAdmin(email.toLowerCase(), new Secret(password));
    if (created && !config.ADMIN_PASSWORD) {
      say(`Admin account created: ${email} / ${password}  (shown once; set ADMIN_PASSWORD to choose it)`);
    } else {
      say(`Admin login: ${email}${created ? ' (password from ADMIN_PASSWORD)' : ''}`);
    }
  }
  if (options.jobs) {
    const worker = await NestFactory.createApplicationContext(JobsModule.forRoot(config, logger), { logger: false });
    worker.enableShutdownHooks(SHUTDOWN_SIGNALS);
  }
  await app.listen({ port: config.PORT, host: config.HOST });
  releaseYoungGeneration();
}
