import { hash, randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { KeyEvents, type KeyPrincipal, KeyVerifier, parseGatewayKey, type VaultLifecycle, type VaultProof } from '@gw/accounts';
import { PROVIDER_SECRET_SCHEMAS, type ProviderId, type ProviderSecret } from '@gw/contracts';
import { Database, type Prisma, type SqlTx } from '@gw/db';
import { DomainError, Secret } from '@gw/kernel';
import {
  deriveWrappingKey,
  generateRecoveryKey,
  generateTenantKeyPair,
  openSecret,
  parseRecoveryKey,
  publicKeyOf,
  sealSecret,
  type TenantKeyPair,
  unwrapPrivateKey,
  vaultReady,
  VaultError,
  wipe,
  wrapPrivateKey,
} from '@gw/vault';
import { type VaultActor, VaultAuditService } from './vault-audit.service';

type Tx = Prisma.TransactionClient;

export type { VaultProof } from '@gw/accounts';

/** The columns of a provider key the request path needs to open it. */
export interface SealedProviderKey {
  readonly id: string;
  readonly tenantId: string;
  readonly provider: ProviderId;
  readonly sealed: Uint8Array;
}

const RECOVERY_HOLDER = 'recovery';
const CACHE_TTL_MS = 60_000;
const MAX_CACHE_ENTRIES = 10_000;

interface OpenedVault {
  readonly tenantId: string;
  readonly publicId: string;
  readonly keyPair: TenantKeyPair;
  readonly secrets: Map<string, Secret<ProviderSecret>>;
  readonly expiresAt: number;
}

interface WrapRow {
  wrapped: Buffer;
  vault_public_key: Buffer | null;
}

/** A key's wrap as stored: ciphertext, safe to hold in memory; saves a query per uncached open. */
interface CachedWrap {
  readonly tenantId: string;
  readonly publicId: string;
  readonly wrapped: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly expiresAt: number;
}

/**
 * The vault's storage side: wraps the tenant private key for gateway keys and the recovery key,
 * opens provider secrets for requests, rotates. Opened material lives only in this process, in a
 * short-TTL cache keyed by a hash of the presenting gateway key's secret, and is dropped when that
 * key is revoked or the tenant's vault changes (on every instance, through KeyEvents).
 */
@Injectable()
export class VaultService implements VaultLifecycle, OnModuleInit, OnModuleDestroy {
  private readonly cache = new Map<string, OpenedVault>();
  private readonly wraps = new Map<string, CachedWrap>();
  private unsubscribe: (() => void) | undefined;

  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(KeyVerifier) private readonly verifier: KeyVerifier,
    @Inject(KeyEvents) private readonly events: KeyEvents,
    @Inject(VaultAuditService) private readonly audit: VaultAuditService,
  ) {}

  async onModuleInit(): Promise<void> {
    await vaultReady();
    this.unsubscribe = this.events.subscribe((event) => {
      switch (event.kind) {
        case 'key':
          this.dropWhere((entry) => entry.publicId === event.publicId);
          break;
        case 'tenant':
        case 'vault':
          this.dropWhere((entry) => entry.tenantId === event.tenantId);
          break;
        case 'resync':
          this.dropWhere(() => true);
          break;
      }
    });
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
    this.dropWhere(() => true);
  }

  // ---- Lifecycle hooks called by accounts -------------------------------------------------

  /** Plain SQL: the bootstrap admin's tenant gets its vault at start-up, where Prisma is not loaded. */
  async provisionTenant(tenantId: string, tx: SqlTx): Promise<Secret<string>> {
    const pair = generateTenantKeyPair();
    const recovery = generateRecoveryKey();
    try {
      await tx.query('UPDATE tenants SET vault_public_key = $2 WHERE id = $1::uuid', [tenantId, Buffer.from(pair.publicKey)]);
      await tx.query(`INSERT INTO vault_wraps (id, tenant_id, kind, wrapped) VALUES ($1::uuid, $2::uuid, 'recovery_key', $3)`, [
        randomUUID(),
        tenantId,
        Buffer.from(recoveryWrap(tenantId, pair.privateKey, recovery.bytes)),
      ]);
      await this.audit.recordIn(tx, { tenantId, actor: { type: 'system' }, action: 'vault.created' });
      return recovery.text;
    } finally {
      wipe(pair.privateKey, recovery.bytes);
    }
  }

  async grantKeyAccess(input: {
    tenantId: string;
    keyId: string;
    newSecret: Secret<Uint8Array>;
    proof: VaultProof;
    actor: VaultActor;
    ip: string | null;
    tx: Tx;
  }): Promise<void> {
    const pair = await this.unlock(input.tenantId, input.proof, input.tx);
    try {
      await this.writeKeyWrap(input.tx, input.tenantId, input.keyId, pair, input.newSecret);
      await this.audit.record(
        {
          tenantId: input.tenantId,
          actor: input.actor,
          action: 'key.vault_access_granted',
          targetId: input.keyId,
          ip: input.ip,
          details: { proof: proofKind(input.proof) },
        },
        input.tx,
      );
    } finally {
      wipe(pair.privateKey);
    }
  }

  async revokeKeyAccess(keyId: string, tx: Tx): Promise<void> {
    const { count } = await tx.vaultWrap.deleteMany({ where: { gatewayKeyId: keyId } });
    if (count > 0) {
      const key = await tx.gatewayKey.findUnique({ where: { id: keyId }, select: { tenantId: true } });
      if (key) {
        await this.audit.record(
          { tenantId: key.tenantId, actor: { type: 'system' }, action: 'key.vault_access_revoked', targetId: keyId },
          tx,
        );
      }
    }
  }

  // ---- Management ---------------------------------------------------------------------------

  /** Seals a provider secret to the tenant's public key: needs no secret of the caller. */
  async seal(tenantId: string, rowId: string, secret: ProviderSecret, tx: Tx = this.db.prisma): Promise<Uint8Array> {
    const tenant = await tx.tenant.findUnique({ where: { id: tenantId }, select: { vaultPublicKey: true } });
    if (!tenant?.vaultPublicKey) throw new DomainError('conflict', { message: 'This account has no vault.' });
    return sealSecret(tenant.vaultPublicKey, { tenantId, rowId, provider: secret.provider }, new Secret(secret.secret));
  }

  /** Issues a new recovery key and destroys the old wrap. */
  async regenerateRecoveryKey(
    tenantId: string,
    proof: VaultProof,
    actor: VaultActor,
    ip: string | null,
  ): Promise<Secret<string>> {
    return this.db.prisma.$transaction(async (tx) => {
      const pair = await this.unlock(tenantId, proof, tx);
      const recovery = generateRecoveryKey();
      try {
        await tx.vaultWrap.deleteMany({ where: { tenantId, kind: 'recovery_key' } });
        await this.writeRecoveryWrap(tx, tenantId, pair.privateKey, recovery.bytes);
        await this.audit.record({ tenantId, actor, action: 'vault.recovery_key_regenerated', ip }, tx);
        return recovery.text;
      } finally {
        wipe(pair.privateKey, recovery.bytes);
      }
    });
  }

  /**
   * Rotation for cause: a new tenant key pair, every provider secret re-sealed, wraps only for the
   * presented keys (and the proof's key), a new recovery key. Every other key loses vault access
   * and all old wraps are destroyed, so nothing stored before opens anything after.
   */
  async rotate(
    tenantId: string,
    proof: VaultProof,
    keepKeys: readonly Secret<string>[],
    actor: VaultActor,
    ip: string | null,
  ): Promise<{ recoveryKey: Secret<string>; keptKeyIds: string[]; droppedKeyIds: string[]; resealed: number }> {
    const result = await this.db.prisma.$transaction(
      async (tx) => {
        const old = await this.unlock(tenantId, proof, tx);
        const kept = new Map<string, Secret<Uint8Array>>();
        if ('principal' in proof) kept.set(proof.principal.keyId, proof.principal.secret);
        const presented = 'gatewayKey' in proof ? [proof.gatewayKey, ...keepKeys] : [...keepKeys];
        for (const [index, text] of presented.entries()) {
          const key = await this.verifyKeyOfTenant(tx, tenantId, text);
          // The proof must be a usable key; a disabled key may still be kept through a rotation.
          if (!key || (key.disabled && 'gatewayKey' in proof && index === 0)) {
            throw new DomainError('vault_access_denied', {
              message: 'A key to keep is not a valid gateway key of this account.',
              metadata: {
                field:
                  'gatewayKey' in proof && index === 0
                    ? 'vaultAccess.gatewayKey'
                    : `keepKeys.${String(index - ('gatewayKey' in proof ? 1 : 0))}`,
              },
            });
          }
          kept.set(key.id, key.secret);
        }
        const next = generateTenantKeyPair();
        const recovery = generateRecoveryKey();
        try {
          const providerKeys = await tx.providerKey.findMany({
            where: { tenantId },
            select: { id: true, provider: true, sealed: true },
          });
          for (const row of providerKeys) {
            const binding = { tenantId, rowId: row.id, provider: row.provider };
            const secret = openSecret(row.sealed, old, binding);
            await tx.providerKey.update({
              where: { id: row.id },
              data: { sealed: new Uint8Array(sealSecret(next.publicKey, binding, secret)) },
            });
          }
          await tx.vaultWrap.deleteMany({ where: { tenantId } });
          await this.writeRecoveryWrap(tx, tenantId, next.privateKey, recovery.bytes);
          for (const [keyId, secret] of kept) await this.writeKeyWrap(tx, tenantId, keyId, next, secret);
          const dropped = await tx.gatewayKey.findMany({
            where: { tenantId, vaultAccess: true, id: { notIn: [...kept.keys()] } },
            select: { id: true, publicId: true },
          });
          await tx.gatewayKey.updateMany({ where: { id: { in: dropped.map((k) => k.id) } }, data: { vaultAccess: false } });
          await tx.gatewayKey.updateMany({ where: { id: { in: [...kept.keys()] } }, data: { vaultAccess: true } });
          await tx.tenant.update({
            where: { id: tenantId },
            data: { vaultPublicKey: new Uint8Array(next.publicKey), vaultEpoch: { increment: 1 } },
          });
          await this.audit.record(
            {
              tenantId,
              actor,
              action: 'vault.rotated',
              ip,
              details: { kept: kept.size, dropped: dropped.length, resealed: providerKeys.length },
            },
            tx,
          );
          return {
            recoveryKey: recovery.text,
            keptKeyIds: [...kept.keys()],
            droppedKeyIds: dropped.map((k) => k.id),
            resealed: providerKeys.length,
          };
        } finally {
          wipe(old.privateKey, next.privateKey, recovery.bytes);
        }
      },
      { timeout: 30_000 },
    );
    // Auth caches must learn which keys lost vault access; vault caches must drop the old key pair.
    await this.events.publish({ kind: 'tenant', tenantId });
    await this.events.publish({ kind: 'vault', tenantId });
    return result;
  }

  // ---- Request path -------------------------------------------------------------------------

  /**
   * Opens one of the tenant's provider secrets for the calling gateway key: derive the wrapping
   * key from the key's secret, unwrap the tenant private key, open the sealed blob, check its
   * binding, validate it against the provider's schema. Throws 403 when the key has no vault access.
   */
  async openProviderSecret(principal: KeyPrincipal, row: SealedProviderKey): Promise<Secret<ProviderSecret>> {
    if (row.tenantId !== principal.tenantId) throw new DomainError('not_found', { message: 'No such provider key.' });
    const vault = await this.openVault(principal);
    const cached = vault.secrets.get(row.id);
    if (cached) return cached;
    let opened: Secret<unknown>;
    try {
      opened = openSecret(row.sealed, vault.keyPair, { tenantId: row.tenantId, rowId: row.id, provider: row.provider });
    } catch (error) {
      throw vaultFailure(error);
    }
    const parsed = PROVIDER_SECRET_SCHEMAS[row.provider].safeParse(opened.reveal());
    if (!parsed.success) throw new DomainError('internal', { message: 'A stored provider key failed validation.' });
    const secret = new Secret({ provider: row.provider, secret: parsed.data } as ProviderSecret);
    vault.secrets.set(row.id, secret);
    return secret;
  }

  private async openVault(principal: KeyPrincipal): Promise<OpenedVault> {
    if (!principal.vaultAccess)
      throw new DomainError('vault_access_denied', { message: 'This gateway key has no vault access.' });
    const cacheKey = openedCacheKey(principal);
    const cached = this.cache.get(cacheKey);
    if (cached && cached.expiresAt > Date.now()) return cached;
    const wrap = await this.findWrap(principal);
    const wrappingKey = deriveWrappingKey('gateway_key', principal.secret);
    let privateKey: Secret<Uint8Array>;
    try {
      privateKey = unwrapPrivateKey(wrap.wrapped, wrappingKey, { tenantId: principal.tenantId, holder: principal.keyId });
    } catch (error) {
      throw vaultFailure(error);
    } finally {
      wipe(wrappingKey);
    }
    const opened: OpenedVault = {
      tenantId: principal.tenantId,
      publicId: principal.publicId,
      keyPair: { publicKey: wrap.publicKey, privateKey },
      secrets: new Map(),
      expiresAt: Date.now() + CACHE_TTL_MS,
    };
    if (this.cache.size >= MAX_CACHE_ENTRIES) this.dropWhere((entry) => entry.expiresAt <= Date.now());
    if (this.cache.size < MAX_CACHE_ENTRIES) this.cache.set(cacheKey, opened);
    return opened;
  }

  private async findWrap(principal: KeyPrincipal): Promise<CachedWrap> {
    const cached = this.wraps.get(principal.keyId);
    if (cached && cached.expiresAt > Date.now() && cached.tenantId === principal.tenantId) return cached;
    const { rows } = await this.db.pool.query<WrapRow>(
      `SELECT w.wrapped, t.vault_public_key FROM vault_wraps w JOIN tenants t ON t.id = w.tenant_id
        WHERE w.gateway_key_id = $1 AND w.tenant_id = $2`,
      [principal.keyId, principal.tenantId],
    );
    const row = rows[0];
    if (!row?.vault_public_key)
      throw new DomainError('vault_access_denied', { message: 'This gateway key has no vault access.' });
    const wrap: CachedWrap = {
      tenantId: principal.tenantId,
      publicId: principal.publicId,
      wrapped: row.wrapped,
      publicKey: row.vault_public_key,
      expiresAt: Date.now() + CACHE_TTL_MS,
    };
    if (this.wraps.size >= MAX_CACHE_ENTRIES) this.wraps.clear();
    this.wraps.set(principal.keyId, wrap);
    return wrap;
  }

  /** Drops opened secrets (benchmarks measure the uncached path with it); `wraps` too when asked. */
  clearCache(options: { wraps?: boolean } = {}): void {
    this.cache.clear();
    if (options.wraps) this.wraps.clear();
  }

  // ---- Internals ----------------------------------------------------------------------------

  /** Opens the tenant private key from a proof; 403 for any wrong, foreign or revoked proof. */
  private async unlock(tenantId: string, proof: VaultProof, tx: Tx): Promise<TenantKeyPair> {
    const tenant = await tx.tenant.findUnique({ where: { id: tenantId }, select: { vaultPublicKey: true } });
    if (!tenant?.vaultPublicKey) throw deny();
    let holder: string;
    let wrappingKey: Secret<Uint8Array>;
    if ('recoveryKey' in proof) {
      const bytes = parseRecoveryKey(proof.recoveryKey.reveal());
      if (!bytes) throw deny('The recovery key is malformed or mistyped.');
      holder = RECOVERY_HOLDER;
      wrappingKey = deriveWrappingKey('recovery_key', bytes);
      wipe(bytes);
    } else {
      const key =
        'principal' in proof
          ? verifiedPrincipal(proof.principal, tenantId)
          : await this.verifyKeyOfTenant(tx, tenantId, proof.gatewayKey);
      // A disabled key answers 401 on /v1; it proves nothing here either until it is enabled again.
      if (!key || key.disabled) throw deny();
      holder = key.id;
      wrappingKey = deriveWrappingKey('gateway_key', key.secret);
    }
    const wrap =
      holder === RECOVERY_HOLDER
        ? await tx.vaultWrap.findFirst({ where: { tenantId, kind: 'recovery_key' } })
        : await tx.vaultWrap.findUnique({ where: { gatewayKeyId: holder } });
    try {
      if (!wrap || wrap.tenantId !== tenantId) throw deny();
      const privateKey = unwrapPrivateKey(wrap.wrapped, wrappingKey, { tenantId, holder });
      const publicKey = publicKeyOf(privateKey);
      if (!Buffer.from(publicKey).equals(Buffer.from(tenant.vaultPublicKey))) throw deny();
      return { publicKey, privateKey };
    } catch (error) {
      if (error instanceof VaultError) throw deny();
      throw error;
    } finally {
      wipe(wrappingKey);
    }
  }

  /** A presented gateway key that belongs to the tenant, is live, and matches its verifier. */
  private async verifyKeyOfTenant(
    tx: Tx,
    tenantId: string,
    text: Secret<string>,
  ): Promise<{ id: string; secret: Secret<Uint8Array>; disabled: boolean } | null> {
    const parsed = parseGatewayKey(text.reveal());
    if (!parsed) return null;
    const row = await tx.gatewayKey.findUnique({
      where: { publicId: parsed.publicId },
      select: { id: true, tenantId: true, verifier: true, revokedAt: true, disabled: true },
    });
    const valid = this.verifier.matches(parsed.publicId, parsed.secret, row?.verifier ?? null);
    if (!row || !valid || row.revokedAt || row.tenantId !== tenantId) return null;
    return { id: row.id, secret: parsed.secret, disabled: row.disabled };
  }

  private async writeRecoveryWrap(
    tx: Tx,
    tenantId: string,
    privateKey: Secret<Uint8Array>,
    recoveryKey: Secret<Uint8Array>,
  ): Promise<void> {
    await tx.vaultWrap.create({
      data: { tenantId, kind: 'recovery_key', wrapped: new Uint8Array(recoveryWrap(tenantId, privateKey, recoveryKey)) },
    });
  }

  private async writeKeyWrap(
    tx: Tx,
    tenantId: string,
    keyId: string,
    pair: TenantKeyPair,
    secret: Secret<Uint8Array>,
  ): Promise<void> {
    const wrappingKey = deriveWrappingKey('gateway_key', secret);
    try {
      const wrapped = new Uint8Array(wrapPrivateKey(pair.privateKey, wrappingKey, { tenantId, holder: keyId }));
      await tx.vaultWrap.upsert({
        where: { gatewayKeyId: keyId },
        create: { tenantId, kind: 'gateway_key', gatewayKeyId: keyId, wrapped },
        update: { wrapped },
      });
    } finally {
      wipe(wrappingKey);
    }
  }

  private dropWhere(predicate: (entry: { tenantId: string; publicId: string; expiresAt: number }) => boolean): void {
    for (const [keyId, wrap] of this.wraps) if (predicate(wrap)) this.wraps.delete(keyId);
    for (const [key, entry] of this.cache) {
      // Not wiped: a request in flight may still hold the entry; the GC reclaims it.
      if (predicate(entry)) this.cache.delete(key);
    }
  }
}

/** The tenant private key wrapped under a key derived from the recovery key. */
function recoveryWrap(tenantId: string, privateKey: Secret<Uint8Array>, recoveryKey: Secret<Uint8Array>): Uint8Array {
  const wrappingKey = deriveWrappingKey('recovery_key', recoveryKey);
  try {
    return wrapPrivateKey(privateKey, wrappingKey, { tenantId, holder: RECOVERY_HOLDER });
  } finally {
    wipe(wrappingKey);
  }
}

function verifiedPrincipal(
  principal: KeyPrincipal,
  tenantId: string,
): { id: string; secret: Secret<Uint8Array>; disabled: boolean } | null {
  // An authenticated principal's key is enabled: key auth refuses disabled keys.
  return principal.tenantId === tenantId && principal.vaultAccess
    ? { id: principal.keyId, secret: principal.secret, disabled: false }
    : null;
}

function deny(message = 'The vault access proof is wrong.'): DomainError {
  return new DomainError('vault_access_denied', { message });
}

function vaultFailure(error: unknown): DomainError {
  if (error instanceof VaultError) {
    return new DomainError('vault_access_denied', {
      message: 'The stored secret does not open with this gateway key.',
      metadata: { reason: error.kind },
    });
  }
  return error instanceof DomainError ? error : new DomainError('internal');
}

function proofKind(proof: VaultProof): string {
  return 'recoveryKey' in proof ? 'recovery_key' : 'gateway_key';
}

/** The opened-vault cache's key: a digest of the key's public id and its secret (one-shot, per request). */
function openedCacheKey(principal: KeyPrincipal): string {
  const material = Buffer.concat([Buffer.from(`${principal.publicId}\0`), principal.secret.reveal()]);
  try {
    return hash('sha256', material, 'base64url');
  } finally {
    material.fill(0);
  }
}
