import { Pool, type PoolClient } from 'pg';
import type { Prisma, PrismaClient } from './generated/prisma/client';

export type { Prisma, PrismaClient, UserRole } from './generated/prisma/client';
export type { GatewayKey, Generation, ProviderKey, Session, Tenant, User, VaultWrap } from './generated/prisma/client';

/**
 * One pg pool shared by Prisma (dashboard and management routes) and by raw queries on the
 * per-request hot path, where Prisma's query compiler costs several times a plain query.
 */
export class Database {
  readonly pool: Pool;
  private client: PrismaClient | undefined;

  constructor(url: string, options: { max?: number; applicationName?: string } = {}) {
    this.pool = new Pool({
      connectionString: url,
      max: options.max ?? 10,
      application_name: options.applicationName ?? 'llm-gateway',
      idleTimeoutMillis: 30_000,
    });
    // A broken idle connection must not crash the process; pg replaces it on the next checkout.
    this.pool.on('error', () => undefined);
  }

  /**
   * Created on first use. Its query compiler is WebAssembly that stays resident once loaded (about
   * 35 MB); start-up and the worker's routine jobs use the pool, so it loads with the first query
   * that needs it (dashboard and management routes, the credit store's first read of a balance).
   */
  get prisma(): PrismaClient {
    this.client ??= createPrismaClient(this.pool);
    return this.client;
  }

  /** Runs `work` in one pg transaction: committed when it resolves, rolled back when it throws. */
  async transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.client?.$disconnect();
    await this.pool.end();
  }
}

function createPrismaClient(pool: Pool): PrismaClient {
  // Required here, not imported at the top, so that the generated client and the adapter load
  // only with the first Prisma query (see Database.prisma).
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded on first use */
  const { PrismaClient } = require('./generated/prisma/client') as typeof import('./generated/prisma/client');
  const { PrismaPg } = require('@prisma/adapter-pg') as typeof import('@prisma/adapter-pg');
  /* eslint-enable @typescript-eslint/no-require-imports */
  return new PrismaClient({ adapter: new PrismaPg(pool) });
}

/**
 * Where plain SQL runs inside a transaction: the pg client `Database.transaction` hands over, or a
 * Prisma interactive transaction wrapped by `sqlIn`, so one statement serves both.
 */
export interface SqlTx {
  query(text: string, values: unknown[]): Promise<unknown>;
}

/** Plain SQL statements (`$1` placeholders) inside a Prisma interactive transaction. */
export function sqlIn(tx: Prisma.TransactionClient): SqlTx {
  return { query: (text, values) => tx.$executeRawUnsafe(text, ...values) };
}

/** findMany arguments for a newest-first page fetched one row long, continuing after `cursor`. */
export function newestFirstPage(limit: number, cursor?: string) {
  return {
    orderBy: [{ createdAt: 'desc' as const }, { id: 'desc' as const }],
    take: limit + 1,
    ...(cursor ? { cursor: { id: cursor }, skip: 1 } : {}),
  };
}
