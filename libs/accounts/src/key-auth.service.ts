import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { Database } from '@gw/db';
import { DomainError } from '@gw/kernel';
import type { KeyPrincipal, TenantBillingOverrides } from './accounts.tokens';
import { parseGatewayKey } from './gateway-key-format';
import { KeyEvents } from './key-events';
import { KeyVerifier } from './key-verifier';
import { LastUsedRecorder } from './last-used-recorder';

interface KeyRecord {
  readonly id: string;
  readonly publicId: string;
  readonly tenantId: string;
  readonly name: string;
  readonly verifier: Uint8Array | null;
  readonly vaultAccess: boolean;
  readonly disabled: boolean;
  readonly creditLimit: bigint | null;
  readonly rateLimitRpm: number | null;
  readonly tenantDisabled: boolean;
  readonly tenantBilling: TenantBillingOverrides;
}

interface CacheEntry {
  readonly record: KeyRecord | null;
  readonly expiresAt: number;
}

const POSITIVE_TTL_MS = 60_000;
const NEGATIVE_TTL_MS = 5_000;
const MAX_ENTRIES = 50_000;

const LOOKUP_SQL = `
  SELECT k.id, k.public_id, k.tenant_id, k.name, k.verifier, k.vault_access, k.disabled,
         k.credit_limit, k.rate_limit_rpm, t.disabled AS tenant_disabled, t.byok_fee_ppm,
         t.byok_free_requests_per_month, t.byok_free_micros_per_month
    FROM gateway_keys k JOIN tenants t ON t.id = k.tenant_id
   WHERE k.public_id = $1`;

interface KeyRow {
  id: string;
  public_id: string;
  tenant_id: string;
  name: string;
  verifier: Buffer | null;
  vault_access: boolean;
  disabled: boolean;
  credit_limit: string | null;
  rate_limit_rpm: number | null;
  tenant_disabled: boolean;
  byok_fee_ppm: number | null;
  byok_free_requests_per_month: number | null;
  byok_free_micros_per_month: string | null;
}

/**
 * Authenticates /v1 requests. Key rows are cached in process (never the secret or anything derived
 * from it); every request still recomputes the keyed hash and compares it in constant time.
 * Revocations reach every instance through KeyEvents; the TTL bounds staleness if a message is lost.
 */
@Injectable()
export class KeyAuthService implements OnModuleInit, OnModuleDestroy {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly inflight = new Map<string, Promise<KeyRecord | null>>();
  // Bumped on every invalidation, so a lookup that raced with one is not cached.
  private epoch = 0;
  private unsubscribe: (() => void) | undefined;

  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(KeyVerifier) private readonly verifier: KeyVerifier,
    @Inject(KeyEvents) private readonly events: KeyEvents,
    @Inject(LastUsedRecorder) private readonly lastUsed: LastUsedRecorder,
  ) {}

  onModuleInit(): void {
    this.unsubscribe = this.events.subscribe((event) => {
      this.epoch++;
      switch (event.kind) {
        case 'key':
          this.cache.delete(event.publicId);
          break;
        case 'tenant':
          for (const [publicId, entry] of this.cache) {
            if (entry.record?.tenantId === event.tenantId) this.cache.delete(publicId);
          }
          break;
        case 'resync':
          this.cache.clear();
          break;
        case 'vault':
          break;
      }
    });
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  /** Resolves `Authorization: Bearer <gateway key>`; throws 401 (bad key) or 403 (tenant disabled). */
  async authenticate(authorization: string | undefined): Promise<KeyPrincipal> {
    const presented = bearer(authorization);
    const parsed = presented ? parseGatewayKey(presented) : null;
    if (!parsed) throw new DomainError('invalid_api_key', { message: missingOrMalformed(presented) });
    const record = await this.find(parsed.publicId);
    const valid = this.verifier.matches(parsed.publicId, parsed.secret, record?.verifier ?? null);
    if (!record || !valid || record.disabled) throw new DomainError('invalid_api_key');
    if (record.tenantDisabled) throw new DomainError('tenant_disabled');
    this.lastUsed.touch(record.id);
    return {
      keyId: record.id,
      publicId: record.publicId,
      tenantId: record.tenantId,
      name: record.name,
      vaultAccess: record.vaultAccess,
      creditLimit: record.creditLimit,
      rateLimitRpm: record.rateLimitRpm,
      tenantBilling: record.tenantBilling,
      secret: parsed.secret,
    };
  }

  private async find(publicId: string): Promise<KeyRecord | null> {
    const cached = this.cache.get(publicId);
    if (cached && cached.expiresAt > Date.now()) return cached.record;
    let pending = this.inflight.get(publicId);
    if (!pending) {
      pending = this.load(publicId).finally(() => this.inflight.delete(publicId));
      this.inflight.set(publicId, pending);
    }
    return pending;
  }

  private async load(publicId: string): Promise<KeyRecord | null> {
    const epoch = this.epoch;
    const { rows } = await this.db.pool.query<KeyRow>(LOOKUP_SQL, [publicId]);
    const row = rows[0];
    const record: KeyRecord | null = row
      ? {
          id: row.id,
          publicId: row.public_id,
          tenantId: row.tenant_id,
          name: row.name,
          verifier: row.verifier,
          vaultAccess: row.vault_access,
          disabled: row.disabled,
          creditLimit: row.credit_limit === null ? null : BigInt(row.credit_limit),
          rateLimitRpm: row.rate_limit_rpm,
          tenantDisabled: row.tenant_disabled,
          tenantBilling: {
            feePpm: row.byok_fee_ppm,
            freeRequestsPerMonth: row.byok_free_requests_per_month,
            freeMicrosPerMonth: row.byok_free_micros_per_month === null ? null : BigInt(row.byok_free_micros_per_month),
          },
        }
      : null;
    if (epoch === this.epoch) {
      if (this.cache.size >= MAX_ENTRIES) this.cache.delete(this.cache.keys().next().value ?? '');
      this.cache.set(publicId, { record, expiresAt: Date.now() + (record ? POSITIVE_TTL_MS : NEGATIVE_TTL_MS) });
    }
    return record;
  }
}

function bearer(authorization: string | undefined): string | null {
  if (!authorization) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return match?.[1] ?? null;
}

function missingOrMalformed(presented: string | null): string {
  return presented
    ? 'The gateway key is malformed or mistyped (its checksum does not match).'
    : 'Send a gateway key as "Authorization: Bearer <key>".';
}
