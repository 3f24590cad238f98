import { loadConfig } from '@gw/config';
import { Database } from '@gw/db';
import { createTestDatabase, FakeOpenRouter, type TestDatabase } from '@gw/testing';
import { CatalogSync } from './catalog-sync.service';
import { CatalogService } from './catalog.service';

describe('the OpenRouter catalogue sync', () => {
  let testDb: TestDatabase;
  let db: Database;
  let openrouter: FakeOpenRouter;

  beforeAll(async () => {
    testDb = await createTestDatabase();
    db = new Database(testDb.url);
    openrouter = await FakeOpenRouter.start({
      models: [
        // Seeded, admin-priced below: must keep the admin's price.
        { id: 'openai/gpt-4o', name: 'GPT-4o', contextLength: 128000, promptPrice: '0.000009', completionPrice: '0.00009' },
        // Seeded, not overridden: takes OpenRouter's price and context.
        {
          id: 'openai/gpt-4o-mini',
          name: 'GPT-4o mini',
          contextLength: 64000,
          promptPrice: '0.0000002',
          completionPrice: '0.0000008',
        },
        // New: added with an OpenRouter endpoint.
        { id: 'acme/new-model-1', name: 'Acme New', contextLength: 32000, promptPrice: '0.000001', completionPrice: '0.000002' },
      ],
    });
  });
  afterAll(async () => {
    await openrouter.close();
    await db.close();
    await testDb.drop();
  });

  const sut = (apiKey: string | undefined) => {
    const config = loadConfig({
      DATABASE_URL: testDb.url,
      SERVER_PEPPER: 'catalog-sync-test-pepper-0123456789',
      OPENROUTER_BASE_URL: openrouter.baseUrl,
      ...(apiKey ? { OPENROUTER_API_KEY: apiKey } : {}),
    });
    const catalog = new CatalogService(db);
    return { sync: new CatalogSync(db, config, catalog), catalog };
  };

  it('does nothing without OPENROUTER_API_KEY', async () => {
    expect(await sut(undefined).sync.syncOpenRouter()).toBeNull();
    expect(openrouter.requests).toHaveLength(0);
  });

  it('adds new models and refreshes prices, never an admin override, safely when run twice at once', async () => {
    const { sync, catalog } = sut('platform-key');
    await catalog.seed();
    await db.prisma.catalogModel.update({
      where: { id: 'openai/gpt-4o' },
      data: { promptMicrosPerMTok: 1_000_000n, completionMicrosPerMTok: 2_000_000n, priceOverridden: true },
    });
    const results = await Promise.all([sync.syncOpenRouter(), sut('platform-key').sync.syncOpenRouter()]);
    expect(results.map((r) => (r?.added ?? 0) + (r?.updated ?? 0))).toEqual([3, 3]);
    expect(results.reduce((sum, r) => sum + (r?.added ?? 0), 0)).toBe(1);
    expect(openrouter.requests.every((r) => r.credential === 'platform-key')).toBe(true);

    const rows = await db.prisma.catalogModel.findMany({
      where: { id: { in: ['openai/gpt-4o', 'openai/gpt-4o-mini', 'acme/new-model-1'] } },
      orderBy: { id: 'asc' },
    });
    expect(rows.map((r) => [r.id, r.promptMicrosPerMTok, r.completionMicrosPerMTok, r.contextLength])).toEqual([
      ['acme/new-model-1', 1_000_000n, 2_000_000n, 32000],
      ['openai/gpt-4o', 1_000_000n, 2_000_000n, 128000],
      ['openai/gpt-4o-mini', 200_000n, 800_000n, 64000],
    ]);
    expect(rows[0]?.endpoints).toEqual([{ provider: 'openrouter', upstreamModel: 'acme/new-model-1' }]);
    // The seeded endpoints (OpenRouter and Azure) are kept as they were.
    expect(rows[2]?.endpoints).toEqual([
      { provider: 'openrouter', upstreamModel: 'openai/gpt-4o-mini' },
      { provider: 'azure', upstreamModel: 'gpt-4o-mini' },
    ]);
    expect(catalog.get('acme/new-model-1')?.price).toEqual({
      promptMicrosPerMTok: 1_000_000n,
      completionMicrosPerMTok: 2_000_000n,
    });
  });
});
