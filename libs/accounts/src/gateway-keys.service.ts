import { Inject, Injectable, Optional } from '@nestjs/common';
import type { CreateKeyBody, UpdateKeyBody } from '@gw/contracts';
import { Database, type GatewayKey } from '@gw/db';
import { DomainError, Secret, usdToMicros, isUuid } from '@gw/kernel';
import { type KeyPrincipal, proofFromAccess, VAULT_LIFECYCLE, type VaultLifecycle, type VaultProof } from './accounts.tokens';
import { generateGatewayKey } from './gateway-key-format';
import { KeyEvents } from './key-events';
import { KeyVerifier } from './key-verifier';

export interface CreatedKey {
  readonly row: GatewayKey;
  readonly key: Secret<string>;
}

/** Who asks to create a key: a dashboard user, or a gateway key through the management API. */
export type KeyCreator = { kind: 'session'; userId: string } | { kind: 'key'; principal: KeyPrincipal };

@Injectable()
export class GatewayKeysService {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(KeyVerifier) private readonly verifier: KeyVerifier,
    @Inject(KeyEvents) private readonly events: KeyEvents,
    @Optional() @Inject(VAULT_LIFECYCLE) private readonly vault: VaultLifecycle | null = null,
  ) {}

  async create(tenantId: string, body: CreateKeyBody, creator: KeyCreator, ip: string | null = null): Promise<CreatedKey> {
    const generated = generateGatewayKey();
    const proof = vaultProof(body, creator);
    if (proof && !this.vault) {
      throw new DomainError('vault_access_denied', { message: 'This server has no vault configured.' });
    }
    const row = await this.db.prisma.$transaction(async (tx) => {
      const created = await tx.gatewayKey.create({
        data: {
          tenantId,
          publicId: generated.parsed.publicId,
          name: body.name,
          hint: generated.hint,
          verifier: new Uint8Array(this.verifier.compute(generated.parsed.publicId, generated.parsed.secret)),
          vaultAccess: proof !== null,
          creditLimit: body.creditLimit == null ? null : usdToMicros(body.creditLimit, 'creditLimit'),
          rateLimitRpm: body.rateLimitRpm ?? null,
        },
      });
      if (proof && this.vault) {
        const actor =
          creator.kind === 'session'
            ? { type: 'user' as const, id: creator.userId }
            : { type: 'key' as const, id: creator.principal.keyId };
        await this.vault.grantKeyAccess({
          tenantId,
          keyId: created.id,
          newSecret: generated.parsed.secret,
          proof,
          actor,
          ip,
          tx,
        });
      }
      return created;
    });
    return { row, key: generated.key };
  }

  async list(tenantId: string): Promise<GatewayKey[]> {
    return this.db.prisma.gatewayKey.findMany({
      where: { tenantId, revokedAt: null },
      orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
    });
  }

  async get(tenantId: string, id: string): Promise<GatewayKey> {
    const row = isUuid(id) ? await this.db.prisma.gatewayKey.findFirst({ where: { id, tenantId, revokedAt: null } }) : null;
    if (!row) throw new DomainError('not_found', { message: 'No such gateway key.' });
    return row;
  }

  async update(tenantId: string, id: string, patch: UpdateKeyBody): Promise<GatewayKey> {
    const current = await this.get(tenantId, id);
    const row = await this.db.prisma.gatewayKey.update({
      where: { id: current.id },
      data: {
        name: patch.name,
        disabled: patch.disabled,
        creditLimit:
          patch.creditLimit === undefined
            ? undefined
            : patch.creditLimit === null
              ? null
              : usdToMicros(patch.creditLimit, 'creditLimit'),
        rateLimitRpm: patch.rateLimitRpm,
      },
    });
    await this.events.publish({ kind: 'key', publicId: row.publicId });
    return row;
  }

  /** Revokes for good: the verifier and any vault wrap are deleted; the row stays for history. */
  async revoke(tenantId: string, id: string): Promise<void> {
    const current = await this.get(tenantId, id);
    await this.db.prisma.$transaction(async (tx) => {
      await tx.gatewayKey.update({
        where: { id: current.id },
        data: { verifier: null, disabled: true, vaultAccess: false, revokedAt: new Date() },
      });
      if (this.vault) await this.vault.revokeKeyAccess(current.id, tx);
    });
    await this.events.publish({ kind: 'key', publicId: current.publicId });
  }
}

function vaultProof(body: CreateKeyBody, creator: KeyCreator): VaultProof | null {
  if (body.vaultAccess) return proofFromAccess(body.vaultAccess);
  // A key created through /v1/keys by a key with vault access inherits it.
  if (creator.kind === 'key' && creator.principal.vaultAccess) return { principal: creator.principal };
  return null;
}
