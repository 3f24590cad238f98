import { PrismaPg } from '@prisma/adapter-pg';
import { Pool } from 'pg';
import { PrismaClient } from './generated/prisma/client';

export type { PrismaClient } from './generated/prisma/client';
export { Prisma, UserRole } from './generated/prisma/client';
export type { GatewayKey, Generation, ProviderKey, Session, Tenant, User, VaultWrap } from './generated/prisma/client';

/**
 * One pg pool shared by Prisma (dashboard and management routes) and by raw queries on the
 * per-request hot path, where Prisma's query compiler costs several times a plain query.
 */
export class Database {
  readonly pool: Pool;
  readonly prisma: PrismaClient;

  constructor(url: string, options: { max?: number; applicationName?: string } = {}) {
    this.pool = new Pool({
      connectionString: url,
      max: options.max ?? 10,
      application_name: options.applicationName ?? 'llm-gateway',
      idleTimeoutMillis: 30_000,
    });
    // A broken idle connection must not crash the process; pg replaces it on the next checkout.
    this.pool.on('error', () => undefined);
    this.prisma = new PrismaClient({ adapter: new PrismaPg(this.pool) });
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.prisma.$disconnect();
    await this.pool.end();
  }
}

/** findMany arguments for a newest-first page fetched one row long, continuing after `cursor`. */
export function newestFirstPage(limit: number, cursor?: string) {
  return {
    orderBy: [{ createdAt: 'desc' as const }, { id: 'desc' as const }],
    take: limit + 1,
    ...(cursor ? { cursor: { id: cursor }, skip: 1 } : {}),
  };
}
