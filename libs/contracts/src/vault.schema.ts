import { z } from 'zod';
import { vaultAccessProof } from './keys.schema';

export const regenerateRecoveryKeyBody = z.strictObject({ vaultAccess: vaultAccessProof });
export type RegenerateRecoveryKeyBody = z.infer<typeof regenerateRecoveryKeyBody>;

export const rotateVaultBody = z.strictObject({
  vaultAccess: vaultAccessProof,
  /** Gateway keys that keep vault access after rotation; every other key loses it. */
  keepKeys: z.array(z.string().min(1).max(512)).max(1000).optional(),
});
export type RotateVaultBody = z.infer<typeof rotateVaultBody>;

export interface RotateVaultResponse {
  recoveryKey: string;
  keptKeyIds: string[];
  droppedKeyIds: string[];
  resealed: number;
}

export interface VaultAuditView {
  id: string;
  action: string;
  actorType: string;
  actorId: string | null;
  targetId: string | null;
  ip: string | null;
  details: Record<string, unknown>;
  createdAt: string;
}
