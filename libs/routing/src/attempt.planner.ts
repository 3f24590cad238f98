import { assertNever } from '@gw/kernel';
import { applyAliases } from './alias.rewriter';
import { parseModelName } from './model-name.parser';
import { resolveProviderPreferences, type ResolvedPreferences } from './provider-preferences.resolver';
import type {
  Attempt,
  BadRequestError,
  CatalogEndpoint,
  ModelParams,
  ModelPrice,
  PlanError,
  PlanInput,
  ParsedModelName,
  PlanResult,
  PlatformKeys,
  ProviderId,
  TenantProviderKey,
} from './routing.types';

/** One model of the fallback list, resolved: what to call it, what it costs, where it can run. */
interface Target {
  model: string;
  params: ModelParams;
  /** The request field the name came from (`model`, `models.1`). */
  field: string;
  price: ModelPrice | null;
  endpoints: readonly CatalogEndpoint[];
  /** Per-backend list price, for `sort: price`. */
  listPrice: (endpoint: CatalogEndpoint) => ModelPrice | null;
  /** SPEC 7: a forced `openrouter:` slug without a catalogue price is billed at OpenRouter's `usage.cost`. */
  billedByUpstream: boolean;
}

interface EndpointPlan {
  endpoint: CatalogEndpoint;
  index: number;
  attempts: Attempt[];
  hasByok: boolean;
  /** The platform attempt was dropped only because nobody knows the price. */
  priceBlocked: boolean;
  /** Why this backend yields no attempt (null when it yields some, or when the price is why). */
  reason: string | null;
}

interface ModelPlan {
  attempts: Attempt[];
  priceBlocked: boolean;
  reason: string | null;
  /** No provider honours every requested parameter (provider.require_parameters). */
  paramsBlocked?: boolean;
}

/**
 * The ordered (model, provider, key) attempts for one request, per SPEC sections 6 and 7.
 *
 * Where SPEC is silent, OpenRouter's behaviour is followed:
 * - Every name in `[model, ...models]` must be well formed (400, `model` / `models.N`) and every
 *   catalogue id must exist (404 naming the first unknown one), even fallbacks: a typo in a
 *   fallback should surface now, not silently when the primary fails.
 * - `allow_fallbacks: false` limits providers only (the `order` list, else the top-ranked provider
 *   that can serve); the `models` fallback still applies, and BYOK still falls back to platform.
 * - Default provider ranking puts backends where the tenant has a usable BYOK key first
 *   ("always tried first"); an explicit `order`, then `sort`, outrank that; ties keep catalogue order.
 * - `alwaysUse` on an enabled key drops that provider's platform attempt even when this gateway
 *   key lacks vault access: the tenant asked never to spend credits on that provider.
 * - Identical attempts (same backend, model, credential and params) appear once, first place wins.
 */
export function planAttempts(input: PlanInput): PlanResult {
  const names = collectModelNames(input);
  if (!Array.isArray(names)) return fail(names);
  const preferences = resolveProviderPreferences(input.provider);
  if ('kind' in preferences) return fail(preferences);
  // `route: "fallback"` is OpenRouter's legacy spelling of the only behaviour there is.

  const parsed: { name: ParsedModelName; field: string }[] = [];
  for (const { name, field } of names) {
    const aliased = applyAliases(name, input.aliases);
    const result = parseModelName(aliased, field);
    if (result.kind === 'invalid') {
      const via = aliased === name ? '' : ` (alias rewrote "${name}" to "${aliased}")`;
      return fail({ ...result.error, message: `${result.error.message}${via}` });
    }
    parsed.push({ name: result, field });
  }

  const targets: Target[] = [];
  for (const { name, field } of parsed) {
    switch (name.kind) {
      case 'catalog': {
        const model = input.catalog.get(name.id);
        if (model === undefined) return fail({ kind: 'unknown_model', model: name.id });
        targets.push({
          model: model.id,
          params: name.params,
          field,
          price: model.price,
          endpoints: model.endpoints,
          listPrice: (endpoint) => input.catalog.priceOfForced(endpoint.provider, endpoint.upstreamModel) ?? model.price,
          billedByUpstream: false,
        });
        break;
      }
      case 'forced': {
        const price = input.catalog.priceOfForced(name.provider, name.upstreamModel);
        targets.push({
          model: `${name.provider}:${name.upstreamModel}`,
          params: name.params,
          field,
          price,
          endpoints: [{ provider: name.provider, upstreamModel: name.upstreamModel }],
          listPrice: () => price,
          billedByUpstream: name.provider === 'openrouter' && price === null,
        });
        break;
      }
      default:
        return assertNever(name, 'model name kind');
    }
  }

  // Never undefined (at least one name was required); the check satisfies noUncheckedIndexedAccess.
  const first = targets[0];
  if (first === undefined) return fail({ kind: 'bad_request', field: 'model', message: 'Give a model or a models list.' });

  const attempts: Attempt[] = [];
  const seen = new Set<string>();
  const reasons: string[] = [];
  let priceBlockedModel: string | null = null;
  let paramsBlockedEverywhere = true;
  for (const target of targets) {
    const plan = planModel(target, input, preferences);
    if (plan.paramsBlocked !== true) paramsBlockedEverywhere = false;
    for (const attempt of plan.attempts) {
      const key = attemptKey(attempt);
      if (seen.has(key)) continue;
      seen.add(key);
      attempts.push(attempt);
    }
    if (plan.priceBlocked && priceBlockedModel === null) priceBlockedModel = target.model;
    if (plan.reason !== null) reasons.push(targets.length > 1 ? `${target.model}: ${plan.reason}` : plan.reason);
  }

  if (attempts.length > 0) return { ok: true, attempts, params: first.params };
  if (priceBlockedModel !== null) return fail({ kind: 'no_price', model: priceBlockedModel });
  // The request itself asks for what no backend of any of its models can do: the caller's to change.
  if (paramsBlockedEverywhere) {
    return fail({ kind: 'bad_request', field: 'provider.require_parameters', message: reasons.join('; ') });
  }
  return fail({ kind: 'no_provider', model: first.model, reason: reasons.join('; ') || `no provider can serve ${first.model}` });
}

/** `[model, ...models]` without repeats, each with the request field it came from. */
function collectModelNames(input: PlanInput): { name: string; field: string }[] | BadRequestError {
  const names: { name: string; field: string }[] = [];
  if (input.model !== undefined) names.push({ name: input.model, field: 'model' });
  (input.models ?? []).forEach((name, index) => names.push({ name, field: `models.${index}` }));
  if (names.length === 0) return { kind: 'bad_request', field: 'model', message: 'Give a model or a models list.' };
  const firstIndex = new Map<string, number>();
  names.forEach(({ name }, index) => firstIndex.set(name, firstIndex.get(name) ?? index));
  return names.filter(({ name }, index) => firstIndex.get(name) === index);
}

function planModel(target: Target, input: PlanInput, preferences: ResolvedPreferences): ModelPlan {
  const { model } = target;
  let endpoints = target.endpoints;
  if (endpoints.length === 0) return noAttempts(`no provider serves ${model}`);

  const only = preferences.only;
  if (only !== null) {
    endpoints = endpoints.filter((endpoint) => only.has(endpoint.provider));
    if (endpoints.length === 0) return noAttempts(`no provider in provider.only serves ${model}`);
  }
  endpoints = endpoints.filter((endpoint) => !preferences.ignore.has(endpoint.provider));
  if (endpoints.length === 0) return noAttempts(`all providers of ${model} are ignored`);

  if (preferences.requireParameters) {
    // Params riding in the name are sent too, so they count as requested.
    const requested = [...new Set([...input.requestedParams, ...Object.keys(target.params)])].sort();
    endpoints = endpoints.filter((endpoint) => {
      const supported = input.supportedParams(endpoint.provider, endpoint.upstreamModel);
      return requested.every((param) => supported.has(param));
    });
    if (endpoints.length === 0) {
      return { ...noAttempts(`no provider of ${model} supports all of: ${requested.join(', ')}`), paramsBlocked: true };
    }
  }

  if (!preferences.allowFallbacks && preferences.order.length > 0) {
    endpoints = endpoints.filter((endpoint) => preferences.order.includes(endpoint.provider));
    if (endpoints.length === 0) return noAttempts(`no provider in provider.order serves ${model}`);
  }

  let plans = endpoints.map((endpoint, index) => planEndpoint(target, endpoint, index, input));
  plans.sort(rankEndpoints(target, input, preferences));
  if (!preferences.allowFallbacks && preferences.order.length === 0) {
    // Without an order, "no fallbacks" keeps the primary: the best-ranked provider that can serve.
    const primary = plans.find((plan) => plan.attempts.length > 0)?.endpoint.provider;
    if (primary !== undefined) plans = plans.filter((plan) => plan.endpoint.provider === primary);
  }

  const attempts = plans.flatMap((plan) => plan.attempts);
  const priceBlocked = plans.some((plan) => plan.priceBlocked);
  if (attempts.length > 0 || priceBlocked) return { attempts, priceBlocked, reason: null };
  const reasons = [...new Set(plans.map((plan) => plan.reason).filter((reason) => reason !== null))];
  return noAttempts(reasons.join(', ') || `no provider can serve ${model}`);
}

/** BYOK keys oldest first, then the platform key unless a key pins the provider or the price is unknown. */
function planEndpoint(target: Target, endpoint: CatalogEndpoint, index: number, input: PlanInput): EndpointPlan {
  const { provider, upstreamModel } = endpoint;
  const keys = input.tenantKeys
    .filter(
      (key) => key.provider === provider && !key.disabled && (provider !== 'azure' || key.modelSlugs.includes(upstreamModel)),
    )
    .sort(oldestFirst);
  const attempt = (credential: Attempt['credential']): Attempt => ({
    model: target.model,
    provider,
    upstreamModel,
    credential,
    price: target.price,
    params: target.params,
    field: target.field,
  });

  const attempts: Attempt[] = input.keyHasVaultAccess
    ? keys.map((key) => attempt({ kind: 'byok', providerKeyId: key.id, alwaysUse: key.alwaysUse }))
    : [];
  const pinned = keys.some((key) => key.alwaysUse);
  const platform = platformServes(input.platform, endpoint);
  const priced = target.price !== null || target.billedByUpstream;
  if (platform && !pinned && priced) attempts.push(attempt({ kind: 'platform' }));

  const priceBlocked = platform && !pinned && !priced;
  let reason: string | null = null;
  if (attempts.length === 0 && !priceBlocked) {
    if (keys.length === 0) {
      reason = provider === 'azure' ? `no key for azure slug ${upstreamModel}` : `no key for ${provider}`;
    } else if (pinned && platform) {
      reason = `the ${provider} key is set to always be used, and this gateway key has no vault access`;
    } else {
      reason = `the ${provider} key needs a gateway key with vault access`;
    }
  }
  return { endpoint, index, attempts, hasByok: attempts.some((a) => a.credential.kind === 'byok'), priceBlocked, reason };
}

function platformServes(platform: PlatformKeys, endpoint: CatalogEndpoint): boolean {
  switch (endpoint.provider) {
    case 'openrouter':
      return platform.openrouter;
    case 'azure':
      return platform.azureSlugs.has(endpoint.upstreamModel);
    case 'bedrock':
      return platform.bedrock;
    case 'vertex':
      return platform.vertex;
    default:
      return assertNever(endpoint.provider, 'provider');
  }
}

/** `order` first, then `sort`, then BYOK-backed providers, then catalogue order (stable). */
function rankEndpoints(
  target: Target,
  input: PlanInput,
  preferences: ResolvedPreferences,
): (a: EndpointPlan, b: EndpointPlan) => number {
  const orderRank = (provider: ProviderId): number => {
    const at = preferences.order.indexOf(provider);
    return at === -1 ? preferences.order.length : at;
  };
  const metric = sortMetric(target, input, preferences.sort);
  return (a, b) =>
    orderRank(a.endpoint.provider) - orderRank(b.endpoint.provider) ||
    metric(a.endpoint, b.endpoint) ||
    Number(b.hasByok) - Number(a.hasByok) ||
    a.index - b.index;
}

function sortMetric(
  target: Target,
  input: PlanInput,
  sort: ResolvedPreferences['sort'],
): (a: CatalogEndpoint, b: CatalogEndpoint) => number {
  if (sort === null) return () => 0;
  switch (sort) {
    case 'price':
      return (a, b) => comparePrices(target.listPrice(a), target.listPrice(b));
    case 'latency': {
      const latency = (endpoint: CatalogEndpoint) => finite(input.stats?.(endpoint.provider, target.model)?.latencyMs);
      return (a, b) => compareKnownFirst(latency(a), latency(b), (x, y) => x - y);
    }
    case 'throughput': {
      const throughput = (endpoint: CatalogEndpoint) => finite(input.stats?.(endpoint.provider, target.model)?.throughputTps);
      return (a, b) => compareKnownFirst(throughput(a), throughput(b), (x, y) => y - x);
    }
    default:
      return assertNever(sort, 'sort');
  }
}

/** Cheapest prompt + completion list price first; a tie goes to the cheaper prompt; unknown last. */
function comparePrices(a: ModelPrice | null, b: ModelPrice | null): number {
  return compareKnownFirst(a, b, (x, y) => {
    const total = sign(x.promptMicrosPerMTok + x.completionMicrosPerMTok - (y.promptMicrosPerMTok + y.completionMicrosPerMTok));
    return total || sign(x.promptMicrosPerMTok - y.promptMicrosPerMTok);
  });
}

function compareKnownFirst<T>(a: T | null, b: T | null, compare: (x: T, y: T) => number): number {
  if (a === null) return b === null ? 0 : 1;
  if (b === null) return -1;
  return compare(a, b);
}

function sign(value: bigint): number {
  return value < 0n ? -1 : value > 0n ? 1 : 0;
}

function finite(value: number | undefined): number | null {
  return value !== undefined && Number.isFinite(value) ? value : null;
}

function oldestFirst(a: TenantProviderKey, b: TenantProviderKey): number {
  return a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function attemptKey(attempt: Attempt): string {
  const credential = attempt.credential.kind === 'byok' ? `byok:${attempt.credential.providerKeyId}` : 'platform';
  return JSON.stringify([attempt.provider, attempt.upstreamModel, credential, attempt.params]);
}

function noAttempts(reason: string): ModelPlan {
  return { attempts: [], priceBlocked: false, reason };
}

function fail(error: PlanError): PlanResult {
  return { ok: false, error };
}
