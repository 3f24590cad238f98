import { Inject, Injectable } from '@nestjs/common';
import { Database, newestFirstPage, isUniqueViolation, type Prisma } from '@gw/db';
import { DomainError, pageOf } from '@gw/kernel';
import { CreditStore } from './credit-store';

export type LedgerKind = 'grant' | 'charge' | 'byok_fee' | 'refund' | 'adjustment' | 'expiry';

export interface LedgerPosting {
  readonly tenantId: string;
  readonly kind: LedgerKind;
  /** Signed micro-USD: grants positive, charges negative. */
  readonly amountMicros: bigint;
  /** The business key: posting the same key twice moves money once. */
  readonly idempotencyKey: string;
  readonly generationId?: string | null;
  readonly reason?: string | null;
  readonly actorId?: string | null;
}

export interface LedgerEntryView {
  id: string;
  kind: LedgerKind;
  amountMicros: bigint;
  balanceAfterMicros: bigint;
  generationId: string | null;
  reason: string | null;
  createdAt: Date;
}

interface BalanceRow {
  balance_micros: string;
  version: string;
}

/**
 * The ledger: every movement is one entry with an idempotency key, and the tenant's balance row is
 * updated in the same transaction (its row lock serialises concurrent postings), so the balance
 * always equals the sum of the entries. A posting that would take it below zero is refused (402).
 */
@Injectable()
export class LedgerService {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(CreditStore) private readonly credits: CreditStore,
  ) {}

  /** Posts once per idempotency key; returns the entry (the existing one on a repeat), or null for 0. */
  async post(posting: LedgerPosting): Promise<{ entry: LedgerEntryView; created: boolean } | null> {
    if (posting.amountMicros === 0n) return null; // zero-amount entries are not written (SPEC 7)
    const existing = await this.find(posting.idempotencyKey);
    if (existing) return { entry: this.checkSame(existing, posting), created: false };
    try {
      const { entry, version } = await this.db.prisma.$transaction(async (tx) => this.postIn(tx, posting));
      // After commit: the request path's mirror of the balance takes the new version.
      await this.credits.applyBalance(posting.tenantId, entry.balanceAfterMicros, version);
      return { entry, created: true };
    } catch (error) {
      // A concurrent posting with the same key won the race: the money moved once.
      if (isUniqueViolation(error)) {
        const winner = await this.find(posting.idempotencyKey);
        if (winner) return { entry: this.checkSame(winner, posting), created: false };
      }
      throw error;
    }
  }

  async balance(tenantId: string): Promise<bigint> {
    const row = await this.db.prisma.tenantBalance.findUnique({ where: { tenantId } });
    return row?.balanceMicros ?? 0n;
  }

  async totals(tenantId: string): Promise<{ creditsMicros: bigint; usageMicros: bigint }> {
    const { rows } = await this.db.pool.query<{ credits: string | null; usage: string | null }>(
      `SELECT sum(amount_micros) FILTER (WHERE amount_micros > 0) AS credits,
              -sum(amount_micros) FILTER (WHERE amount_micros < 0) AS usage
         FROM ledger_entries WHERE tenant_id = $1`,
      [tenantId],
    );
    return { creditsMicros: BigInt(rows[0]?.credits ?? 0), usageMicros: BigInt(rows[0]?.usage ?? 0) };
  }

  /** Newest first; `cursor` is the id of the last entry of the previous page. */
  async list(tenantId: string, limit: number, cursor?: string): Promise<{ data: LedgerEntryView[]; nextCursor: string | null }> {
    // A cursor is one of this tenant's own entry ids: another's (or none) would page from a
    // position it should not be able to learn about.
    if (
      cursor !== undefined &&
      !(await this.db.prisma.ledgerEntry.findFirst({ where: { id: cursor, tenantId }, select: { id: true } }))
    ) {
      throw DomainError.validation('cursor', 'cursor: is not a page cursor of this account');
    }
    const rows = await this.db.prisma.ledgerEntry.findMany({
      where: { tenantId },
      ...newestFirstPage(limit, cursor),
    });
    const { page, nextCursor } = pageOf(rows, limit);
    return { data: page.map(toView), nextCursor };
  }

  private async postIn(
    tx: Prisma.TransactionClient,
    posting: LedgerPosting,
  ): Promise<{ entry: LedgerEntryView; version: bigint }> {
    await tx.$executeRaw`INSERT INTO tenant_balances (tenant_id, balance_micros, updated_at)
      VALUES (${posting.tenantId}::uuid, 0, now()) ON CONFLICT (tenant_id) DO NOTHING`;
    // The row lock taken by this UPDATE serialises concurrent postings; the WHERE keeps the
    // balance from ever going below zero.
    const rows = await tx.$queryRaw<BalanceRow[]>`
      UPDATE tenant_balances SET balance_micros = balance_micros + ${posting.amountMicros}, version = version + 1, updated_at = now()
       WHERE tenant_id = ${posting.tenantId}::uuid AND balance_micros + ${posting.amountMicros} >= 0
      RETURNING balance_micros::text AS balance_micros, version::text AS version`;
    const row = rows[0];
    if (!row) throw new DomainError('insufficient_credits');
    const balanceAfter = BigInt(row.balance_micros);
    const entry = await tx.ledgerEntry.create({
      data: {
        tenantId: posting.tenantId,
        kind: posting.kind,
        amountMicros: posting.amountMicros,
        balanceAfterMicros: balanceAfter,
        generationId: posting.generationId ?? null,
        reason: posting.reason ?? null,
        actorId: posting.actorId ?? null,
        idempotencyKey: posting.idempotencyKey,
      },
    });
    return { entry: toView(entry), version: BigInt(row.version) };
  }

  private async find(idempotencyKey: string) {
    return this.db.prisma.ledgerEntry.findUnique({ where: { idempotencyKey } });
  }

  /** Reusing a key for a different movement is a caller error, not a silent success. */
  private checkSame(existing: Prisma.LedgerEntryGetPayload<object>, posting: LedgerPosting): LedgerEntryView {
    if (
      existing.tenantId !== posting.tenantId ||
      existing.amountMicros !== posting.amountMicros ||
      existing.kind !== posting.kind
    ) {
      throw new DomainError('conflict', {
        message: 'This idempotency key was already used for a different movement.',
        metadata: { field: 'idempotencyKey' },
      });
    }
    return toView(existing);
  }
}

function toView(row: Prisma.LedgerEntryGetPayload<object>): LedgerEntryView {
  return {
    id: row.id,
    kind: row.kind,
    amountMicros: row.amountMicros,
    balanceAfterMicros: row.balanceAfterMicros,
    generationId: row.generationId,
    reason: row.reason,
    createdAt: row.createdAt,
  };
}
