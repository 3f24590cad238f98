import { Writable } from 'node:stream';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { GenerationWriter } from '@gw/gateway';
import { JobsModule } from '@gw/jobs';
import { type Config, type EnvInput, loadConfig } from '@gw/config';
import { clearRedis, createTestDatabase, type TestDatabase, testRedisPrefix, TEST_REDIS_URL } from '@gw/testing';
import { createApp } from '../create-app';
import { createLogger } from '../http/logger';

export const TEST_PEPPER = 'test-pepper-0123456789abcdef0123456789abcdef';

export interface TestApp {
  readonly app: NestFastifyApplication;
  readonly url: string;
  readonly config: Config;
  readonly db: TestDatabase;
  /** Every log line the app wrote, as JSON text. */
  readonly logs: string[];
  /** Writes every queued generation record to Postgres now (needs `worker: true`). */
  drainGenerations(): Promise<void>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: Partial<Record<keyof EnvInput, string>>;
  /** Also run the worker (BullMQ jobs and the generation writer), as `npm start` does. */
  worker?: boolean;
  /** Share an existing database (and Redis prefix) to run a second instance. */
  shareWith?: TestApp;
}

/** Starts the real application on a free port, on its own cloned database and Redis prefix. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const db = options.shareWith?.db ?? (await createTestDatabase());
  const prefix = options.shareWith?.config.REDIS_PREFIX ?? testRedisPrefix();
  const config = loadConfig({
    SERVER_PEPPER: TEST_PEPPER,
    DATABASE_URL: db.url,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_PREFIX: prefix,
    LOG_LEVEL: 'info',
    // Platform-key requests need credits; tests about money set their own amount.
    SIGNUP_CREDITS: '100',
    ...options.env,
  });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logs.push(chunk.toString());
      callback();
    },
  });
  const logger = createLogger(config, sink);
  const app = await createApp(config, { logger });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const worker = options.worker
    ? await NestFactory.createApplicationContext(JobsModule.forRoot(config, logger), { logger: false })
    : null;
  await worker?.init();
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const owner = !options.shareWith;
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    config,
    db,
    logs,
    drainGenerations: async () => {
      if (!worker) throw new Error('start the test app with worker: true');
      return worker.get(GenerationWriter).drain();
    },
    async close() {
      await worker?.close();
      await app.close();
      if (owner) {
        await clearRedis(prefix);
        await db.drop();
      }
    },
  };
}

/** A small JSON client for tests: returns status, headers and parsed body. */
export async function call(
  base: string,
  method: string,
  path: string,
  options: { body?: unknown; rawBody?: string; token?: string; headers?: Record<string, string> } = {},
  // Tests read arbitrary JSON bodies; asserting each shape's type here would only restate the test.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
): Promise<{ status: number; headers: Headers; body: any }> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers['authorization'] = `Bearer ${options.token}`;
  let payload: string | undefined = options.rawBody;
  if (options.body !== undefined) payload = JSON.stringify(options.body);
  if (payload !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
  const response = await fetch(base + path, { method, headers, body: payload });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON: keep the text.
  }
  return { status: response.status, headers: response.headers, body };
}
