import { Inject, Injectable } from '@nestjs/common';
import type { TenantBillingOverrides } from '@gw/accounts';
import { CatalogService } from '@gw/catalog';
import { CONFIG, type Config } from '@gw/config';
import type { BillingSettingsView } from '@gw/contracts';
import { usdToMicros } from '@gw/kernel';
import { type ByokAllowance, feeRateToPpm } from './pricing';

/** What applies to one tenant's BYOK traffic. */
export interface TenantPolicy {
  readonly feePpm: number;
  readonly allowance: ByokAllowance;
}

/**
 * The BYOK fee and free allowances in force: per-tenant overrides, else the admin settings, else
 * the environment's defaults. Read on every request from memory (the catalogue's settings cache
 * and the key cache's tenant row), never from the database.
 */
@Injectable()
export class BillingPolicy {
  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(CatalogService) private readonly catalog: CatalogService,
  ) {}

  settings(): BillingSettingsView {
    const stored = this.catalog.billingSettings();
    return {
      byokFeeRate: stored.byokFeeRate ?? this.config.BYOK_FEE_RATE,
      byokFreeRequestsPerMonth: stored.byokFreeRequestsPerMonth ?? this.config.BYOK_FREE_REQUESTS_PER_MONTH,
      byokFreeUsdPerMonth:
        stored.byokFreeUsdPerMonth !== undefined ? stored.byokFreeUsdPerMonth : (this.config.BYOK_FREE_USD_PER_MONTH ?? null),
    };
  }

  forTenant(overrides: TenantBillingOverrides): TenantPolicy {
    const settings = this.settings();
    const freeUsd = settings.byokFreeUsdPerMonth;
    return {
      feePpm: overrides.feePpm ?? feeRateToPpm(settings.byokFeeRate),
      allowance: {
        freeRequests: overrides.freeRequestsPerMonth ?? settings.byokFreeRequestsPerMonth,
        freeMicros: overrides.freeMicrosPerMonth ?? (freeUsd === null ? null : usdToMicros(freeUsd, 'byokFreeUsdPerMonth')),
      },
    };
  }
}
