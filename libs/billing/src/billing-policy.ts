import { Inject, Injectable } from '@nestjs/common';
import type { TenantBillingOverrides } from '@gw/accounts';
import { CatalogService, type StoredBillingSettings } from '@gw/catalog';
import { CONFIG, type Config } from '@gw/config';
import type { BillingSettingsView } from '@gw/contracts';
import { microsToUsd } from '@gw/kernel';
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
  /** The environment's defaults in the same integers, converted once (stored() runs on every request). */
  private readonly defaults: Required<StoredBillingSettings>;

  constructor(
    @Inject(CONFIG) config: Config,
    @Inject(CatalogService) private readonly catalog: CatalogService,
  ) {
    const envUsd = config.BYOK_FREE_USD_PER_MONTH;
    this.defaults = {
      byokFeePpm: feeRateToPpm(config.BYOK_FEE_RATE),
      byokFreeRequestsPerMonth: config.BYOK_FREE_REQUESTS_PER_MONTH,
      byokFreeMicrosPerMonth: envUsd === undefined ? null : BigInt(Math.round(envUsd * 1e6)),
    };
  }

  /** The settings in force, in integers: stored by an admin, else the environment's defaults. */
  stored(): Required<StoredBillingSettings> {
    const stored = this.catalog.billingSettings();
    return {
      byokFeePpm: stored.byokFeePpm ?? this.defaults.byokFeePpm,
      byokFreeRequestsPerMonth: stored.byokFreeRequestsPerMonth ?? this.defaults.byokFreeRequestsPerMonth,
      byokFreeMicrosPerMonth:
        stored.byokFreeMicrosPerMonth !== undefined ? stored.byokFreeMicrosPerMonth : this.defaults.byokFreeMicrosPerMonth,
    };
  }

  settings(): BillingSettingsView {
    const stored = this.stored();
    return {
      byokFeeRate: stored.byokFeePpm / 1e6,
      byokFreeRequestsPerMonth: stored.byokFreeRequestsPerMonth,
      byokFreeUsdPerMonth: stored.byokFreeMicrosPerMonth === null ? null : microsToUsd(stored.byokFreeMicrosPerMonth),
    };
  }

  forTenant(overrides: TenantBillingOverrides): TenantPolicy {
    const stored = this.stored();
    return {
      feePpm: overrides.feePpm ?? stored.byokFeePpm,
      allowance: {
        freeRequests: overrides.freeRequestsPerMonth ?? stored.byokFreeRequestsPerMonth,
        freeMicros: overrides.freeMicrosPerMonth ?? stored.byokFreeMicrosPerMonth,
      },
    };
  }
}
