import {
  createTestServiceAccount,
  FakeBedrock,
  type FakeBedrockAccessKey,
  FakeGoogleToken,
  FakeOpenRouter,
  FakeVertex,
  type TestServiceAccount,
} from '@gw/testing';
import { Agent, request } from 'undici';
import { call, startTestApp, type TestApp } from '../testing/test-app';

const password = 'a-long-enough-secret-9';

const TENANT_ACCESS_KEY: FakeBedrockAccessKey = {
  accessKeyId: 'AKIATENANTBEDROCK002',
  secretAccessKey: 'tenant/BedrockSecretAccessKey/0000000002',
};
const PLATFORM_ACCESS_KEY: FakeBedrockAccessKey = {
  accessKeyId: 'AKIAPLATFORMBEDROCK2',
  secretAccessKey: 'platform/BedrockSecretAccessKey/00000002',
};
const TENANT_API_KEY = 'ABSKdGVuYW50LWJlZHJvY2stYXBpLWtleS0wMDAy';

const SONNET_ON_BEDROCK = 'anthropic.claude-sonnet-4-20250514-v1:0';
const SONNET_ON_VERTEX = 'claude-sonnet-4@20250514';

interface Tenant {
  session: string;
  vaultKey: string;
  providerKeyIds: string[];
}

/** Bedrock and Vertex failures through the gateway: auth, throttling, and one token grant under load (SPEC section 6). */
describe('Bedrock and Vertex failures through the gateway', () => {
  let bedrock: FakeBedrock;
  let tokens: FakeGoogleToken;
  let vertex: FakeVertex;
  let openrouter: FakeOpenRouter;
  let platformSa: TestServiceAccount;
  let sut: TestApp;

  async function newTenant(email: string, keys: { provider: string; secret: unknown }[]): Promise<Tenant> {
    const signup = await call(sut.url, 'POST', '/api/auth/signup', { body: { email, password } });
    expect(signup.status).toBe(201);
    const session: string = signup.body.token;
    const vault = await call(sut.url, 'POST', '/api/keys', {
      token: session,
      body: { name: 'vault', vaultAccess: { recoveryKey: signup.body.recoveryKey } },
    });
    const providerKeyIds: string[] = [];
    for (const key of keys) {
      const created = await call(sut.url, 'POST', '/api/provider-keys', { token: session, body: key });
      expect({ provider: key.provider, status: created.status }).toEqual({ provider: key.provider, status: 201 });
      providerKeyIds.push(created.body.id);
    }
    return { session, vaultKey: vault.body.key, providerKeyIds };
  }

  const chat = (key: string, body: Record<string, unknown>) =>
    call(sut.url, 'POST', '/v1/chat/completions', {
      token: key,
      body: { messages: [{ role: 'user', content: 'hello there' }], ...body },
    });

  async function generation(key: string, id: string) {
    await sut.drainGenerations();
    const res = await call(sut.url, 'GET', `/v1/generation?id=${id}`, { token: key });
    expect(res.status).toBe(200);
    return res.body.data;
  }

  /** Reads an SSE body: the text delivered, whether it ended with [DONE], and the last chunk's usage. */
  async function streamChat(key: string, body: Record<string, unknown>) {
    const response = await fetch(`${sut.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'hello there' }], ...body, stream: true }),
    });
    const raw = await response.text();
    const events = raw.split('\n\n').filter((event) => event.startsWith('data: '));
    const chunks = events
      .map((event) => event.slice(6))
      .filter((data) => data !== '[DONE]')
      // Stream chunks are read as test JSON, as `call` reads bodies.
      .map((data) => JSON.parse(data));
    return {
      status: response.status,
      text: chunks.map((chunk) => chunk.choices[0]?.delta?.content ?? '').join(''),
      done: events.at(-1) === 'data: [DONE]',
      errors: chunks.filter((chunk) => chunk.error !== undefined),
      id: String(chunks[0]?.id),
      usage: chunks.at(-1)?.usage,
    };
  }

  const setAlwaysUse = (tenant: Tenant, id: string | undefined, alwaysUse: boolean) =>
    call(sut.url, 'PATCH', `/api/provider-keys/${String(id)}`, { token: tenant.session, body: { alwaysUse } });

  beforeAll(async () => {
    bedrock = await FakeBedrock.start({ accessKeys: [TENANT_ACCESS_KEY, PLATFORM_ACCESS_KEY], apiKeys: [TENANT_API_KEY] });
    tokens = await FakeGoogleToken.start();
    vertex = await FakeVertex.start({ tokens });
    openrouter = await FakeOpenRouter.start();
    platformSa = tokens.createServiceAccount({ projectId: 'gateway-platform', name: 'platform' });
    sut = await startTestApp({
      worker: true,
      env: {
        BEDROCK_ENDPOINT_URL: bedrock.url,
        BEDROCK_PLATFORM_CREDENTIALS: JSON.stringify({ ...PLATFORM_ACCESS_KEY, region: 'us-east-1' }),
        VERTEX_API_ENDPOINT: vertex.url,
        VERTEX_PLATFORM_SERVICE_ACCOUNT: JSON.stringify(platformSa.json),
        OPENROUTER_BASE_URL: openrouter.baseUrl,
        OPENROUTER_API_KEY: 'platform-or-key',
        ALLOW_PRIVATE_UPSTREAMS: 'true',
        UPSTREAM_TIMEOUT_MS: '5000',
      },
    });
  });
  afterAll(async () => {
    await sut.close();
    await Promise.all([bedrock.close(), vertex.close(), tokens.close(), openrouter.close()]);
  });
  beforeEach(() => {
    bedrock.reset();
    vertex.reset();
    openrouter.reset();
  });

  describe('a tampered SigV4 signature', () => {
    let tenant: Tenant;
    beforeAll(async () => {
      // The access key id is known to Bedrock; the secret is not its secret, so every signature is wrong.
      tenant = await newTenant('tampered@example.com', [
        {
          provider: 'bedrock',
          secret: { ...TENANT_ACCESS_KEY, secretAccessKey: 'tampered/BedrockSecretAccessKey/00000000', region: 'us-east-1' },
        },
      ]);
    });

    it('is refused by Bedrock (403), recorded as auth, and retried on the platform key', async () => {
      const res = await chat(tenant.vaultKey, { model: `bedrock:${SONNET_ON_BEDROCK}` });
      expect(res.status).toBe(200);
      expect(res.body.choices[0].message.content).toBe('Echo: hello there');
      expect(res.body.usage).toEqual(expect.objectContaining({ is_byok: false, cost: expect.any(Number) }));
      expect(res.body.usage.cost).toBeGreaterThan(0);
      expect(bedrock.requests.map((r) => [r.auth, r.credential, r.authorized])).toEqual([
        ['sigv4', TENANT_ACCESS_KEY.accessKeyId, false],
        ['sigv4', PLATFORM_ACCESS_KEY.accessKeyId, true],
      ]);
      expect(await generation(tenant.vaultKey, res.body.id)).toEqual(
        expect.objectContaining({
          provider: 'bedrock',
          is_byok: false,
          fallback: true,
          status: 'ok',
          attempts: [
            { provider: 'bedrock', model: `bedrock:${SONNET_ON_BEDROCK}`, byok: true, outcome: 'auth', status: 403 },
            { provider: 'bedrock', model: `bedrock:${SONNET_ON_BEDROCK}`, byok: false, outcome: 'ok', status: 200 },
          ],
        }),
      );
      // The same before a stream: no byte had gone out, so the fallback is invisible to the client.
      const streamed = await streamChat(tenant.vaultKey, { model: `bedrock:${SONNET_ON_BEDROCK}` });
      expect(streamed).toEqual(expect.objectContaining({ status: 200, text: 'Echo: hello there', done: true, errors: [] }));
      expect(streamed.usage.is_byok).toBe(false);
      expect((await generation(tenant.vaultKey, streamed.id)).attempts.map((a: { outcome: string }) => a.outcome)).toEqual([
        'auth',
        'ok',
      ]);
    });

    it('goes back to the client when the key is set to always be used', async () => {
      await setAlwaysUse(tenant, tenant.providerKeyIds[0], true);
      try {
        const res = await chat(tenant.vaultKey, { model: `bedrock:${SONNET_ON_BEDROCK}` });
        expect(res.status).toBe(502);
        expect(res.body.error.code).toBe(502);
        expect(res.body.error.metadata.attempts).toEqual([
          { provider: 'bedrock', model: `bedrock:${SONNET_ON_BEDROCK}`, outcome: 'auth', status: 403 },
        ]);
        // AWS's signature errors can echo the canonical request; none of it reaches the client.
        expect(JSON.stringify(res.body)).not.toMatch(/signature we calculated|AKIA/);
        expect(bedrock.requests.map((r) => r.credential)).toEqual([TENANT_ACCESS_KEY.accessKeyId]);
      } finally {
        await setAlwaysUse(tenant, tenant.providerKeyIds[0], false);
      }
    });
  });

  describe('a forged service-account JWT and a revoked access token', () => {
    let forger: Tenant;
    let victim: TestServiceAccount;
    beforeAll(async () => {
      victim = tokens.createServiceAccount({ projectId: 'victim-project', name: 'victim' });
      // The victim's identity with a private key the token endpoint has never seen: the assertion's signature fails.
      const stranger = createTestServiceAccount({ tokenUri: tokens.tokenUri });
      forger = await newTenant('forger@example.com', [
        { provider: 'vertex', secret: { ...victim.json, private_key: stranger.privateKeyPem } },
      ]);
    });

    it('a forged JWT is refused by the token endpoint, recorded as auth, and retried on the platform account', async () => {
      const res = await chat(forger.vaultKey, { model: 'google/gemini-2.5-flash', provider: { only: ['vertex'] } });
      expect(res.status).toBe(200);
      expect(res.body.choices[0].message.content).toBe('Echo: hello there');
      expect(res.body.usage.is_byok).toBe(false);
      expect(res.body.usage.cost).toBeGreaterThan(0);
      const grants = tokens.requests.filter((r) => r.claims?.['iss'] === victim.clientEmail);
      expect(grants.map((r) => r.outcome)).toEqual(['invalid_grant']);
      // No forged token reached Vertex: only the platform account's.
      expect(vertex.requests.map((r) => r.clientEmail)).toEqual([platformSa.clientEmail]);
      expect(await generation(forger.vaultKey, res.body.id)).toEqual(
        expect.objectContaining({
          provider: 'vertex',
          is_byok: false,
          fallback: true,
          // Google refuses a bad assertion with 400 invalid_grant at the token endpoint (no Vertex call is made).
          attempts: [
            { provider: 'vertex', model: 'google/gemini-2.5-flash', byok: true, outcome: 'auth', status: 400 },
            { provider: 'vertex', model: 'google/gemini-2.5-flash', byok: false, outcome: 'ok', status: 200 },
          ],
        }),
      );
    });

    it('a forged JWT goes back to the client when the key is set to always be used', async () => {
      await setAlwaysUse(forger, forger.providerKeyIds[0], true);
      try {
        const res = await chat(forger.vaultKey, { model: `vertex:${SONNET_ON_VERTEX}` });
        expect(res.status).toBe(502);
        expect(res.body.error.metadata.attempts).toEqual([
          { provider: 'vertex', model: `vertex:${SONNET_ON_VERTEX}`, outcome: 'auth', status: 400 },
        ]);
        expect(vertex.requests).toHaveLength(0);
      } finally {
        await setAlwaysUse(forger, forger.providerKeyIds[0], false);
      }
    });

    it('a revoked token is refused by Vertex (401), recorded as auth, retried on the platform account, then renewed', async () => {
      const sa = tokens.createServiceAccount({ projectId: 'revoked-project', name: 'revoked' });
      const tenant = await newTenant('revoked@example.com', [{ provider: 'vertex', secret: sa.json }]);
      const model = `vertex:${SONNET_ON_VERTEX}`;
      const grants = () => tokens.requests.filter((r) => r.claims?.['iss'] === sa.clientEmail && r.outcome === 'issued');

      const first = await chat(tenant.vaultKey, { model });
      expect(first.status).toBe(200);
      expect(first.body.usage.is_byok).toBe(true);
      const token = vertex.requests[0]?.credential;
      if (typeof token !== 'string') throw new Error('expected a bearer token at Vertex');
      tokens.revoke(token);

      const refused = await chat(tenant.vaultKey, { model });
      expect(refused.status).toBe(200);
      expect(refused.body.usage.is_byok).toBe(false);
      expect(vertex.requests.slice(1).map((r) => [r.credential === token, r.clientEmail])).toEqual([
        [true, null],
        [false, platformSa.clientEmail],
      ]);
      expect((await generation(tenant.vaultKey, refused.body.id)).attempts).toEqual([
        { provider: 'vertex', model, byok: true, outcome: 'auth', status: 401 },
        { provider: 'vertex', model, byok: false, outcome: 'ok', status: 200 },
      ]);

      // The refused token was dropped from the cache: the next request fetches a new one and runs on the tenant's key.
      const renewed = await chat(tenant.vaultKey, { model });
      expect(renewed.status).toBe(200);
      expect(renewed.body.usage.is_byok).toBe(true);
      expect(grants()).toHaveLength(2);
      expect(vertex.requests.at(-1)).toEqual(expect.objectContaining({ clientEmail: sa.clientEmail }));
      expect(vertex.requests.at(-1)?.credential).not.toBe(token);
    });
  });

  describe('throttling falls back from the tenant key to the platform key as OpenRouter’s 429 does', () => {
    let tenant: Tenant;
    let sa: TestServiceAccount;
    beforeAll(async () => {
      sa = tokens.createServiceAccount({ projectId: 'throttled-project', name: 'throttled' });
      tenant = await newTenant('throttled@example.com', [
        { provider: 'openrouter', secret: 'tenant-or-key' },
        { provider: 'bedrock', secret: TENANT_API_KEY },
        { provider: 'vertex', secret: sa.json },
      ]);
    });

    interface Throttle {
      provider: string;
      model: string;
      throttle: () => void;
      /** Who each upstream call was made with, in order. */
      seen: () => (string | null)[];
      tenantId: () => string;
      platformId: () => string;
    }
    const throttles: [string, Throttle][] = [
      [
        'OpenRouter 429',
        {
          provider: 'openrouter',
          model: 'openrouter:openai/gpt-4o-mini',
          throttle: () => openrouter.script('tenant-or-key', { kind: 'status', status: 429, headers: { 'retry-after': '3' } }),
          seen: () => openrouter.requests.map((r) => r.credential),
          tenantId: () => 'tenant-or-key',
          platformId: () => 'platform-or-key',
        },
      ],
      [
        'Bedrock ThrottlingException',
        {
          provider: 'bedrock',
          model: `bedrock:${SONNET_ON_BEDROCK}`,
          throttle: () => bedrock.script(TENANT_API_KEY, { kind: 'status', status: 429 }),
          seen: () => bedrock.requests.map((r) => r.credential),
          tenantId: () => TENANT_API_KEY,
          platformId: () => PLATFORM_ACCESS_KEY.accessKeyId,
        },
      ],
      [
        'Vertex Gemini RESOURCE_EXHAUSTED',
        {
          provider: 'vertex',
          model: 'vertex:gemini-2.5-flash',
          throttle: () => vertex.script(sa.clientEmail, { kind: 'status', status: 429 }),
          seen: () => vertex.requests.map((r) => r.clientEmail),
          tenantId: () => sa.clientEmail,
          platformId: () => platformSa.clientEmail,
        },
      ],
      [
        'Vertex Claude RESOURCE_EXHAUSTED',
        {
          provider: 'vertex',
          model: `vertex:${SONNET_ON_VERTEX}`,
          throttle: () => vertex.script(sa.clientEmail, { kind: 'status', status: 429 }),
          seen: () => vertex.requests.map((r) => r.clientEmail),
          tenantId: () => sa.clientEmail,
          platformId: () => platformSa.clientEmail,
        },
      ],
    ];

    it.each(throttles)('%s: byok rate_limited 429, then platform ok, whole and streamed', async (_name, t) => {
      const trail = [
        { provider: t.provider, model: t.model, byok: true, outcome: 'rate_limited', status: 429 },
        { provider: t.provider, model: t.model, byok: false, outcome: 'ok', status: 200 },
      ];
      t.throttle();
      const res = await chat(tenant.vaultKey, { model: t.model });
      expect(res.status).toBe(200);
      expect(res.body.usage.is_byok).toBe(false);
      expect(res.body.usage.cost).toBeGreaterThan(0);
      expect(await generation(tenant.vaultKey, res.body.id)).toEqual(
        expect.objectContaining({ provider: t.provider, is_byok: false, fallback: true, status: 'ok', attempts: trail }),
      );

      t.throttle();
      const streamed = await streamChat(tenant.vaultKey, { model: t.model });
      expect(streamed).toEqual(expect.objectContaining({ status: 200, done: true, errors: [] }));
      expect(streamed.text).toMatch(/^Echo: /);
      expect(streamed.usage.is_byok).toBe(false);
      expect((await generation(tenant.vaultKey, streamed.id)).attempts).toEqual(trail);
      expect(t.seen()).toEqual([t.tenantId(), t.platformId(), t.tenantId(), t.platformId()]);
    });

    it.each(throttles.filter(([name]) => !name.startsWith('OpenRouter')))(
      '%s backend answering 200 with something that is not a completion: recorded as server, served on the platform key',
      async (_name, t) => {
        const tenantKey = t.provider === 'bedrock' ? TENANT_API_KEY : sa.clientEmail;
        const script = (body: unknown) =>
          t.provider === 'bedrock'
            ? bedrock.script(tenantKey, { kind: 'status', status: 200, body })
            : vertex.script(tenantKey, { kind: 'status', status: 200, body });
        for (const body of ['<html>gateway error</html>', {}, [{ error: { code: 500 } }], { type: 'error', error: {} }]) {
          script(body);
          const res = await chat(tenant.vaultKey, { model: t.model });
          expect({ body, status: res.status, byok: res.body.usage?.is_byok }).toEqual({ body, status: 200, byok: false });
          expect((await generation(tenant.vaultKey, res.body.id)).attempts).toEqual([
            { provider: t.provider, model: t.model, byok: true, outcome: 'server', status: 200 },
            { provider: t.provider, model: t.model, byok: false, outcome: 'ok', status: 200 },
          ]);
        }
      },
    );

    it('Bedrock throttlingException inside ConverseStream, before any event: the same trail; 429 when always used', async () => {
      const model = `bedrock:${SONNET_ON_BEDROCK}`;
      const throttle = () =>
        bedrock.script(TENANT_API_KEY, { kind: 'stream-exception', exception: 'throttlingException', afterEvents: 0 });
      throttle();
      const streamed = await streamChat(tenant.vaultKey, { model });
      expect(streamed).toEqual(expect.objectContaining({ status: 200, text: 'Echo: hello there', done: true, errors: [] }));
      expect(streamed.usage.is_byok).toBe(false);
      expect((await generation(tenant.vaultKey, streamed.id)).attempts).toEqual([
        { provider: 'bedrock', model, byok: true, outcome: 'rate_limited', status: 429 },
        { provider: 'bedrock', model, byok: false, outcome: 'ok', status: 200 },
      ]);
      const bedrockKeyId = tenant.providerKeyIds[1];
      await setAlwaysUse(tenant, bedrockKeyId, true);
      try {
        throttle();
        const response = await fetch(`${sut.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${tenant.vaultKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: 'x' }] }),
        });
        expect(response.status).toBe(429);
        expect(await response.json()).toEqual({
          error: expect.objectContaining({
            code: 429,
            metadata: expect.objectContaining({
              attempts: [{ provider: 'bedrock', model, outcome: 'rate_limited', status: 429 }],
            }),
          }),
        });
      } finally {
        await setAlwaysUse(tenant, bedrockKeyId, false);
      }
    });

    it('Bedrock throttlingException after messageStart but before any content still falls back (the role chunk is held back)', async () => {
      const model = `bedrock:${SONNET_ON_BEDROCK}`;
      bedrock.script(TENANT_API_KEY, { kind: 'stream-exception', exception: 'throttlingException', afterEvents: 1 });
      const streamed = await streamChat(tenant.vaultKey, { model });
      expect(streamed).toEqual(expect.objectContaining({ status: 200, text: 'Echo: hello there', done: true, errors: [] }));
      expect(streamed.usage.is_byok).toBe(false);
      expect((await generation(tenant.vaultKey, streamed.id)).attempts).toEqual([
        { provider: 'bedrock', model, byok: true, outcome: 'rate_limited', status: 429 },
        { provider: 'bedrock', model, byok: false, outcome: 'ok', status: 200 },
      ]);
    });
  });

  it('a client gone while the attempt is prepared (a slow token grant) is never sent upstream, streamed or not', async () => {
    for (const stream of [true, false]) {
      // An account of its own each time, so its token is not cached yet.
      const name = stream ? 'gone-streamed' : 'gone-whole';
      const sa = tokens.createServiceAccount({ projectId: 'gone-project', name });
      const tenant = await newTenant(`${name}@example.com`, [{ provider: 'vertex', secret: sa.json }]);
      tokens.script(sa.clientEmail, { kind: 'ok', delayMs: 400 });
      const controller = new AbortController();
      // A client of its own, destroyed with the test: no connection of it outlives the test.
      const client = new Agent();
      const pending = request(`${sut.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tenant.vaultKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'vertex:gemini-2.5-flash', stream, messages: [{ role: 'user', content: 'x' }] }),
        signal: controller.signal,
        dispatcher: client,
      }).catch((error: unknown) => error);
      // The grant is in flight (requested, not answered) when the client leaves.
      const granting = () => tokens.requests.some((r) => r.claims?.['iss'] === sa.clientEmail);
      const deadline = Date.now() + 5000;
      while (!granting() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
      expect(granting()).toBe(true);
      controller.abort();
      await pending;
      await client.destroy();
      // Past the grant's answer: the attempt went on without its client.
      await new Promise((resolve) => setTimeout(resolve, 700));
      expect({ stream, calls: vertex.requests.filter((r) => r.clientEmail === sa.clientEmail).length }).toEqual({
        stream,
        calls: 0,
      });
    }
  });

  it('100 concurrent Vertex requests with a cold token cache make one token request for the service account', async () => {
    const sa = tokens.createServiceAccount({ projectId: 'busy-project', name: 'busy' });
    const tenant = await newTenant('busy@example.com', [{ provider: 'vertex', secret: sa.json }]);
    // A slow grant keeps the exchange in flight while the other 99 requests arrive.
    tokens.script(sa.clientEmail, { kind: 'ok', delayMs: 300 });
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        chat(tenant.vaultKey, {
          model: 'vertex:gemini-2.5-flash',
          messages: [{ role: 'user', content: `request ${String(i)}` }],
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array.from({ length: 100 }, () => 200));
    expect(results.every((r) => r.body.usage.is_byok === true)).toBe(true);
    expect(new Set(results.map((r) => r.body.choices[0].message.content)).size).toBe(100);
    expect(tokens.requests.filter((r) => r.claims?.['iss'] === sa.clientEmail)).toHaveLength(1);
    const calls = vertex.requests.filter((r) => r.clientEmail === sa.clientEmail);
    expect(calls).toHaveLength(100);
    expect(new Set(calls.map((r) => r.credential)).size).toBe(1);
  });
});
