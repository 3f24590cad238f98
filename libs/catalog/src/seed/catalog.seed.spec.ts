import { CATALOG_SEED, type SeedProvider } from './catalog.seed';

const PROVIDERS: readonly SeedProvider[] = ['openrouter', 'azure', 'bedrock', 'vertex'];
const DECIMAL = /^(0|[1-9]\d*)(\.\d{1,6})?$/;

describe('CATALOG_SEED', () => {
  it('has at least 30 models', () => {
    expect(CATALOG_SEED.length).toBeGreaterThanOrEqual(30);
  });

  it('has unique, well-formed ids', () => {
    const ids = CATALOG_SEED.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z0-9-]+\/[a-z0-9.:-]+$/);
  });

  it.each(CATALOG_SEED.map((m) => [m.id, m] as const))('%s has valid prices and context length', (_id, model) => {
    for (const price of [model.promptUsdPerMTok, model.completionUsdPerMTok]) {
      expect(typeof price).toBe('string');
      expect(price).toMatch(DECIMAL);
      expect(Number(price)).toBeGreaterThanOrEqual(0);
    }
    expect(Number.isInteger(model.contextLength)).toBe(true);
    expect(model.contextLength).toBeGreaterThan(0);
    expect(model.name.trim()).not.toBe('');
  });

  it.each(CATALOG_SEED.map((m) => [m.id, m] as const))('%s has sane endpoints', (_id, model) => {
    expect(model.endpoints.some((e) => e.provider === 'openrouter')).toBe(true);
    const keys = model.endpoints.map((e) => `${e.provider}\u0000${e.upstreamModel}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const e of model.endpoints) {
      expect(PROVIDERS).toContain(e.provider);
      expect(e.upstreamModel).toMatch(/^\S+$/);
    }
  });

  it('routes provider-specific endpoints only to plausible vendors', () => {
    for (const model of CATALOG_SEED) {
      const vendor = model.id.split('/')[0];
      for (const e of model.endpoints) {
        if (e.provider === 'azure') expect(vendor).toBe('openai');
        if (e.provider === 'vertex') expect(['google', 'anthropic']).toContain(vendor);
        if (e.provider === 'bedrock') expect(e.upstreamModel).toMatch(/^[a-z]+\.[a-z0-9.-]+(:\d+)?$/);
      }
    }
  });
});
