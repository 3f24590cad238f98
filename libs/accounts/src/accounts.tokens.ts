import type { Prisma, SqlTx } from '@gw/db';
import type { VaultAccessProof } from '@gw/contracts';
import { Secret } from '@gw/kernel';

type Tx = Prisma.TransactionClient;

/** What a signed-in dashboard user is. */
export interface SessionPrincipal {
  readonly sessionId: string;
  readonly userId: string;
  readonly email: string;
  readonly role: 'member' | 'admin';
  readonly tenantId: string;
  readonly tenantName: string;
  readonly tenantDisabled: boolean;
}

/** What an authenticated /v1 caller is. */
export interface TenantBillingOverrides {
  readonly feePpm: number | null;
  readonly freeRequestsPerMonth: number | null;
  readonly freeMicrosPerMonth: bigint | null;
}

export interface KeyPrincipal {
  readonly keyId: string;
  readonly publicId: string;
  readonly tenantId: string;
  readonly name: string;
  readonly vaultAccess: boolean;
  readonly creditLimit: bigint | null;
  readonly rateLimitRpm: number | null;
  /** The tenant's billing overrides (null: the admin settings apply); cached with the key. */
  readonly tenantBilling: TenantBillingOverrides;
  /** The presented key's secret, for the vault; never stored or logged. */
  readonly secret: Secret<Uint8Array>;
}

/**
 * The vault's hooks into account and key lifecycles. The vault module provides the real one; until
 * it is present, tenants have no vault and keys cannot be given vault access.
 */
export interface VaultLifecycle {
  /** Called inside the transaction that creates the tenant; returns the recovery key to show once, if any. */
  provisionTenant(tenantId: string, tx: SqlTx): Promise<Secret<string> | null>;
  /** Grants a new gateway key access to the tenant's vault, given a proof; throws 403 on a bad proof. */
  grantKeyAccess(input: {
    tenantId: string;
    keyId: string;
    newSecret: Secret<Uint8Array>;
    proof: VaultProof;
    actor: { type: 'user' | 'key'; id: string };
    ip: string | null;
    tx: Tx;
  }): Promise<void>;
  /** Removes whatever the key could open; called when a key is revoked. */
  revokeKeyAccess(keyId: string, tx: Tx): Promise<void>;
}

export const VAULT_LIFECYCLE = Symbol('VAULT_LIFECYCLE');

/** Proof that the caller may open the tenant's vault. */
export type VaultProof = { recoveryKey: Secret<string> } | { gatewayKey: Secret<string> } | { principal: KeyPrincipal };

/** The wire form (`vaultAccess`) as a proof, its secret wrapped. */
export function proofFromAccess(access: VaultAccessProof): VaultProof {
  return 'recoveryKey' in access
    ? { recoveryKey: new Secret(access.recoveryKey) }
    : { gatewayKey: new Secret(access.gatewayKey) };
}
