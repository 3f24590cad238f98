import { Inject, Injectable } from '@nestjs/common';
import { KeyEvents } from '@gw/accounts';
import { BillingPolicy, feeRateToPpm, type LedgerEntryView, LedgerService } from '@gw/billing';
import { BILLING_SETTINGS_KEY, billingSettingsJson, CatalogService, type StoredBillingSettings } from '@gw/catalog';
import type {
  AdminAuditView,
  AdminTenantView,
  BillingSettingsView,
  GrantCreditsBody,
  LedgerEntryJson,
  PatchTenantBody,
  PricingView,
  PutPricingBody,
  PutSettingsBody,
} from '@gw/contracts';
import { Database, type Prisma } from '@gw/db';
import { DomainError, microsToUsd, usdToMicros, isUuid } from '@gw/kernel';

export interface AdminActor {
  readonly userId: string;
  readonly ip: string | null;
}

/** Admin operations; every change lands in the admin audit log in the same transaction. */
@Injectable()
export class AdminService {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(CatalogService) private readonly catalog: CatalogService,
    @Inject(KeyEvents) private readonly events: KeyEvents,
    @Inject(LedgerService) private readonly ledger: LedgerService,
    @Inject(BillingPolicy) private readonly policy: BillingPolicy,
  ) {}

  async listTenants(filter: { search?: string; id?: string } = {}): Promise<AdminTenantView[]> {
    // Matched literally: `%` and `_` are LIKE wildcards, escaped (Postgres's LIKE escape is `\`).
    const search = filter.search?.replace(/[\\%_]/g, (char) => `\\${char}`);
    const rows = await this.db.prisma.tenant.findMany({
      where: filter.id
        ? { id: filter.id }
        : search
          ? {
              OR: [
                { name: { contains: search, mode: 'insensitive' } },
                { users: { some: { email: { contains: search.toLowerCase() } } } },
              ],
            }
          : {},
      include: { users: { select: { id: true, email: true, role: true } } },
      orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
      take: 500,
    });
    const balances = new Map(
      (await this.db.prisma.tenantBalance.findMany({ where: { tenantId: { in: rows.map((r) => r.id) } } })).map((b) => [
        b.tenantId,
        b.balanceMicros,
      ]),
    );
    const usage = await this.monthToDateUsage(rows.map((r) => r.id));
    return rows.map((row) => ({
      id: row.id,
      name: row.name,
      disabled: row.disabled,
      createdAt: row.createdAt.toISOString(),
      balance: microsToUsd(balances.get(row.id) ?? 0n),
      monthToDateUsage: microsToUsd(usage.get(row.id) ?? 0n),
      users: row.users,
      overrides: {
        byokFeeRate: row.byokFeePpm === null ? null : row.byokFeePpm / 1e6,
        byokFreeRequestsPerMonth: row.byokFreeRequestsPerMonth,
        byokFreeUsdPerMonth: row.byokFreeMicrosPerMonth === null ? null : microsToUsd(row.byokFreeMicrosPerMonth),
      },
    }));
  }

  async updateTenant(id: string, patch: PatchTenantBody, actor: AdminActor): Promise<AdminTenantView> {
    await this.assertTenant(id);
    await this.db.prisma.$transaction(async (tx) => {
      await tx.tenant.update({
        where: { id },
        data: {
          disabled: patch.disabled,
          byokFeePpm:
            patch.byokFeeRate === undefined ? undefined : patch.byokFeeRate === null ? null : feeRateToPpm(patch.byokFeeRate),
          byokFreeRequestsPerMonth: patch.byokFreeRequestsPerMonth,
          byokFreeMicrosPerMonth:
            patch.byokFreeUsdPerMonth === undefined
              ? undefined
              : patch.byokFreeUsdPerMonth === null
                ? null
                : usdToMicros(patch.byokFreeUsdPerMonth, 'byokFreeUsdPerMonth'),
        },
      });
      await this.audit(tx, actor, 'tenant.updated', id, { ...patch });
    });
    // Disabling must reach every instance's key cache at once.
    await this.events.publish({ kind: 'tenant', tenantId: id });
    // Read back just this tenant (the list is capped, and this one may be past the cap).
    const [view] = await this.listTenants({ id });
    if (!view) throw new DomainError('not_found', { message: 'No such tenant.' });
    return view;
  }

  /** Grants (or, negative, adjusts) credits once per idempotency key. */
  async grantCredits(
    tenantId: string,
    body: GrantCreditsBody,
    actor: AdminActor,
  ): Promise<{ entry: LedgerEntryJson; created: boolean }> {
    await this.assertTenant(tenantId);
    const amount = usdToMicros(body.amount, 'amount');
    const posted = await this.ledger.post({
      tenantId,
      kind: amount > 0n ? 'grant' : 'adjustment',
      amountMicros: amount,
      // Scoped to the tenant: two tenants may be granted with the same key.
      idempotencyKey: `admin:${tenantId}:${body.idempotencyKey}`,
      reason: body.reason,
      actorId: actor.userId,
    });
    if (!posted) throw DomainError.validation('amount', 'amount must not be zero');
    if (posted.created) {
      await this.db.prisma.$transaction(async (tx) => {
        await this.audit(tx, actor, 'credits.granted', tenantId, {
          amount: body.amount,
          reason: body.reason,
          idempotencyKey: body.idempotencyKey,
        });
      });
    }
    return { entry: toLedgerJson(posted.entry), created: posted.created };
  }

  async settings(): Promise<BillingSettingsView> {
    await this.catalog.refresh();
    return this.policy.settings();
  }

  /**
   * Stored in the database, in integers (parts per million, micro-USD), and wins over the env
   * defaults from then on. The fee rate keeps six decimals, as a tenant override does; a free
   * amount finer than a micro-USD is refused, as there.
   */
  async putSettings(patch: PutSettingsBody, actor: AdminActor): Promise<BillingSettingsView> {
    await this.catalog.refresh();
    const current = this.policy.stored();
    const next: StoredBillingSettings = {
      byokFeePpm: patch.byokFeeRate === undefined ? current.byokFeePpm : feeRateToPpm(patch.byokFeeRate),
      byokFreeRequestsPerMonth: patch.byokFreeRequestsPerMonth ?? current.byokFreeRequestsPerMonth,
      byokFreeMicrosPerMonth:
        patch.byokFreeUsdPerMonth === undefined
          ? current.byokFreeMicrosPerMonth
          : patch.byokFreeUsdPerMonth === null
            ? null
            : usdToMicros(patch.byokFreeUsdPerMonth, 'byokFreeUsdPerMonth'),
    };
    const value = billingSettingsJson(next);
    await this.db.prisma.$transaction(async (tx) => {
      await tx.setting.upsert({
        where: { key: BILLING_SETTINGS_KEY },
        create: { key: BILLING_SETTINGS_KEY, value },
        update: { value },
      });
      await this.audit(tx, actor, 'settings.updated', null, { ...patch });
    });
    // This instance applies it at once; the others within their catalogue refresh (10 s).
    await this.catalog.refresh();
    return this.policy.settings();
  }

  async pricing(): Promise<PricingView[]> {
    const rows = await this.db.prisma.catalogModel.findMany({ orderBy: { id: 'asc' } });
    return rows.map((row) => ({
      id: row.id,
      name: row.name,
      prompt: row.promptMicrosPerMTok === null ? null : microsToUsd(row.promptMicrosPerMTok),
      completion: row.completionMicrosPerMTok === null ? null : microsToUsd(row.completionMicrosPerMTok),
      overridden: row.priceOverridden,
    }));
  }

  /** Upserts one model's price (USD per million tokens); the catalogue sync never overwrites it. */
  async putPricing(body: PutPricingBody, actor: AdminActor): Promise<PricingView> {
    const prompt = usdToMicros(body.prompt, 'prompt');
    const completion = usdToMicros(body.completion, 'completion');
    const row = await this.db.prisma.$transaction(async (tx) => {
      let id = body.id;
      let existing = await tx.catalogModel.findUnique({ where: { id } });
      // `openrouter-<slug>` is another spelling of the forced name `openrouter:<slug>`, which routing prices by.
      if (!existing && id.toLowerCase().startsWith('openrouter-') && id.length > 'openrouter-'.length) {
        id = `openrouter:${id.slice('openrouter-'.length)}`;
        existing = await tx.catalogModel.findUnique({ where: { id } });
      }
      if (!existing && !id.includes(':')) {
        throw new DomainError('not_found', {
          message: `Unknown model ${body.id}; price a forced name (bedrock:…) or an existing id.`,
          metadata: { field: 'id' },
        });
      }
      const saved = await tx.catalogModel.upsert({
        where: { id },
        create: {
          id,
          name: id,
          contextLength: 128_000,
          promptMicrosPerMTok: prompt,
          completionMicrosPerMTok: completion,
          priceOverridden: true,
        },
        update: { promptMicrosPerMTok: prompt, completionMicrosPerMTok: completion, priceOverridden: true },
      });
      await this.audit(tx, actor, 'pricing.updated', id, { prompt: body.prompt, completion: body.completion });
      return saved;
    });
    await this.catalog.refresh();
    return { id: row.id, name: row.name, prompt: body.prompt, completion: body.completion, overridden: true };
  }

  async auditLog(limit: number): Promise<AdminAuditView[]> {
    const rows = await this.db.prisma.adminAuditEntry.findMany({ orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: limit });
    return rows.map((row) => ({ ...row, createdAt: row.createdAt.toISOString() }));
  }

  /** Charges (credits and fees) of the current UTC month per tenant, micro-USD. */
  private async monthToDateUsage(tenantIds: readonly string[]): Promise<Map<string, bigint>> {
    if (tenantIds.length === 0) return new Map();
    const now = new Date();
    const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
    const { rows } = await this.db.pool.query<{ tenant_id: string; usage: string }>(
      `SELECT tenant_id, -sum(amount_micros) AS usage FROM ledger_entries
        WHERE tenant_id = ANY($1::uuid[]) AND kind IN ('charge', 'byok_fee') AND created_at >= $2
        GROUP BY tenant_id`,
      [tenantIds, start],
    );
    return new Map(rows.map((row) => [row.tenant_id, BigInt(row.usage)]));
  }

  private async assertTenant(id: string): Promise<void> {
    if (!isUuid(id) || !(await this.db.prisma.tenant.findUnique({ where: { id }, select: { id: true } }))) {
      throw new DomainError('not_found', { message: 'No such tenant.' });
    }
  }

  private async audit(
    tx: Prisma.TransactionClient,
    actor: AdminActor,
    action: string,
    targetId: string | null,
    details: Record<string, unknown>,
  ): Promise<void> {
    await tx.adminAuditEntry.create({
      data: { actorId: actor.userId, action, targetId, ip: actor.ip, details: details as Prisma.InputJsonObject },
    });
  }
}

export function toLedgerJson(entry: LedgerEntryView): LedgerEntryJson {
  return {
    id: entry.id,
    kind: entry.kind,
    amount: microsToUsd(entry.amountMicros),
    balanceAfter: microsToUsd(entry.balanceAfterMicros),
    generationId: entry.generationId,
    reason: entry.reason,
    createdAt: entry.createdAt.toISOString(),
  };
}
