import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { VaultAuditView } from '@gw/contracts';
import { Database, newestFirstPage, type Prisma, type SqlTx } from '@gw/db';
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
        actorId: actorIdOf(entry.actor),
        action: entry.action,
        targetId: entry.targetId ?? null,
        ip: entry.ip ?? null,
        details: entry.details ?? {},
      },
    });
  }

  /** `record` in plain SQL, for transactions that run without Prisma. */
  async recordIn(tx: SqlTx, entry: VaultAuditRecord): Promise<void> {
    await tx.query(
      `INSERT INTO vault_audit_log (id, tenant_id, actor_type, actor_id, action, target_id, ip, details)
       VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6, $7, $8::jsonb)`,
      [
        randomUUID(),
        entry.tenantId,
        entry.actor.type,
        actorIdOf(entry.actor),
        entry.action,
        entry.targetId ?? null,
        entry.ip ?? null,
        JSON.stringify(entry.details ?? {}),
      ],
    );
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

function actorIdOf(actor: VaultActor): string | null {
  return actor.type === 'system' ? null : actor.id;
}
