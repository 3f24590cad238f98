import { Controller, Get, Inject, Query, UseGuards } from '@nestjs/common';
import { z } from 'zod';
import { AccountsService, type KeyPrincipal, type SessionPrincipal } from '@gw/accounts';
import { toLedgerJson } from '@gw/admin';
import { BillingPolicy, CreditStore, LedgerService, monthKey } from '@gw/billing';
import type { BalanceView, LedgerEntryJson } from '@gw/contracts';
import { microsToUsd } from '@gw/kernel';
import { CurrentSession, SessionGuard } from '../auth/session.guard';
import { ZodPipe } from '../http/zod.pipe';
import { CurrentKey, GatewayKeyGuard } from '../v1/key.guard';

const ledgerQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.uuid({ message: 'must be a cursor from a previous page' }).optional(),
});

/** The tenant's own money views (SPEC section 3). */
@Controller('api/billing')
@UseGuards(SessionGuard)
export class BillingController {
  constructor(
    @Inject(LedgerService) private readonly ledger: LedgerService,
    @Inject(CreditStore) private readonly credits: CreditStore,
    @Inject(BillingPolicy) private readonly policy: BillingPolicy,
    @Inject(AccountsService) private readonly accounts: AccountsService,
  ) {}

  /** The posted balance, what open requests and unposted charges hold back, and the month's BYOK allowance. */
  @Get('balance')
  async balance(@CurrentSession() session: SessionPrincipal): Promise<BalanceView> {
    const month = monthKey(new Date());
    const [balance, held, used, overrides] = await Promise.all([
      this.ledger.balance(session.tenantId),
      this.credits.heldMicros(session.tenantId),
      this.credits.monthUsage(session.tenantId, month),
      this.accounts.billingOverrides(session.tenantId),
    ]);
    const { allowance } = this.policy.forTenant(overrides);
    return {
      balance: microsToUsd(balance),
      reserved: microsToUsd(held > 0n ? held : 0n),
      byokAllowance: {
        month,
        requestsUsed: used.requests,
        freeRequests: allowance.freeRequests,
        usdUsed: microsToUsd(used.listMicros),
        freeUsd: allowance.freeMicros === null ? null : microsToUsd(allowance.freeMicros),
      },
    };
  }

  @Get('ledger')
  async entries(
    @CurrentSession() session: SessionPrincipal,
    @Query(new ZodPipe(ledgerQuery)) query: z.infer<typeof ledgerQuery>,
  ): Promise<{ data: LedgerEntryJson[]; nextCursor: string | null }> {
    const page = await this.ledger.list(session.tenantId, query.limit, query.cursor);
    return { data: page.data.map(toLedgerJson), nextCursor: page.nextCursor };
  }
}

/** OpenRouter's GET /v1/credits, for the key's tenant. */
@Controller('v1')
@UseGuards(GatewayKeyGuard)
export class V1CreditsController {
  constructor(@Inject(LedgerService) private readonly ledger: LedgerService) {}

  @Get('credits')
  async credits(@CurrentKey() key: KeyPrincipal): Promise<{ data: { total_credits: number; total_usage: number } }> {
    const totals = await this.ledger.totals(key.tenantId);
    return { data: { total_credits: microsToUsd(totals.creditsMicros), total_usage: microsToUsd(totals.usageMicros) } };
  }
}
