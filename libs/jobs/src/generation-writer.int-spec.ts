import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { Redis } from 'ioredis';
import pino from 'pino';
import { loadConfig } from '@gw/config';
import { Database } from '@gw/db';
import { RedisKeys } from '@gw/queue';
import { clearRedis, createTestDatabase, type TestDatabase, testRedisPrefix, TEST_REDIS_URL } from '@gw/testing';
import { type GenerationRecord, generationStreamKey, GenerationWriter } from '@gw/gateway';
import { JobsModule } from './jobs.module';

function record(id: string, tenantId: string, keyId: string): GenerationRecord {
  return {
    id,
    tenantId,
    keyId,
    requestedModel: 'openai/gpt-4o-mini',
    model: 'openai/gpt-4o-mini',
    provider: 'openrouter',
    isByok: false,
    fallback: false,
    attempts: [{ provider: 'openrouter', model: 'openai/gpt-4o-mini', byok: false, outcome: 'ok', status: 200 }],
    promptTokens: 3,
    completionTokens: 5,
    costMicros: '0',
    upstreamCostMicros: '12',
    latencyMs: 10,
    ttfbMs: 5,
    status: 'ok',
    httpStatus: 200,
    streamed: false,
    appReferer: null,
    appTitle: null,
    createdAt: new Date().toISOString(),
  };
}

describe('GenerationWriter', () => {
  let db: TestDatabase;
  let prefix: string;
  let redis: Redis;

  beforeAll(async () => {
    db = await createTestDatabase();
    prefix = testRedisPrefix();
    redis = new Redis(TEST_REDIS_URL);
  });
  afterAll(async () => {
    redis.disconnect();
    await clearRedis(prefix);
    await db.drop();
  });

  it('writes records a crashed writer had read but never acknowledged, exactly once', async () => {
    const config = loadConfig({
      SERVER_PEPPER: 'p'.repeat(40),
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: prefix,
    });
    const stream = generationStreamKey(new RedisKeys(prefix));
    let sut: INestApplicationContext | undefined;
    try {
      sut = await NestFactory.createApplicationContext(JobsModule.forRoot(config, pino({ level: 'silent' })), { logger: false });
      const prisma = sut.get(Database).prisma;
      const user = await prisma.user.create({
        data: { email: 'w@example.com', passwordHash: 'x', tenant: { create: { name: 'w' } } },
      });
      const key = await prisma.gatewayKey.create({
        data: { tenantId: user.tenantId, publicId: 'writer000000', name: 'k', hint: 'h' },
      });
      await sut.close();
      sut = undefined;

      // Ten records; a "crashed" consumer reads six of them and dies without acknowledging.
      await redis.xgroup('CREATE', stream, 'generation-writers', '0', 'MKSTREAM').catch(() => undefined);
      for (let i = 0; i < 10; i++)
        await redis.xadd(stream, '*', 'g', JSON.stringify(record(`gen-test-${String(i)}`, user.tenantId, key.id)));
      // The same generation queued twice (a retried enqueue) must still give one row.
      await redis.xadd(stream, '*', 'g', JSON.stringify(record('gen-test-0', user.tenantId, key.id)));
      await redis.call('XREADGROUP', 'GROUP', 'generation-writers', 'dead-consumer', 'COUNT', '6', 'STREAMS', stream, '>');

      sut = await NestFactory.createApplicationContext(JobsModule.forRoot(config, pino({ level: 'silent' })), { logger: false });
      await sut.init();
      await sut.get(GenerationWriter).drain();
      const rows = await sut.get(Database).prisma.generation.findMany({ orderBy: { id: 'asc' } });
      expect(rows.map((r) => r.id)).toEqual(Array.from({ length: 10 }, (_, i) => `gen-test-${String(i)}`).sort());
      expect(rows[0]).toEqual(
        expect.objectContaining({ promptTokens: 3, completionTokens: 5, upstreamCostMicros: 12n, status: 'ok' }),
      );
      expect(await redis.xlen(stream)).toBe(0);
      const pending = (await redis.xpending(stream, 'generation-writers')) as [number, ...unknown[]];
      expect(pending[0]).toBe(0);
    } finally {
      await sut?.close();
    }
  });
});
