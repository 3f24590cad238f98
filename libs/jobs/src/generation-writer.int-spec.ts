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

  it('posts each charged generation once, cuts a charge to the balance, and skips a charge already posted', async () => {
    const config = loadConfig({
      SERVER_PEPPER: 'p'.repeat(40),
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: `${prefix}charges:`,
    });
    const stream = generationStreamKey(new RedisKeys(`${prefix}charges:`));
    const sut = await NestFactory.createApplicationContext(JobsModule.forRoot(config, pino({ level: 'silent' })), {
      logger: false,
    });
    try {
      await sut.init();
      const database = sut.get(Database);
      const user = await database.prisma.user.create({
        data: { email: 'c@example.com', passwordHash: 'x', tenant: { create: { name: 'c' } } },
      });
      const key = await database.prisma.gatewayKey.create({
        data: { tenantId: user.tenantId, publicId: 'charges00000', name: 'k', hint: 'h' },
      });
      // 1,000 granted, and a charge for gen-pre already in the ledger: the balance is 900.
      await database.pool.query(
        `INSERT INTO ledger_entries (id, tenant_id, kind, amount_micros, balance_after_micros, generation_id, idempotency_key)
         VALUES (gen_random_uuid(), $1, 'grant', 1000, 1000, NULL, 'grant-1'),
                (gen_random_uuid(), $1, 'charge', -100, 900, 'gen-pre', 'gen:gen-pre')`,
        [user.tenantId],
      );
      await database.pool.query(`INSERT INTO tenant_balances (tenant_id, balance_micros) VALUES ($1, 900)`, [user.tenantId]);
      const charged = (id: string, micros: number) =>
        redis.xadd(stream, '*', 'g', JSON.stringify(record(id, user.tenantId, key.id)), 'c', String(micros));
      await charged('gen-a', 300);
      await charged('gen-b', 300);
      await charged('gen-b', 300); // queued twice: charged once
      await charged('gen-c', 600); // only 300 left: cut to 300
      await charged('gen-d', 0);
      await charged('gen-pre', 100); // its charge is already posted
      await sut.get(GenerationWriter).drain();

      const { rows: entries } = await database.pool.query<{ generation_id: string; amount_micros: string }>(
        `SELECT generation_id, amount_micros FROM ledger_entries WHERE kind = 'charge' ORDER BY generation_id`,
      );
      expect(entries.map((e) => [e.generation_id, Number(e.amount_micros)])).toEqual([
        ['gen-a', -300],
        ['gen-b', -300],
        ['gen-c', -300],
        ['gen-pre', -100],
      ]);
      const { rows: totals } = await database.pool.query<{ sum: string; balance: string; usage: string }>(
        `SELECT (SELECT sum(amount_micros) FROM ledger_entries WHERE tenant_id = $1) AS sum,
                (SELECT balance_micros FROM tenant_balances WHERE tenant_id = $1) AS balance,
                (SELECT usage_micros FROM gateway_keys WHERE id = $2) AS usage`,
        [user.tenantId, key.id],
      );
      expect(totals[0]).toEqual({ sum: '0', balance: '0', usage: '900' });
      const cut = await database.prisma.generation.findUnique({ where: { id: 'gen-c' } });
      expect(cut?.costMicros).toBe(300n);
    } finally {
      await sut.close();
    }
  });

  it('moves a record Postgres refuses, or one that is not JSON, to a dead-letter stream and writes the rest of its batch', async () => {
    const dlPrefix = `${prefix}dead:`;
    const config = loadConfig({
      SERVER_PEPPER: 'p'.repeat(40),
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: dlPrefix,
    });
    const stream = generationStreamKey(new RedisKeys(dlPrefix));
    const sut = await NestFactory.createApplicationContext(JobsModule.forRoot(config, pino({ level: 'silent' })), {
      logger: false,
    });
    try {
      await sut.init();
      const database = sut.get(Database);
      const user = await database.prisma.user.create({
        data: { email: 'd@example.com', passwordHash: 'x', tenant: { create: { name: 'd' } } },
      });
      const key = await database.prisma.gatewayKey.create({
        data: { tenantId: user.tenantId, publicId: 'deadletter00', name: 'k', hint: 'h' },
      });
      await redis.xadd(stream, '*', 'g', JSON.stringify(record('gen-good-1', user.tenantId, key.id)));
      const bad = JSON.stringify(record('gen-bad', 'not-a-tenant-id', key.id));
      await redis.xadd(stream, '*', 'g', bad);
      await redis.xadd(stream, '*', 'g', '{"id": "gen-torn', 'c', '5');
      await redis.xadd(stream, '*', 'g', JSON.stringify(record('gen-good-2', user.tenantId, key.id)));
      await sut.get(GenerationWriter).drain();
      const rows = await database.prisma.generation.findMany({ where: { id: { startsWith: 'gen-' } }, select: { id: true } });
      expect(
        rows
          .map((r) => r.id)
          .filter((id) => id.startsWith('gen-good') || id === 'gen-bad')
          .sort(),
      ).toEqual(['gen-good-1', 'gen-good-2']);
      // The record Postgres refused keeps its settled charge; the torn one is kept as it came.
      const dead = (await redis.xrange(`${stream}:dead`, '-', '+')).map(([, fields]) => fields);
      expect(dead).toEqual([
        ['g', '{"id": "gen-torn', 'c', '5'],
        ['g', bad, 'c', '0'],
      ]);
    } finally {
      await sut.close();
    }
  });
});
