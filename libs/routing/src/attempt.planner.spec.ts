import { planAttempts } from './attempt.planner';
import type {
  Attempt,
  CatalogModel,
  CatalogView,
  ModelPrice,
  PlanInput,
  PlanResult,
  ProviderId,
  ProviderStats,
  TenantProviderKey,
} from './routing.types';

// Factories: every test builds what it needs from these, nothing is shared mutable state.
const usd = (prompt: number, completion: number): ModelPrice => ({
  promptMicrosPerMTok: BigInt(prompt * 1_000_000),
  completionMicrosPerMTok: BigInt(completion * 1_000_000),
});

const CLAUDE_BEDROCK = 'anthropic.claude-3-5-sonnet-20240620-v1:0';
const CLAUDE_VERTEX = 'claude-3-5-sonnet@20240620';

function catalogModels(): CatalogModel[] {
  return [
    {
      id: 'openai/gpt-4o',
      contextLength: 128000,
      price: usd(2.5, 10),
      endpoints: [
        { provider: 'openrouter', upstreamModel: 'openai/gpt-4o' },
        { provider: 'azure', upstreamModel: 'gpt-4o' },
      ],
    },
    {
      id: 'anthropic/claude-3.5-sonnet',
      contextLength: 200000,
      price: usd(3, 15),
      endpoints: [
        { provider: 'openrouter', upstreamModel: 'anthropic/claude-3.5-sonnet' },
        { provider: 'bedrock', upstreamModel: CLAUDE_BEDROCK },
        { provider: 'vertex', upstreamModel: CLAUDE_VERTEX },
      ],
    },
    {
      id: 'meta/unpriced',
      contextLength: 8000,
      price: null,
      endpoints: [
        { provider: 'openrouter', upstreamModel: 'meta/unpriced' },
        { provider: 'bedrock', upstreamModel: 'meta.unpriced-v1:0' },
      ],
    },
    { id: 'lonely/no-endpoints', contextLength: 8000, price: usd(1, 1), endpoints: [] },
  ];
}

/** Forced-name prices as the admin table would hold them; openrouter slugs fall back to the catalogue's. */
function catalogOf(models = catalogModels(), forced: Record<string, ModelPrice> = {}): CatalogView {
  return {
    get: (id) => models.find((model) => model.id === id),
    priceOfForced: (provider, upstreamModel) =>
      forced[`${provider}:${upstreamModel}`] ??
      models.find((model) => model.endpoints.some((e) => e.provider === provider && e.upstreamModel === upstreamModel))?.price ??
      null,
  };
}

let keySeq = 0;
function key(provider: ProviderId, overrides: Partial<TenantProviderKey> = {}): TenantProviderKey {
  keySeq += 1;
  return {
    id: `k${keySeq}`,
    provider,
    alwaysUse: false,
    disabled: false,
    createdAt: new Date(Date.UTC(2025, 0, keySeq)),
    modelSlugs: [],
    ...overrides,
  };
}

const SUPPORTED: Record<ProviderId, string[]> = {
  openrouter: ['temperature', 'top_p', 'top_k', 'tools', 'max_tokens'],
  azure: ['temperature', 'top_p', 'tools', 'max_tokens'],
  bedrock: ['temperature', 'top_p', 'max_tokens', 'tools'],
  vertex: ['temperature', 'top_p', 'top_k', 'max_tokens'],
};

function input(overrides: Partial<PlanInput> = {}): PlanInput {
  return {
    model: 'openai/gpt-4o',
    requestedParams: new Set(),
    supportedParams: (provider) => new Set(SUPPORTED[provider]),
    catalog: catalogOf(),
    aliases: [],
    tenantKeys: [],
    platform: { openrouter: true, azureSlugs: new Set(['gpt-4o']), bedrock: true, vertex: true },
    keyHasVaultAccess: true,
    ...overrides,
  };
}

/** One readable line per attempt: `model provider credential`. */
function describeAttempt(attempt: Attempt): string {
  const credential = attempt.credential.kind === 'byok' ? `byok:${attempt.credential.providerKeyId}` : 'platform';
  return `${attempt.model} ${attempt.provider} ${credential}`;
}

function lines(result: PlanResult): string[] {
  if (!result.ok) throw new Error(`expected a plan, got ${JSON.stringify(result.error)}`);
  return result.attempts.map(describeAttempt);
}

function attempts(result: PlanResult): Attempt[] {
  if (!result.ok) throw new Error(`expected a plan, got ${JSON.stringify(result.error)}`);
  return result.attempts;
}

function errorOf(result: PlanResult) {
  if (result.ok) throw new Error(`expected an error, got ${JSON.stringify(result.attempts.map(describeAttempt))}`);
  return result.error;
}

const GPT = 'openai/gpt-4o';
const CLAUDE = 'anthropic/claude-3.5-sonnet';

describe('planAttempts: model names', () => {
  it('plans a catalogue model on every endpoint, in catalogue order, on platform keys', () => {
    const sut = planAttempts(input());
    expect(lines(sut)).toEqual([`${GPT} openrouter platform`, `${GPT} azure platform`]);
    expect(attempts(sut)[1]).toEqual({
      model: GPT,
      provider: 'azure',
      upstreamModel: 'gpt-4o',
      credential: { kind: 'platform' },
      price: usd(2.5, 10),
      params: {},
      field: 'model',
    });
  });

  it.each([
    ['openrouter:anthropic/claude-3.5-sonnet', 'openrouter', 'anthropic/claude-3.5-sonnet'],
    ['openrouter-anthropic/claude-3.5-sonnet', 'openrouter', 'anthropic/claude-3.5-sonnet'],
    ['azure:gpt-4o', 'azure', 'gpt-4o'],
    [`bedrock:${CLAUDE_BEDROCK}`, 'bedrock', CLAUDE_BEDROCK],
    [`vertex:${CLAUDE_VERTEX}`, 'vertex', CLAUDE_VERTEX],
  ])('forces %s onto exactly one backend, under its canonical name', (model, provider, upstreamModel) => {
    const sut = attempts(
      planAttempts(input({ model, catalog: catalogOf(catalogModels(), { [`${provider}:${upstreamModel}`]: usd(1, 2) }) })),
    );
    expect(sut.map(({ model: name, provider: p, upstreamModel: u }) => [name, p, u])).toEqual([
      [`${provider}:${upstreamModel}`, provider, upstreamModel],
    ]);
  });

  it('applies aliases before parsing (gpt-4o -> openrouter:openai/gpt-4o)', () => {
    const sut = planAttempts(
      input({ model: 'gpt-4o', aliases: [{ pattern: '^gpt-(.*)', replacement: 'openrouter:openai/gpt-\\1' }] }),
    );
    expect(lines(sut)).toEqual(['openrouter:openai/gpt-4o openrouter platform']);
    expect(attempts(sut)[0]?.price).toEqual(usd(2.5, 10));
  });

  it('returns the first name’s URI params, and each attempt’s own', () => {
    const sut = planAttempts(
      input({ model: 'openrouter:anthropic/claude-3.5-sonnet?temperature=0.7&top_p=0.9', models: [`${GPT}?temperature=0`] }),
    );
    expect(sut.ok && sut.params).toEqual({ temperature: 0.7, top_p: 0.9 });
    expect(attempts(sut).map((a) => a.params)).toEqual([
      { temperature: 0.7, top_p: 0.9 },
      { temperature: 0 },
      { temperature: 0 },
    ]);
  });

  it('keeps URI params through an alias', () => {
    const sut = planAttempts(
      input({ model: 'gpt-4o?temperature=0.2', aliases: [{ pattern: '^gpt-(.*)', replacement: 'openai/gpt-$1' }] }),
    );
    expect(sut.ok && sut.params).toEqual({ temperature: 0.2 });
    expect(lines(sut)[0]).toBe(`${GPT} openrouter platform`);
  });

  it.each<[string, Partial<PlanInput>, string]>([
    ['no model at all', { model: undefined }, 'model'],
    ['an empty models list', { model: undefined, models: [] }, 'model'],
    ['an empty model', { model: '' }, 'model'],
    ['garbage in the fallback list', { models: [CLAUDE, 'azure:'] }, 'models.1'],
    ['garbage even after an unknown model', { model: 'nope/nope', models: ['openai/'] }, 'models.0'],
  ])('400 for %s, naming the field', (_, overrides, field) => {
    expect(errorOf(planAttempts(input(overrides)))).toMatchObject({ kind: 'bad_request', field });
  });

  it('says when an alias produced the bad name', () => {
    const sut = errorOf(planAttempts(input({ model: 'broken', aliases: [{ pattern: '^broken$', replacement: 'azure:' }] })));
    expect(sut).toMatchObject({
      kind: 'bad_request',
      field: 'model',
      message: expect.stringContaining('alias rewrote "broken"'),
    });
  });

  it('uses models alone when model is absent', () => {
    expect(lines(planAttempts(input({ model: undefined, models: ['azure:gpt-4o'] })))).toEqual(['azure:gpt-4o azure platform']);
  });

  it('drops repeated names', () => {
    expect(lines(planAttempts(input({ models: [GPT, GPT] })))).toEqual([`${GPT} openrouter platform`, `${GPT} azure platform`]);
  });

  it.each<[string, Partial<PlanInput>, string]>([
    ['an unknown vendor/model', { model: 'nobody/nothing' }, 'nobody/nothing'],
    ['a slashless name no alias matched', { model: 'gpt-4o' }, 'gpt-4o'],
    ['an unknown fallback, even when the first is known', { models: [CLAUDE, 'nobody/fallback'] }, 'nobody/fallback'],
    ['the first unknown of several', { model: 'a/x', models: ['b/y'] }, 'a/x'],
  ])('404 for %s', (_, overrides, model) => {
    expect(errorOf(planAttempts(input(overrides)))).toEqual({ kind: 'unknown_model', model });
  });

  it('never 404s a forced name: it passes through', () => {
    expect(lines(planAttempts(input({ model: 'openrouter:brand-new/model' })))).toEqual([
      'openrouter:brand-new/model openrouter platform',
    ]);
  });
});

describe('planAttempts: BYOK', () => {
  it('tries the tenant key first, then the platform key of the same provider', () => {
    const k = key('openrouter');
    expect(lines(planAttempts(input({ tenantKeys: [k] })))).toEqual([
      `${GPT} openrouter byok:${k.id}`,
      `${GPT} openrouter platform`,
      `${GPT} azure platform`,
    ]);
  });

  it('tries several keys oldest first, all before the platform key', () => {
    const young = key('openrouter', { createdAt: new Date('2025-06-01') });
    const old = key('openrouter', { createdAt: new Date('2024-01-01') });
    const middle = key('openrouter', { createdAt: new Date('2025-01-01') });
    expect(lines(planAttempts(input({ tenantKeys: [young, old, middle] }))).slice(0, 4)).toEqual([
      `${GPT} openrouter byok:${old.id}`,
      `${GPT} openrouter byok:${middle.id}`,
      `${GPT} openrouter byok:${young.id}`,
      `${GPT} openrouter platform`,
    ]);
  });

  it('skips disabled keys', () => {
    const off = key('openrouter', { disabled: true });
    expect(lines(planAttempts(input({ tenantKeys: [off] })))).toEqual([`${GPT} openrouter platform`, `${GPT} azure platform`]);
  });

  it('uses no BYOK key when the gateway key has no vault access', () => {
    const k = key('openrouter');
    expect(lines(planAttempts(input({ tenantKeys: [k], keyHasVaultAccess: false })))).toEqual([
      `${GPT} openrouter platform`,
      `${GPT} azure platform`,
    ]);
  });

  it('drops the platform attempt of a provider whose key is always-use, only for that provider', () => {
    const k = key('openrouter', { alwaysUse: true });
    const sut = planAttempts(input({ tenantKeys: [k] }));
    expect(lines(sut)).toEqual([`${GPT} openrouter byok:${k.id}`, `${GPT} azure platform`]);
    expect(attempts(sut)[0]?.credential).toEqual({ kind: 'byok', providerKeyId: k.id, alwaysUse: true });
  });

  it('lets a disabled always-use key pin nothing', () => {
    const k = key('openrouter', { alwaysUse: true, disabled: true });
    expect(lines(planAttempts(input({ tenantKeys: [k] })))[0]).toBe(`${GPT} openrouter platform`);
  });

  it('keeps an always-use provider off credits even without vault access', () => {
    const k = key('openrouter', { alwaysUse: true });
    const sut = planAttempts(input({ model: 'openrouter:x/y', tenantKeys: [k], keyHasVaultAccess: false }));
    expect(errorOf(sut)).toEqual({
      kind: 'no_provider',
      model: 'openrouter:x/y',
      reason: 'the openrouter key is set to always be used, and this gateway key has no vault access',
    });
  });

  it('uses an azure key only for the slugs it deploys', () => {
    const other = key('azure', { modelSlugs: ['gpt-4.1'] });
    const match = key('azure', { modelSlugs: ['gpt-4.1', 'gpt-4o'] });
    expect(lines(planAttempts(input({ model: 'azure:gpt-4o', tenantKeys: [other, match] })))).toEqual([
      `azure:gpt-4o azure byok:${match.id}`,
      'azure:gpt-4o azure platform',
    ]);
  });

  it('lets an always-use azure key pin only its own slugs', () => {
    const pinnedElsewhere = key('azure', { modelSlugs: ['gpt-4.1'], alwaysUse: true });
    expect(lines(planAttempts(input({ model: 'azure:gpt-4o', tenantKeys: [pinnedElsewhere] })))).toEqual([
      'azure:gpt-4o azure platform',
    ]);
  });

  it('uses the platform azure key only for its slugs', () => {
    const sut = planAttempts(
      input({ platform: { openrouter: true, azureSlugs: new Set(['gpt-4.1']), bedrock: true, vertex: true } }),
    );
    expect(lines(sut)).toEqual([`${GPT} openrouter platform`]);
  });

  it('503s a forced azure slug nobody deploys', () => {
    expect(errorOf(planAttempts(input({ model: 'azure:gpt-5' })))).toEqual({
      kind: 'no_provider',
      model: 'azure:gpt-5',
      reason: 'no key for azure slug gpt-5',
    });
  });

  it('serves a forced azure slug from a tenant key alone', () => {
    const k = key('azure', { modelSlugs: ['gpt-5'] });
    const catalog = catalogOf(catalogModels(), { 'azure:gpt-5': usd(1, 8) });
    expect(lines(planAttempts(input({ model: 'azure:gpt-5', tenantKeys: [k], catalog })))).toEqual([
      `azure:gpt-5 azure byok:${k.id}`,
    ]);
  });

  it('503s when the only key needs vault access the gateway key lacks', () => {
    const k = key('azure', { modelSlugs: ['gpt-5'] });
    expect(errorOf(planAttempts(input({ model: 'azure:gpt-5', tenantKeys: [k], keyHasVaultAccess: false })))).toEqual({
      kind: 'no_provider',
      model: 'azure:gpt-5',
      reason: 'the azure key needs a gateway key with vault access',
    });
  });

  it('ranks providers with a usable tenant key first by default', () => {
    const k = key('vertex');
    expect(lines(planAttempts(input({ model: CLAUDE, tenantKeys: [k] })))).toEqual([
      `${CLAUDE} vertex byok:${k.id}`,
      `${CLAUDE} vertex platform`,
      `${CLAUDE} openrouter platform`,
      `${CLAUDE} bedrock platform`,
    ]);
  });

  it('does not rank a provider first for a key it cannot use', () => {
    const k = key('vertex');
    expect(lines(planAttempts(input({ model: CLAUDE, tenantKeys: [k], keyHasVaultAccess: false })))[0]).toBe(
      `${CLAUDE} openrouter platform`,
    );
  });
});

describe('planAttempts: provider preferences', () => {
  it('orders providers by provider.order, the rest after', () => {
    expect(lines(planAttempts(input({ model: CLAUDE, provider: { order: ['vertex', 'bedrock'] } })))).toEqual([
      `${CLAUDE} vertex platform`,
      `${CLAUDE} bedrock platform`,
      `${CLAUDE} openrouter platform`,
    ]);
  });

  it('accepts OpenRouter’s amazon-bedrock and google-vertex names', () => {
    expect(lines(planAttempts(input({ model: CLAUDE, provider: { order: ['google-vertex', 'Amazon-Bedrock'] } })))).toEqual([
      `${CLAUDE} vertex platform`,
      `${CLAUDE} bedrock platform`,
      `${CLAUDE} openrouter platform`,
    ]);
  });

  it('keeps only the listed providers when allow_fallbacks is false', () => {
    expect(
      lines(planAttempts(input({ model: CLAUDE, provider: { order: ['bedrock', 'vertex'], allow_fallbacks: false } }))),
    ).toEqual([`${CLAUDE} bedrock platform`, `${CLAUDE} vertex platform`]);
  });

  it('keeps only the primary provider (BYOK and platform) when allow_fallbacks is false without an order', () => {
    const k = key('bedrock');
    expect(lines(planAttempts(input({ model: CLAUDE, tenantKeys: [k], provider: { allow_fallbacks: false } })))).toEqual([
      `${CLAUDE} bedrock byok:${k.id}`,
      `${CLAUDE} bedrock platform`,
    ]);
  });

  it('skips a primary that cannot serve when allow_fallbacks is false', () => {
    const platform = { openrouter: false, azureSlugs: new Set<string>(), bedrock: true, vertex: true };
    expect(lines(planAttempts(input({ model: CLAUDE, platform, provider: { allow_fallbacks: false } })))).toEqual([
      `${CLAUDE} bedrock platform`,
    ]);
  });

  it('still falls back to the next model when allow_fallbacks is false', () => {
    const sut = planAttempts(input({ model: CLAUDE, models: [GPT], provider: { order: ['bedrock'], allow_fallbacks: false } }));
    expect(lines(sut)).toEqual([`${CLAUDE} bedrock platform`]);
    const both = planAttempts(
      input({ model: CLAUDE, models: [GPT], provider: { order: ['azure', 'bedrock'], allow_fallbacks: false } }),
    );
    expect(lines(both)).toEqual([`${CLAUDE} bedrock platform`, `${GPT} azure platform`]);
  });

  it('503s when allow_fallbacks is false and no listed provider serves the model', () => {
    expect(errorOf(planAttempts(input({ provider: { order: ['bedrock'], allow_fallbacks: false } })))).toEqual({
      kind: 'no_provider',
      model: GPT,
      reason: `no provider in provider.order serves ${GPT}`,
    });
  });

  it('puts an explicit order above the BYOK-first default, BYOK still first within its provider', () => {
    const k = key('vertex');
    expect(lines(planAttempts(input({ model: CLAUDE, tenantKeys: [k], provider: { order: ['bedrock', 'vertex'] } })))).toEqual([
      `${CLAUDE} bedrock platform`,
      `${CLAUDE} vertex byok:${k.id}`,
      `${CLAUDE} vertex platform`,
      `${CLAUDE} openrouter platform`,
    ]);
  });

  it('filters with only', () => {
    expect(lines(planAttempts(input({ model: CLAUDE, provider: { only: ['vertex', 'openrouter'] } })))).toEqual([
      `${CLAUDE} openrouter platform`,
      `${CLAUDE} vertex platform`,
    ]);
  });

  it('reads an empty only as no restriction', () => {
    expect(lines(planAttempts(input({ provider: { only: [] } })))).toHaveLength(2);
  });

  it('removes ignored providers, even ones listed in order', () => {
    expect(
      lines(planAttempts(input({ model: CLAUDE, provider: { order: ['bedrock'], ignore: ['amazon-bedrock', 'openrouter'] } }))),
    ).toEqual([`${CLAUDE} vertex platform`]);
  });

  it('503s when every provider is ignored', () => {
    expect(errorOf(planAttempts(input({ provider: { ignore: ['openrouter', 'azure'] } })))).toEqual({
      kind: 'no_provider',
      model: GPT,
      reason: `all providers of ${GPT} are ignored`,
    });
  });

  it('503s when only lists no provider of the model', () => {
    expect(errorOf(planAttempts(input({ provider: { only: ['bedrock'] } })))).toMatchObject({
      kind: 'no_provider',
      reason: `no provider in provider.only serves ${GPT}`,
    });
  });

  it.each<[string, PlanInput['provider'], string]>([
    ['order', { order: ['openrouter', 'openai'] }, 'provider.order.1'],
    ['only', { only: ['anthropic'] }, 'provider.only.0'],
    ['ignore', { ignore: ['azure', 'vertex', 'google'] }, 'provider.ignore.2'],
  ])('400s an unknown provider name in %s', (_, provider, field) => {
    expect(errorOf(planAttempts(input({ provider })))).toMatchObject({ kind: 'bad_request', field });
  });

  it('checks provider names before looking models up', () => {
    expect(errorOf(planAttempts(input({ model: 'nobody/x', provider: { order: ['nope'] } })))).toMatchObject({
      kind: 'bad_request',
    });
  });
});

describe('planAttempts: require_parameters', () => {
  it('drops providers that lack a requested parameter', () => {
    const sut = planAttempts(
      input({ model: CLAUDE, requestedParams: new Set(['top_k']), provider: { require_parameters: true } }),
    );
    expect(lines(sut)).toEqual([`${CLAUDE} openrouter platform`, `${CLAUDE} vertex platform`]);
  });

  it('ignores support when require_parameters is off', () => {
    expect(lines(planAttempts(input({ model: CLAUDE, requestedParams: new Set(['top_k']) })))).toHaveLength(3);
  });

  it('counts params riding in the name as requested', () => {
    const sut = planAttempts(input({ model: `${CLAUDE}?top_k=40`, provider: { require_parameters: true } }));
    expect(lines(sut)).toEqual([`${CLAUDE} openrouter platform`, `${CLAUDE} vertex platform`]);
  });

  it('refuses with a 400 naming the parameters when no provider of any model supports them all', () => {
    const sut = planAttempts(
      input({ model: CLAUDE, requestedParams: new Set(['tools', 'top_k']), provider: { require_parameters: true } }),
    );
    expect(lines(sut)).toEqual([`${CLAUDE} openrouter platform`]);
    const none = planAttempts(input({ requestedParams: new Set(['top_k', 'min_p']), provider: { require_parameters: true } }));
    expect(errorOf(none)).toEqual({
      kind: 'bad_request',
      field: 'provider.require_parameters',
      message: `no provider of ${GPT} supports all of: min_p, top_k`,
    });
  });

  it('keeps a 503 when another reason (not the parameters) left a model without providers', () => {
    const none = planAttempts(
      input({
        models: [GPT, CLAUDE],
        requestedParams: new Set(['min_p']),
        provider: { require_parameters: true, only: ['vertex'] },
      }),
    );
    expect(errorOf(none)).toMatchObject({ kind: 'no_provider' });
  });
});

describe('planAttempts: sort', () => {
  const stats =
    (table: Partial<Record<ProviderId, ProviderStats>>) =>
    (provider: ProviderId): ProviderStats | undefined =>
      table[provider];

  it('sorts by list price, cheapest first, unknown last, stable on ties', () => {
    const catalog = catalogOf(catalogModels(), {
      [`bedrock:${CLAUDE_BEDROCK}`]: usd(1, 5),
      [`vertex:${CLAUDE_VERTEX}`]: usd(3, 15),
    });
    const sut = planAttempts(input({ model: CLAUDE, catalog, provider: { sort: 'price' } }));
    expect(lines(sut)).toEqual([`${CLAUDE} bedrock platform`, `${CLAUDE} openrouter platform`, `${CLAUDE} vertex platform`]);
    // The attempt still costs the catalogue model's price; the per-backend price only ranks.
    expect(attempts(sut)[0]?.price).toEqual(usd(3, 15));
  });

  it('sorts by latency, fastest first, unknown last', () => {
    const sut = planAttempts(
      input({
        model: CLAUDE,
        stats: stats({ vertex: { latencyMs: 300 }, bedrock: { latencyMs: 120 } }),
        provider: { sort: 'latency' },
      }),
    );
    expect(lines(sut)).toEqual([`${CLAUDE} bedrock platform`, `${CLAUDE} vertex platform`, `${CLAUDE} openrouter platform`]);
  });

  it('sorts by throughput, highest first, unknown last', () => {
    const sut = planAttempts(
      input({
        model: CLAUDE,
        stats: stats({ openrouter: { throughputTps: 40 }, vertex: { throughputTps: 90, latencyMs: 1 } }),
        provider: { sort: 'throughput' },
      }),
    );
    expect(lines(sut)).toEqual([`${CLAUDE} vertex platform`, `${CLAUDE} openrouter platform`, `${CLAUDE} bedrock platform`]);
  });

  it('keeps catalogue order when there are no figures', () => {
    expect(lines(planAttempts(input({ model: CLAUDE, provider: { sort: 'latency' } })))[0]).toBe(`${CLAUDE} openrouter platform`);
  });

  it('asks for stats by provider and attempt model name', () => {
    const asked: string[] = [];
    planAttempts(
      input({ stats: (provider, model) => (asked.push(`${provider} ${model}`), undefined), provider: { sort: 'throughput' } }),
    );
    expect(asked).toContain(`azure ${GPT}`);
  });

  it('lets order outrank sort', () => {
    const sut = planAttempts(
      input({
        model: CLAUDE,
        stats: stats({ bedrock: { latencyMs: 1 }, vertex: { latencyMs: 2 } }),
        provider: { sort: 'latency', order: ['openrouter'] },
      }),
    );
    expect(lines(sut)).toEqual([`${CLAUDE} openrouter platform`, `${CLAUDE} bedrock platform`, `${CLAUDE} vertex platform`]);
  });
});

describe('planAttempts: fallback models', () => {
  it('tries later models after every attempt of the earlier ones', () => {
    const k = key('azure', { modelSlugs: ['gpt-4o'] });
    expect(lines(planAttempts(input({ model: CLAUDE, models: [GPT], tenantKeys: [k] })))).toEqual([
      `${CLAUDE} openrouter platform`,
      `${CLAUDE} bedrock platform`,
      `${CLAUDE} vertex platform`,
      `${GPT} azure byok:${k.id}`,
      `${GPT} azure platform`,
      `${GPT} openrouter platform`,
    ]);
  });

  it('accepts route: "fallback" as the same thing', () => {
    expect(
      lines(
        planAttempts(
          input({
            model: undefined,
            models: [GPT, 'vertex:gemini-9'],
            route: 'fallback',
            catalog: catalogOf(catalogModels(), { 'vertex:gemini-9': usd(1, 1) }),
          }),
        ),
      ),
    ).toEqual([`${GPT} openrouter platform`, `${GPT} azure platform`, 'vertex:gemini-9 vertex platform']);
  });

  it('lists an identical call once, where it first appears', () => {
    const sut = planAttempts(input({ model: 'openrouter:openai/gpt-4o', models: [GPT] }));
    expect(lines(sut)).toEqual(['openrouter:openai/gpt-4o openrouter platform', `${GPT} azure platform`]);
  });

  it('falls through a model nobody can serve; params stay the first name’s', () => {
    const sut = planAttempts(input({ model: 'azure:gpt-5?temperature=1', models: [GPT] }));
    expect(lines(sut)).toEqual([`${GPT} openrouter platform`, `${GPT} azure platform`]);
    expect(sut.ok && sut.params).toEqual({ temperature: 1 });
    expect(attempts(sut)[0]?.params).toEqual({});
  });

  it('503s naming each model’s reason when none can run', () => {
    const sut = planAttempts(input({ model: 'azure:gpt-5', models: ['lonely/no-endpoints'] }));
    expect(errorOf(sut)).toEqual({
      kind: 'no_provider',
      model: 'azure:gpt-5',
      reason: 'azure:gpt-5: no key for azure slug gpt-5; lonely/no-endpoints: no provider serves lonely/no-endpoints',
    });
  });
});

describe('planAttempts: prices and credits', () => {
  it('404s an unpriced model on credits', () => {
    expect(errorOf(planAttempts(input({ model: 'meta/unpriced' })))).toEqual({ kind: 'no_price', model: 'meta/unpriced' });
  });

  it('runs an unpriced model on a BYOK key (price null), never on credits', () => {
    const k = key('bedrock');
    const sut = planAttempts(input({ model: 'meta/unpriced', tenantKeys: [k] }));
    expect(lines(sut)).toEqual([`meta/unpriced bedrock byok:${k.id}`]);
    expect(attempts(sut)[0]?.price).toBeNull();
  });

  it.each([
    ['bedrock:amazon.titan-text-v9:0', 'bedrock'],
    ['vertex:gemini-9', 'vertex'],
    ['azure:gpt-4o-unpriced', 'azure'],
  ])('404s %s on credits when the admin priced nothing', (model) => {
    const platform = { openrouter: true, azureSlugs: new Set(['gpt-4o-unpriced']), bedrock: true, vertex: true };
    expect(errorOf(planAttempts(input({ model, platform })))).toEqual({ kind: 'no_price', model });
  });

  it('charges a forced name the admin’s price', () => {
    const catalog = catalogOf(catalogModels(), { 'vertex:gemini-9': usd(0.5, 1.5) });
    expect(attempts(planAttempts(input({ model: 'vertex:gemini-9', catalog })))[0]?.price).toEqual(usd(0.5, 1.5));
  });

  it('charges a forced openrouter slug the catalogue price when known', () => {
    expect(attempts(planAttempts(input({ model: 'openrouter:anthropic/claude-3.5-sonnet' })))[0]?.price).toEqual(usd(3, 15));
  });

  it('runs an unpriced forced openrouter slug on credits at the reported usage.cost (price null)', () => {
    const sut = attempts(planAttempts(input({ model: 'openrouter-brand-new/model' })));
    expect(sut).toEqual([
      {
        model: 'openrouter:brand-new/model',
        provider: 'openrouter',
        upstreamModel: 'brand-new/model',
        credential: { kind: 'platform' },
        price: null,
        params: {},
        field: 'model',
      },
    ]);
  });

  it('names the request field each attempt came from', () => {
    const sut = attempts(planAttempts(input({ model: 'openrouter:a/b', models: ['openrouter:c/d', 'openrouter:e/f'] })));
    expect(sut.map((attempt) => [attempt.upstreamModel, attempt.field])).toEqual([
      ['a/b', 'model'],
      ['c/d', 'models.0'],
      ['e/f', 'models.1'],
    ]);
  });

  it('prefers the price error over the provider error when the price is what blocked', () => {
    expect(errorOf(planAttempts(input({ model: 'azure:gpt-5', models: ['meta/unpriced'] })))).toEqual({
      kind: 'no_price',
      model: 'meta/unpriced',
    });
  });

  it('falls back past an unpriced model to a priced one', () => {
    expect(lines(planAttempts(input({ model: 'meta/unpriced', models: [GPT] })))).toEqual([
      `${GPT} openrouter platform`,
      `${GPT} azure platform`,
    ]);
  });

  it('503s a catalogue model no provider serves', () => {
    expect(errorOf(planAttempts(input({ model: 'lonely/no-endpoints' })))).toEqual({
      kind: 'no_provider',
      model: 'lonely/no-endpoints',
      reason: 'no provider serves lonely/no-endpoints',
    });
  });

  it('503s when the platform has no key and the tenant none either', () => {
    const platform = { openrouter: false, azureSlugs: new Set<string>(), bedrock: false, vertex: false };
    expect(errorOf(planAttempts(input({ platform })))).toEqual({
      kind: 'no_provider',
      model: GPT,
      reason: 'no key for openrouter, no key for azure slug gpt-4o',
    });
  });
});
