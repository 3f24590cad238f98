import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import pino from 'pino';
import { loadConfig } from '@gw/config';
import { Database } from '@gw/db';
import { JobRunner } from '@gw/queue';
import { clearRedis, createTestDatabase, type TestDatabase, testRedisPrefix, TEST_REDIS_URL } from '@gw/testing';
import { JobsModule } from './jobs.module';

describe('the BullMQ worker', () => {
  let db: TestDatabase;
  let prefix: string;
  let sut: INestApplicationContext;

  beforeAll(async () => {
    db = await createTestDatabase();
    prefix = testRedisPrefix();
    const config = loadConfig({
      SERVER_PEPPER: 'p'.repeat(40),
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: prefix,
    });
    sut = await NestFactory.createApplicationContext(JobsModule.forRoot(config, pino({ level: 'silent' })), { logger: false });
    await sut.init();
  });
  afterAll(async () => {
    await sut.close();
    await clearRedis(prefix);
    await db.drop();
  });

  it('runs the session purge job: expired sessions go, live ones stay', async () => {
    const prisma = sut.get(Database).prisma;
    const user = await prisma.user.create({
      data: { email: 'jobs@example.com', passwordHash: 'x', tenant: { create: { name: 'jobs' } } },
    });
    const hour = 3_600_000;
    await prisma.session.createMany({
      data: [
        { userId: user.id, tokenHash: new Uint8Array(32).fill(1), expiresAt: new Date(Date.now() - hour) },
        { userId: user.id, tokenHash: new Uint8Array(32).fill(2), expiresAt: new Date(Date.now() + hour) },
      ],
    });
    const producer = new JobRunner(
      TEST_REDIS_URL,
      `${prefix}bull`,
      {
        'sessions.purge-expired': () => Promise.resolve(),
        'billing.expire-reservations': () => Promise.resolve(),
        'catalog.sync-openrouter': () => Promise.resolve(),
      },
      pino({ level: 'silent' }),
    );
    try {
      await producer.enqueue('sessions.purge-expired', {}, `purge-${Date.now()}`);
      const deadline = Date.now() + 10_000;
      while ((await prisma.session.count()) !== 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const left = await prisma.session.findMany();
      expect(left).toHaveLength(1);
      expect(left[0]?.expiresAt.getTime()).toBeGreaterThan(Date.now());
    } finally {
      await producer.close();
    }
  });
});
