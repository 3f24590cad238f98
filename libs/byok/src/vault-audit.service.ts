import { Inject, Injectable } from '@nestjs/common';
import type { VaultAuditView } from '@gw/contracts';
import { Database, newestFirstPage, type Prisma } from '@gw/db';
import { pageOf } from '@gw/kernel';

/** Who did something to a vault. */
export type VaultActor = { type: 'user'; id: string } | { type: 'key'; id: string } | { type: 'system' };

export interface VaultAuditRecord {
  readonly tenantId: string;
  readonly actor: VaultActor;
  readonly action: string;
  readonly targetId?: string | null;
  readonly ip?: string | null;
  /** Never secrets: ids, providers, counts. */
  readonly details?: Prisma.InputJsonObject;
}

/** Append-only log of vault changes, readable by the tenant (GET /api/vault/audit). */
@Injectable()
export class VaultAuditService {
  constructor(@Inject(Database) private readonly db: Database) {}

  async record(entry: VaultAuditRecord, tx: Prisma.TransactionClient = this.db.prisma): Promise<void> {
    await tx.vaultAuditEntry.create({
      data: {
        tenantId: entry.tenantId,
        actorType: entry.actor.type,
        actorId: entry.actor.type === 'system' ? null : entry.actor.id,
        action: entry.action,
        targetId: entry.targetId ?? null,
        ip: entry.ip ?? null,
        details: entry.details ?? {},
      },
    });
  }

  /** Newest first; `cursor` is the id of the last entry of the previous page. */
  async list(tenantId: string, limit: number, cursor?: string): Promise<{ data: VaultAuditView[]; nextCursor: string | null }> {
    const rows = await this.db.prisma.vaultAuditEntry.findMany({
      where: { tenantId },
      ...newestFirstPage(limit, cursor),
    });
    const { page, nextCursor } = pageOf(rows, limit);
    return {
      data: page.map((row) => ({
        id: row.id,
        action: row.action,
        actorType: row.actorType,
        actorId: row.actorId,
        targetId: row.targetId,
        ip: row.ip,
        details: (row.details ?? {}) as Record<string, unknown>,
        createdAt: row.createdAt.toISOString(),
      })),
      nextCursor,
    };
  }
}
