import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { ProviderId } from '@gw/contracts';
import { Database, type Prisma } from '@gw/db';
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

/**
 * Billing settings stored by admins, in integers (the fee rate in parts per million, the free
 * amount in micro-USD; null: no amount allowance); unset fields fall back to the environment's
 * defaults.
 */
export interface StoredBillingSettings {
  readonly byokFeePpm?: number;
  readonly byokFreeRequestsPerMonth?: number;
  readonly byokFreeMicrosPerMonth?: bigint | null;
}

export interface AliasRule {
  readonly pattern: string;
  readonly replacement: string;
}

/** A catalogue row as the refresh reads it (pg hands bigint columns over as text). */
interface CatalogRow {
  id: string;
  name: string;
  context_length: number;
  prompt_micros_per_mtok: string | null;
  completion_micros_per_mtok: string | null;
  endpoints: Prisma.JsonValue;
  supports_tools: boolean;
  supports_json: boolean;
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
  private loads = 0;
  private refreshing: Promise<void> | null = null;

  constructor(@Inject(Database) private readonly db: Database) {}

  async onModuleInit(): Promise<void> {
    await this.seed();
    await this.refresh();
  }

  /** Adds the seed models the catalogue lacks; returns how many. Rows already there stay as they are. */
  async seed(): Promise<number> {
    const { rowCount } = await this.db.pool.query(
      `INSERT INTO catalog_models (id, name, context_length, prompt_micros_per_mtok, completion_micros_per_mtok,
                                   endpoints, supports_tools, supports_json)
       SELECT m.id, m.name, m.context_length, m.prompt, m.completion, m.endpoints::jsonb, m.supports_tools, m.supports_json
         FROM unnest($1::text[], $2::text[], $3::int[], $4::bigint[], $5::bigint[], $6::text[], $7::bool[], $8::bool[])
           AS m(id, name, context_length, prompt, completion, endpoints, supports_tools, supports_json)
       ON CONFLICT (id) DO NOTHING`,
      [
        CATALOG_SEED.map((model) => model.id),
        CATALOG_SEED.map((model) => model.name),
        CATALOG_SEED.map((model) => model.contextLength),
        CATALOG_SEED.map((model) => usdPerMTokToMicros(model.promptUsdPerMTok).toString()),
        CATALOG_SEED.map((model) => usdPerMTokToMicros(model.completionUsdPerMTok).toString()),
        CATALOG_SEED.map((model) =>
          JSON.stringify(model.endpoints.map((e) => ({ provider: e.provider, upstreamModel: e.upstreamModel }))),
        ),
        CATALOG_SEED.map((model) => model.supportsTools),
        CATALOG_SEED.map((model) => model.supportsJson),
      ],
    );
    return rowCount ?? 0;
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

  /** Changes whenever the in-memory view is replaced: results derived from it can be kept until then. */
  generation(): number {
    this.maybeRefresh();
    return this.loads;
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
    const [{ rows }, { rows: settings }] = await Promise.all([
      this.db.pool.query<CatalogRow>(
        `SELECT id, name, context_length, prompt_micros_per_mtok::text, completion_micros_per_mtok::text, endpoints,
                supports_tools, supports_json
           FROM catalog_models WHERE enabled`,
      ),
      this.db.pool.query<{ key: string; value: Prisma.JsonValue }>(
        `SELECT key, value FROM settings WHERE key = ANY($1::text[])`,
        [[ALIASES_KEY, BILLING_SETTINGS_KEY]],
      ),
    ]);
    const setting = (key: string) => settings.find((row) => row.key === key)?.value;
    const models = new Map<string, CatalogEntry>();
    for (const row of rows) {
      models.set(row.id, {
        id: row.id,
        name: row.name,
        contextLength: row.context_length,
        price:
          row.prompt_micros_per_mtok === null || row.completion_micros_per_mtok === null
            ? null
            : {
                promptMicrosPerMTok: BigInt(row.prompt_micros_per_mtok),
                completionMicrosPerMTok: BigInt(row.completion_micros_per_mtok),
              },
        endpoints: parseEndpoints(row.endpoints),
        supportsTools: row.supports_tools,
        supportsJson: row.supports_json,
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
    this.aliasRules = parseAliases(setting(ALIASES_KEY));
    this.billing = parseBillingSettings(setting(BILLING_SETTINGS_KEY));
    this.loadedAt = Date.now();
    this.loads++;
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
  const ppm =
    value['byokFeePpm'] ?? (typeof value['byokFeeRate'] === 'number' ? Math.round(value['byokFeeRate'] * 1e6) : undefined);
  const requests = value['byokFreeRequestsPerMonth'];
  const micros = value['byokFreeMicrosPerMonth'];
  // Settings written before amounts were stored as integers hold the free amount as a USD number.
  const usd = value['byokFreeUsdPerMonth'];
  const freeMicros =
    typeof micros === 'string' && /^\d{1,18}$/.test(micros)
      ? BigInt(micros)
      : micros === null || (micros === undefined && usd === null)
        ? null
        : typeof usd === 'number' && Number.isFinite(usd) && usd >= 0
          ? BigInt(Math.round(usd * 1e6))
          : undefined;
  return {
    ...(typeof ppm === 'number' && Number.isInteger(ppm) && ppm >= 0 && ppm <= 1_000_000 ? { byokFeePpm: ppm } : {}),
    ...(typeof requests === 'number' && Number.isInteger(requests) && requests >= 0
      ? { byokFreeRequestsPerMonth: requests }
      : {}),
    ...(freeMicros !== undefined ? { byokFreeMicrosPerMonth: freeMicros } : {}),
  };
}

/** The stored form of billing settings (JSON: the micro-USD amount as a decimal string). */
export function billingSettingsJson(settings: StoredBillingSettings): Prisma.InputJsonObject {
  return {
    ...(settings.byokFeePpm !== undefined ? { byokFeePpm: settings.byokFeePpm } : {}),
    ...(settings.byokFreeRequestsPerMonth !== undefined ? { byokFreeRequestsPerMonth: settings.byokFreeRequestsPerMonth } : {}),
    ...(settings.byokFreeMicrosPerMonth !== undefined
      ? { byokFreeMicrosPerMonth: settings.byokFreeMicrosPerMonth === null ? null : settings.byokFreeMicrosPerMonth.toString() }
      : {}),
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
