import { z } from 'zod';

const usd = z.number().min(0).max(1_000_000_000);

export const vaultAccessProof = z.union([
  z.strictObject({ recoveryKey: z.string().min(1).max(512) }),
  z.strictObject({ gatewayKey: z.string().min(1).max(512) }),
]);
export type VaultAccessProof = z.infer<typeof vaultAccessProof>;

const keyName = z.string().trim().min(1, 'must not be empty').max(100);

export const createKeyBody = z.strictObject({
  name: keyName,
  creditLimit: usd.nullable().optional(),
  rateLimitRpm: z.number().int().min(1).max(1_000_000).nullable().optional(),
  // null counts as not sent: a key on credits only.
  vaultAccess: vaultAccessProof.nullish().transform((value) => value ?? undefined),
});
export type CreateKeyBody = z.infer<typeof createKeyBody>;

export const updateKeyBody = z.strictObject({
  name: keyName.optional(),
  disabled: z.boolean().optional(),
  creditLimit: usd.nullable().optional(),
  rateLimitRpm: z.number().int().min(1).max(1_000_000).nullable().optional(),
});
export type UpdateKeyBody = z.infer<typeof updateKeyBody>;

export interface GatewayKeyView {
  id: string;
  name: string;
  hint: string;
  byok: boolean;
  disabled: boolean;
  creditLimit: number | null;
  rateLimitRpm: number | null;
  usage: number;
  createdAt: string;
  lastUsedAt: string | null;
}

export interface CreatedGatewayKey extends GatewayKeyView {
  /** The full key: in the create response only. */
  key: string;
}
