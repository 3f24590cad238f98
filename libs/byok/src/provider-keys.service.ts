import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { KeyEvents } from '@gw/accounts';
import { CONFIG, type Config } from '@gw/config';
import { type CreateProviderKeyBody, type ProviderSecret, sentAsOneDeployment, type UpdateProviderKeyBody } from '@gw/contracts';
import { Database, type ProviderKey } from '@gw/db';
import { DomainError, isUuid } from '@gw/kernel';
import { checkUpstreamUrl, checkVertexTokenUri, isBedrockRegion, UnresolvedHostError, UnsafeUrlError } from '@gw/net';
import { type VaultActor, VaultAuditService } from './vault-audit.service';
import { VaultService } from './vault.service';

const DEFAULT_BEDROCK_REGION = 'us-east-1';
const ROUTING_TTL_MS = 30_000;
/** The columns of a provider-key row under their Prisma field names, in the order the dashboard lists them. */
const ROUTING_SQL = `SELECT id, tenant_id AS "tenantId", provider, label, hint, always_use AS "alwaysUse", disabled, sealed,
  model_slugs AS "modelSlugs", region, created_at AS "createdAt", last_used_at AS "lastUsedAt"
  FROM provider_keys WHERE tenant_id = $1 ORDER BY created_at, id`;

/**
 * Tenants' own provider keys. Storing one seals it to the tenant's public key, so it needs no
 * secret of the caller; no method ever returns a stored secret.
 */
@Injectable()
export class ProviderKeysService implements OnModuleInit, OnModuleDestroy {
  private readonly routingCache = new Map<string, { rows: readonly ProviderKey[]; expiresAt: number }>();
  private epoch = 0;
  private unsubscribe: (() => void) | undefined;

  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(VaultService) private readonly vault: VaultService,
    @Inject(VaultAuditService) private readonly audit: VaultAuditService,
    @Inject(KeyEvents) private readonly events: KeyEvents,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  onModuleInit(): void {
    this.unsubscribe = this.events.subscribe((event) => {
      this.epoch++;
      if (event.kind === 'vault' || event.kind === 'tenant') this.routingCache.delete(event.tenantId);
      else if (event.kind === 'resync') this.routingCache.clear();
    });
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  async create(tenantId: string, body: CreateProviderKeyBody, actor: VaultActor, ip: string | null): Promise<ProviderKey> {
    const secret = { provider: body.provider, secret: body.secret } as ProviderSecret;
    await this.checkUpstreams(secret);
    const id = randomUUID();
    const created = await this.db.prisma.$transaction(async (tx) => {
      const sealed = await this.vault.seal(tenantId, id, secret, tx);
      const row = await tx.providerKey.create({
        data: {
          id,
          tenantId,
          provider: body.provider,
          label: body.label || defaultLabel(secret),
          hint: hintOf(secret),
          alwaysUse: body.alwaysUse ?? false,
          sealed: new Uint8Array(sealed),
          modelSlugs: secret.provider === 'azure' ? secret.secret.map((d) => d.model_slug) : [],
          region: regionOf(secret),
        },
      });
      await this.audit.record(
        { tenantId, actor, action: 'provider_key.created', targetId: id, ip, details: { provider: body.provider } },
        tx,
      );
      return row;
    });
    await this.events.publish({ kind: 'vault', tenantId });
    return created;
  }

  /**
   * The tenant's keys as the router needs them (sealed blobs included, never opened here), cached
   * per tenant for a few seconds and dropped on every change (KeyEvents 'vault').
   */
  async listForRouting(tenantId: string): Promise<readonly ProviderKey[]> {
    const cached = this.routingCache.get(tenantId);
    if (cached && cached.expiresAt > Date.now()) return cached.rows;
    const epoch = this.epoch;
    // Plain SQL: the /v1 path never needs the Prisma client (tens of MB once loaded).
    const { rows } = await this.db.pool.query<ProviderKey>(ROUTING_SQL, [tenantId]);
    if (epoch === this.epoch) {
      if (this.routingCache.size > 10_000) this.routingCache.clear();
      this.routingCache.set(tenantId, { rows, expiresAt: Date.now() + ROUTING_TTL_MS });
    }
    return rows;
  }

  async list(tenantId: string): Promise<ProviderKey[]> {
    return this.db.prisma.providerKey.findMany({ where: { tenantId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  }

  async get(tenantId: string, id: string): Promise<ProviderKey> {
    const row = isUuid(id) ? await this.db.prisma.providerKey.findFirst({ where: { id, tenantId } }) : null;
    if (!row) throw new DomainError('not_found', { message: 'No such provider key.' });
    return row;
  }

  async update(
    tenantId: string,
    id: string,
    patch: UpdateProviderKeyBody,
    actor: VaultActor,
    ip: string | null,
  ): Promise<ProviderKey> {
    const current = await this.get(tenantId, id);
    const row = await this.db.prisma.$transaction(async (tx) => {
      const updated = await tx.providerKey.update({
        where: { id: current.id },
        data: { alwaysUse: patch.alwaysUse, label: patch.label, disabled: patch.disabled },
      });
      await this.audit.record(
        { tenantId, actor, action: 'provider_key.updated', targetId: id, ip, details: { changed: Object.keys(patch) } },
        tx,
      );
      return updated;
    });
    await this.events.publish({ kind: 'vault', tenantId });
    return row;
  }

  async delete(tenantId: string, id: string, actor: VaultActor, ip: string | null): Promise<void> {
    const current = await this.get(tenantId, id);
    await this.db.prisma.$transaction(async (tx) => {
      await tx.providerKey.delete({ where: { id: current.id } });
      await this.audit.record(
        { tenantId, actor, action: 'provider_key.deleted', targetId: id, ip, details: { provider: current.provider } },
        tx,
      );
    });
    await this.events.publish({ kind: 'vault', tenantId });
  }

  /**
   * Every URL a tenant supplies is checked before it is stored (and again, with its addresses
   * pinned, whenever it is called). A host name that does not resolve yet is stored: saving a key
   * must not depend on DNS answering at that moment, and every call checks the name afresh.
   */
  private async checkUpstreams(secret: ProviderSecret): Promise<void> {
    const allowPrivate = this.config.ALLOW_PRIVATE_UPSTREAMS;
    const refuse = (field: string, reason: string) => DomainError.validation(field, `${field} ${reason}`);
    switch (secret.provider) {
      case 'openrouter':
        return;
      case 'azure':
        for (const [index, deployment] of secret.secret.entries()) {
          try {
            await checkUpstreamUrl(deployment.endpoint_url, { allowPrivate });
          } catch (error) {
            if (error instanceof UnresolvedHostError) continue;
            if (error instanceof UnsafeUrlError) {
              const field = sentAsOneDeployment(secret.secret) ? 'secret.endpoint_url' : `secret.${String(index)}.endpoint_url`;
              throw refuse(field, error.reason);
            }
            throw error;
          }
        }
        return;
      case 'bedrock': {
        const region = typeof secret.secret === 'string' ? DEFAULT_BEDROCK_REGION : secret.secret.region;
        if (!isBedrockRegion(region)) throw refuse('secret.region', 'is not a region where Bedrock is offered');
        return;
      }
      case 'vertex':
        try {
          await checkVertexTokenUri(secret.secret.token_uri, { allowPrivate });
        } catch (error) {
          if (error instanceof UnsafeUrlError) throw refuse('secret.token_uri', error.reason);
          throw error;
        }
        return;
    }
  }
}

/** The last four characters, or fewer for a short secret: a hint never shows more than a quarter of it. */
function lastFour(value: string): string {
  const shown = Math.min(4, Math.floor(value.length / 4));
  return `…${shown > 0 ? value.slice(-shown) : ''}`;
}

function hintOf(secret: ProviderSecret): string {
  switch (secret.provider) {
    case 'openrouter':
      return lastFour(secret.secret);
    case 'azure':
      return lastFour(secret.secret[0]?.api_key ?? '');
    case 'bedrock':
      return lastFour(
        typeof secret.secret === 'string'
          ? secret.secret
          : 'apiKey' in secret.secret
            ? secret.secret.apiKey
            : secret.secret.accessKeyId,
      );
    case 'vertex':
      return lastFour(secret.secret.private_key_id ?? secret.secret.client_email);
  }
}

function defaultLabel(secret: ProviderSecret): string {
  switch (secret.provider) {
    case 'openrouter':
      return 'OpenRouter key';
    case 'azure':
      return `Azure (${secret.secret.map((d) => d.model_slug).join(', ')})`.slice(0, 100);
    case 'bedrock':
      return `Bedrock (${regionOf(secret) ?? DEFAULT_BEDROCK_REGION})`;
    case 'vertex':
      return `Vertex (${secret.secret.project_id})`.slice(0, 100);
  }
}

function regionOf(secret: ProviderSecret): string | null {
  switch (secret.provider) {
    case 'bedrock':
      return typeof secret.secret === 'string' ? DEFAULT_BEDROCK_REGION : secret.secret.region;
    case 'vertex':
      return secret.secret.region ?? 'global';
    case 'openrouter':
    case 'azure':
      return null;
  }
}
