/** The backends the gateway can call. Mirrors `PROVIDER_IDS` in contracts; routing stays import-free. */
export const PROVIDER_IDS = ['openrouter', 'azure', 'bedrock', 'vertex'] as const;
export type ProviderId = (typeof PROVIDER_IDS)[number];

/** List price in micro-USD per million tokens: integers only, never floats. */
export interface ModelPrice {
  promptMicrosPerMTok: bigint;
  completionMicrosPerMTok: bigint;
}

/** One way to serve a catalogue model, e.g. {openrouter, 'openai/gpt-4o'} or {azure, 'gpt-4o'} (azure: the model_slug). */
export interface CatalogEndpoint {
  provider: ProviderId;
  upstreamModel: string;
}

export interface CatalogModel {
  id: string;
  contextLength: number;
  price: ModelPrice | null;
  endpoints: readonly CatalogEndpoint[];
}

export interface CatalogView {
  get(id: string): CatalogModel | undefined;
  /** The admin's price for a forced name (`bedrock:<modelId>`, ...), or the catalogue's when the slug is one. */
  priceOfForced(provider: ProviderId, upstreamModel: string): ModelPrice | null;
}

/** An admin alias: `pattern` is a JS regex source used as written; `replacement` may use `\1` or `$1`. */
export interface AliasRule {
  pattern: string;
  replacement: string;
}

export interface TenantProviderKey {
  id: string;
  provider: ProviderId;
  alwaysUse: boolean;
  disabled: boolean;
  createdAt: Date;
  /** Azure deployments' model_slugs; ignored for the other providers. */
  modelSlugs: readonly string[];
}

export interface PlatformKeys {
  openrouter: boolean;
  azureSlugs: ReadonlySet<string>;
  bedrock: boolean;
  vertex: boolean;
}

export interface ProviderPreferences {
  order?: string[];
  allow_fallbacks?: boolean;
  require_parameters?: boolean;
  only?: string[];
  ignore?: string[];
  sort?: 'price' | 'latency' | 'throughput';
}

export interface ProviderStats {
  latencyMs?: number;
  throughputTps?: number;
}

export type Credential = { kind: 'byok'; providerKeyId: string; alwaysUse: boolean } | { kind: 'platform' };

/** Parameters riding in a model name (`...?temperature=0.7`); explicit body fields win over them. */
export type ModelParams = Record<string, string | number | boolean>;

export interface Attempt {
  /** The catalogue id, or the canonical forced name (`openrouter:anthropic/claude-3.5-sonnet`, never `openrouter-...`). */
  model: string;
  provider: ProviderId;
  upstreamModel: string;
  credential: Credential;
  /**
   * Null on BYOK attempts of unpriced models (fee 0), and on platform attempts only for forced
   * `openrouter:` slugs the catalogue does not price: SPEC 7 bills those at OpenRouter's `usage.cost`.
   */
  price: ModelPrice | null;
  /** URI params of the name this attempt's model came from (after aliasing). */
  params: ModelParams;
  /** The request field that name came from (`model`, `models.1`), for errors about its params. */
  field: string;
}

export interface PlanInput {
  model?: string;
  models?: string[];
  route?: 'fallback';
  provider?: ProviderPreferences;
  /** Body fields actually sent (temperature, tools, top_k, ...). */
  requestedParams: ReadonlySet<string>;
  /** What a backend accepts for a model; drives `require_parameters`. */
  supportedParams: (provider: ProviderId, upstreamModel: string) => ReadonlySet<string>;
  catalog: CatalogView;
  aliases: readonly AliasRule[];
  tenantKeys: readonly TenantProviderKey[];
  platform: PlatformKeys;
  /** BYOK keys are usable only if the gateway key has vault access. */
  keyHasVaultAccess: boolean;
  /** Recent observed figures per (provider, attempt model name), for `sort: latency|throughput`. */
  stats?: (provider: ProviderId, model: string) => ProviderStats | undefined;
}

export type PlanError =
  | { kind: 'bad_request'; field: string; message: string }
  | { kind: 'unknown_model'; model: string }
  | { kind: 'no_provider'; model: string; reason: string }
  | { kind: 'no_price'; model: string };

export type BadRequestError = Extract<PlanError, { kind: 'bad_request' }>;

export type PlanResult =
  | { ok: true; attempts: Attempt[]; /** URI params of the first model name. */ params: ModelParams }
  | { ok: false; error: PlanError };

export type ParsedModelName =
  | { kind: 'catalog'; id: string; params: ModelParams }
  | { kind: 'forced'; provider: ProviderId; upstreamModel: string; params: ModelParams };

export type ParseModelNameResult = ParsedModelName | { kind: 'invalid'; error: BadRequestError };

/** A field error for admin forms, e.g. `{ field: 'rules.3.pattern', message: '...' }`. */
export interface FieldError {
  field: string;
  message: string;
}
