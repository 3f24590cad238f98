import { z } from 'zod';

const usdPerMTok = z.number().min(0).max(100_000);
const feeRate = z.number().min(0).max(1);
const freeRequests = z.number().int().min(0).max(1_000_000_000);
const freeUsd = z.number().min(0).max(1_000_000_000);

/** PUT /api/admin/pricing: USD per million tokens for a catalogue id or a forced name. */
export const putPricingBody = z.strictObject({
  id: z
    .string()
    .trim()
    .min(1)
    .max(300)
    .regex(
      /^([a-z0-9-]+\/[\w.:@-]+|(bedrock|vertex|azure|openrouter):[\w./:@-]+)$/,
      'must be a catalogue id (vendor/model) or bedrock:, vertex:, azure:, openrouter: name',
    ),
  prompt: usdPerMTok,
  completion: usdPerMTok,
});
export type PutPricingBody = z.infer<typeof putPricingBody>;

export const putSettingsBody = z.strictObject({
  byokFeeRate: feeRate.optional(),
  byokFreeRequestsPerMonth: freeRequests.optional(),
  byokFreeUsdPerMonth: freeUsd.nullable().optional(),
});
export type PutSettingsBody = z.infer<typeof putSettingsBody>;

/** PATCH /api/admin/tenants/:id; null clears an override. */
export const patchTenantBody = z.strictObject({
  disabled: z.boolean().optional(),
  byokFeeRate: feeRate.nullable().optional(),
  byokFreeRequestsPerMonth: freeRequests.nullable().optional(),
  byokFreeUsdPerMonth: freeUsd.nullable().optional(),
});
export type PatchTenantBody = z.infer<typeof patchTenantBody>;

export const grantCreditsBody = z.strictObject({
  amount: z
    .number()
    .min(-1_000_000_000)
    .max(1_000_000_000)
    .refine((v) => v !== 0, 'must not be zero'),
  reason: z.string().trim().min(1, 'must say why').max(500),
  idempotencyKey: z.string().trim().min(1, 'must not be empty').max(200),
});
export type GrantCreditsBody = z.infer<typeof grantCreditsBody>;

/** `GET /api/billing/balance`: USD amounts. */
export interface BalanceView {
  balance: number;
  /** Held for requests in flight and charges not yet posted to the ledger. */
  reserved: number;
  /** The current UTC month's BYOK allowance and what of it is used. */
  byokAllowance: {
    month: string;
    requestsUsed: number;
    freeRequests: number;
    usdUsed: number;
    freeUsd: number | null;
  };
}

export interface LedgerEntryJson {
  id: string;
  kind: string;
  amount: number;
  balanceAfter: number;
  generationId: string | null;
  reason: string | null;
  createdAt: string;
}

export interface BillingSettingsView {
  byokFeeRate: number;
  byokFreeRequestsPerMonth: number;
  byokFreeUsdPerMonth: number | null;
}

export interface AdminTenantView {
  /** Credits and BYOK fees charged this UTC month, USD. */
  monthToDateUsage: number;
  id: string;
  name: string;
  disabled: boolean;
  createdAt: string;
  balance: number;
  users: { id: string; email: string; role: 'member' | 'admin' }[];
  overrides: { byokFeeRate: number | null; byokFreeRequestsPerMonth: number | null; byokFreeUsdPerMonth: number | null };
}

export interface PricingView {
  id: string;
  name: string;
  prompt: number | null;
  completion: number | null;
  overridden: boolean;
}
