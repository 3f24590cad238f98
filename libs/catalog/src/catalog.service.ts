import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { ProviderId } from '@gw/contracts';
import { Database, type Prisma } from '@gw/db';
import { DomainError } from '@gw/kernel';
import { CATALOG_SEED } from './seed/catalog.seed';

/** The backends a catalogue endpoint can name (the wire contract's provider ids). */
export type CatalogProvider = ProviderId;

export interface CatalogEntry {
  readonly id: string;
  readonly name: string;
  readonly contextLength: number;
  /** micro-USD per million tokens; null when unknown. */
  readonly price: { promptMicrosPerMTok: bigint; completionMicrosPerMTok: bigint } | null;
  readonly endpoints: readonly { provider: CatalogProvider; upstreamModel: string }[];
  readonly supportsTools: boolean;
  readonly supportsJson: boolean;
}

/** Billing settings stored by admins; unset fields fall back to the environment's defaults. */
export interface StoredBillingSettings {
  readonly byokFeeRate?: number;
  readonly byokFreeRequestsPerMonth?: number;
  readonly byokFreeUsdPerMonth?: number | null;
}

export interface AliasRule {
  readonly pattern: string;
  readonly replacement: string;
}

const REFRESH_MS = 10_000;
const ALIASES_KEY = 'aliases';
export const BILLING_SETTINGS_KEY = 'billing';

/** USD-per-million decimal string -> integer micro-USD per million tokens, exactly. */
export function usdPerMTokToMicros(value: string): bigint {
  const match = /^(\d+)(?:\.(\d{1,6}))?$/.exec(value.trim());
  if (!match) throw new Error(`invalid price ${value}`);
  return BigInt(match[1] ?? '0') * 1_000_000n + BigInt((match[2] ?? '').padEnd(6, '0'));
}

/**
 * The model catalogue and alias rules, held in memory for the request path (refreshed every few
 * seconds and after admin edits); Postgres is the source of truth. Seeds the catalogue on start:
 * new models are added, existing rows (and admin edits) are never overwritten.
 */
@Injectable()
export class CatalogService implements OnModuleInit {
  private models = new Map<string, CatalogEntry>();
  private endpointPrices = new Map<string, CatalogEntry['price']>();
  private aliasRules: readonly AliasRule[] = [];
  private billing: StoredBillingSettings = {};
  private loadedAt = 0;
  private refreshing: Promise<void> | null = null;

  constructor(@Inject(Database) private readonly db: Database) {}

  async onModuleInit(): Promise<void> {
    await this.seed();
    await this.refresh();
  }

  async seed(): Promise<number> {
    const { count } = await this.db.prisma.catalogModel.createMany({
      data: CATALOG_SEED.map((model) => ({
        id: model.id,
        name: model.name,
        contextLength: model.contextLength,
        promptMicrosPerMTok: usdPerMTokToMicros(model.promptUsdPerMTok),
        completionMicrosPerMTok: usdPerMTokToMicros(model.completionUsdPerMTok),
        endpoints: model.endpoints.map((e) => ({ provider: e.provider, upstreamModel: e.upstreamModel })),
        supportsTools: model.supportsTools,
        supportsJson: model.supportsJson,
      })),
      skipDuplicates: true,
    });
    return count;
  }

  /** The in-memory view; refreshed in the background when older than a few seconds. */
  get(id: string): CatalogEntry | undefined {
    this.maybeRefresh();
    return this.models.get(id);
  }

  /** The price of the catalogue model a backend endpoint serves (e.g. azure `gpt-4o`), if any. */
  priceOfEndpoint(provider: CatalogProvider, upstreamModel: string): CatalogEntry['price'] {
    this.maybeRefresh();
    return this.endpointPrices.get(`${provider}\0${upstreamModel}`) ?? null;
  }

  list(): CatalogEntry[] {
    this.maybeRefresh();
    return [...this.models.values()].filter((model) => !model.id.includes(':'));
  }

  aliases(): readonly AliasRule[] {
    this.maybeRefresh();
    return this.aliasRules;
  }

  /** What admins stored (`PUT /api/admin/settings`), refreshed like the catalogue. */
  billingSettings(): StoredBillingSettings {
    this.maybeRefresh();
    return this.billing;
  }

  async setAliases(rules: readonly AliasRule[]): Promise<void> {
    const value = rules.map((rule) => ({ pattern: rule.pattern, replacement: rule.replacement })) as Prisma.InputJsonArray;
    await this.db.prisma.setting.upsert({ where: { key: ALIASES_KEY }, create: { key: ALIASES_KEY, value }, update: { value } });
    await this.refresh();
  }

  async refresh(): Promise<void> {
    const [rows, aliases, billing] = await Promise.all([
      this.db.prisma.catalogModel.findMany({ where: { enabled: true } }),
      this.db.prisma.setting.findUnique({ where: { key: ALIASES_KEY } }),
      this.db.prisma.setting.findUnique({ where: { key: BILLING_SETTINGS_KEY } }),
    ]);
    const models = new Map<string, CatalogEntry>();
    for (const row of rows) {
      models.set(row.id, {
        id: row.id,
        name: row.name,
        contextLength: row.contextLength,
        price:
          row.promptMicrosPerMTok === null || row.completionMicrosPerMTok === null
            ? null
            : { promptMicrosPerMTok: row.promptMicrosPerMTok, completionMicrosPerMTok: row.completionMicrosPerMTok },
        endpoints: parseEndpoints(row.endpoints),
        supportsTools: row.supportsTools,
        supportsJson: row.supportsJson,
      });
    }
    const endpointPrices = new Map<string, CatalogEntry['price']>();
    for (const model of models.values()) {
      if (!model.price || model.id.includes(':')) continue;
      for (const endpoint of model.endpoints) {
        const key = `${endpoint.provider}\0${endpoint.upstreamModel}`;
        if (!endpointPrices.has(key)) endpointPrices.set(key, model.price);
      }
    }
    this.models = models;
    this.endpointPrices = endpointPrices;
    this.aliasRules = parseAliases(aliases?.value);
    this.billing = parseBillingSettings(billing?.value);
    this.loadedAt = Date.now();
  }

  private maybeRefresh(): void {
    if (Date.now() - this.loadedAt < REFRESH_MS || this.refreshing) return;
    this.refreshing = this.refresh()
      .catch(() => undefined)
      .finally(() => {
        this.refreshing = null;
      });
  }
}

function parseEndpoints(value: Prisma.JsonValue): CatalogEntry['endpoints'] {
  if (!Array.isArray(value)) return [];
  const out: { provider: CatalogProvider; upstreamModel: string }[] = [];
  for (const item of value) {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) continue;
    const provider = item['provider'];
    const upstreamModel = item['upstreamModel'];
    if (
      (provider === 'openrouter' || provider === 'azure' || provider === 'bedrock' || provider === 'vertex') &&
      typeof upstreamModel === 'string'
    ) {
      out.push({ provider, upstreamModel });
    }
  }
  return out;
}

function parseBillingSettings(value: Prisma.JsonValue | undefined): StoredBillingSettings {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  const rate = value['byokFeeRate'];
  const requests = value['byokFreeRequestsPerMonth'];
  const usd = value['byokFreeUsdPerMonth'];
  return {
    ...(typeof rate === 'number' ? { byokFeeRate: rate } : {}),
    ...(typeof requests === 'number' ? { byokFreeRequestsPerMonth: requests } : {}),
    ...(typeof usd === 'number' || usd === null ? { byokFreeUsdPerMonth: usd } : {}),
  };
}

function parseAliases(value: Prisma.JsonValue | undefined): AliasRule[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item) =>
    typeof item === 'object' &&
    item !== null &&
    !Array.isArray(item) &&
    typeof item['pattern'] === 'string' &&
    typeof item['replacement'] === 'string'
      ? [{ pattern: item['pattern'], replacement: item['replacement'] }]
      : [],
  );
}

export function assertAliasRules(rules: readonly AliasRule[]): void {
  rules.forEach((rule, index) => {
    try {
      new RegExp(rule.pattern);
    } catch {
      throw DomainError.validation(
        `rules.${String(index)}.pattern`,
        `rules.${String(index)}.pattern is not a valid regular expression`,
      );
    }
  });
}
