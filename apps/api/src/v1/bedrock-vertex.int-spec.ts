import OpenAI from 'openai';
import {
  FakeBedrock,
  type FakeBedrockAccessKey,
  FakeGoogleToken,
  FakeOpenRouter,
  FakeVertex,
  type TestServiceAccount,
} from '@gw/testing';
import { call, startTestApp, type TestApp } from '../testing/test-app';

const password = 'a-long-enough-secret-9';

const TENANT_API_KEY = 'ABSKdGVuYW50LWJlZHJvY2stYXBpLWtleS0wMDAx';
const PLATFORM_API_KEY = 'ABSKcGxhdGZvcm0tYmVkcm9jay1hcGkta2V5LTAx';
const TENANT_ACCESS_KEY: FakeBedrockAccessKey = {
  accessKeyId: 'AKIATENANTBEDROCK001',
  secretAccessKey: 'tenant/BedrockSecretAccessKey/0000000001',
};
const PLATFORM_ACCESS_KEY: FakeBedrockAccessKey = {
  accessKeyId: 'AKIAPLATFORMBEDROCK1',
  secretAccessKey: 'platform/BedrockSecretAccessKey/00000001',
};

const SONNET_ON_BEDROCK = 'anthropic.claude-sonnet-4-20250514-v1:0';
const NOVA_ON_BEDROCK = 'amazon.nova-pro-v1:0';
const SONNET_ON_VERTEX = 'claude-sonnet-4@20250514';

const WEATHER_TOOL: OpenAI.ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'The current weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

/** The usage fields the gateway adds to OpenAI's (SPEC section 5). */
interface GatewayUsage extends OpenAI.CompletionUsage {
  cost: number;
  is_byok: boolean;
  cost_details: { upstream_inference_cost: number };
}

interface Tenant {
  session: string;
  vaultKey: string;
  creditsKey: string;
  providerKeyIds: string[];
}

type Mode = 'byok' | 'platform';

/** Where one case runs: the app, the gateway key, and who the upstream should see. */
interface Route {
  url: string;
  key: string;
  who: string;
}

/** One upstream model call as a fake saw it. */
interface UpstreamCall {
  /** Bedrock: the access key id or API key (verified); Vertex: the service account of the (valid) token. */
  who: string | null;
  stream: boolean;
  body: unknown;
}

interface Case {
  name: string;
  /** As the client names it: a catalogue id (with provider.only) or a forced `bedrock:` / `vertex:` name. */
  model: string;
  extra: Record<string, unknown>;
  calls: () => UpstreamCall[];
  /** The tool result reached the backend in its own shape, tied to the call. */
  carriesToolResult: (body: unknown, callId: string) => boolean;
  route: Record<Mode, () => Route>;
}

/** Bedrock, Vertex Gemini and Vertex Claude through the gateway with the official SDK (Bedrock/Vertex acceptance). */
describe('Bedrock and Vertex end to end through the gateway', () => {
  let bedrock: FakeBedrock;
  let tokens: FakeGoogleToken;
  let vertex: FakeVertex;
  let openrouter: FakeOpenRouter;
  let platformSa: TestServiceAccount;
  let tenantSa: TestServiceAccount;
  /** Platform Bedrock credentials are AWS access keys (SigV4). */
  let sut: TestApp;
  /** A second instance on the same database whose platform Bedrock credential is an API key. */
  let apiKeyApp: TestApp;
  /** Bedrock API key and Vertex service account. */
  let alice: Tenant;
  /** Bedrock AWS access keys. */
  let bob: Tenant;

  async function newTenant(email: string, keys: { provider: string; secret: unknown }[]): Promise<Tenant> {
    const signup = await call(sut.url, 'POST', '/api/auth/signup', { body: { email, password } });
    expect(signup.status).toBe(201);
    const session: string = signup.body.token;
    const vault = await call(sut.url, 'POST', '/api/keys', {
      token: session,
      body: { name: 'vault', vaultAccess: { recoveryKey: signup.body.recoveryKey } },
    });
    const credits = await call(sut.url, 'POST', '/api/keys', { token: session, body: { name: 'credits' } });
    const providerKeyIds: string[] = [];
    for (const key of keys) {
      const created = await call(sut.url, 'POST', '/api/provider-keys', { token: session, body: key });
      expect({ provider: key.provider, status: created.status }).toEqual({ provider: key.provider, status: 201 });
      providerKeyIds.push(created.body.id);
    }
    return { session, vaultKey: vault.body.key, creditsKey: credits.body.key, providerKeyIds };
  }

  beforeAll(async () => {
    bedrock = await FakeBedrock.start({
      accessKeys: [TENANT_ACCESS_KEY, PLATFORM_ACCESS_KEY],
      apiKeys: [TENANT_API_KEY, PLATFORM_API_KEY],
    });
    tokens = await FakeGoogleToken.start();
    vertex = await FakeVertex.start({ tokens });
    openrouter = await FakeOpenRouter.start();
    platformSa = tokens.createServiceAccount({ projectId: 'gateway-platform', name: 'platform' });
    tenantSa = tokens.createServiceAccount({ projectId: 'alice-project', name: 'alice', region: 'us-east5' });
    const env = {
      BEDROCK_ENDPOINT_URL: bedrock.url,
      BEDROCK_PLATFORM_CREDENTIALS: JSON.stringify({ ...PLATFORM_ACCESS_KEY, region: 'us-west-2' }),
      VERTEX_API_ENDPOINT: vertex.url,
      VERTEX_PLATFORM_SERVICE_ACCOUNT: JSON.stringify(platformSa.json),
      OPENROUTER_BASE_URL: openrouter.baseUrl,
      OPENROUTER_API_KEY: 'platform-or-key',
      // Tenant service accounts name the token fake on loopback.
      ALLOW_PRIVATE_UPSTREAMS: 'true',
      UPSTREAM_TIMEOUT_MS: '5000',
    };
    sut = await startTestApp({ worker: true, env });
    apiKeyApp = await startTestApp({ shareWith: sut, env: { ...env, BEDROCK_PLATFORM_CREDENTIALS: PLATFORM_API_KEY } });
    alice = await newTenant('alice@example.com', [
      { provider: 'bedrock', secret: TENANT_API_KEY },
      { provider: 'vertex', secret: tenantSa.json },
    ]);
    bob = await newTenant('bob@example.com', [{ provider: 'bedrock', secret: { ...TENANT_ACCESS_KEY, region: 'eu-central-1' } }]);
  });
  afterAll(async () => {
    await apiKeyApp.close();
    await sut.close();
    await Promise.all([bedrock.close(), vertex.close(), tokens.close(), openrouter.close()]);
  });
  beforeEach(() => {
    bedrock.reset();
    vertex.reset();
    openrouter.reset();
  });

  const bedrockCalls = (): UpstreamCall[] =>
    bedrock.requests.map((r) => ({
      who: r.authorized ? r.credential : null,
      stream: r.operation === 'converse-stream',
      body: r.body,
    }));
  const vertexCalls = (): UpstreamCall[] => vertex.requests.map((r) => ({ who: r.clientEmail, stream: r.stream, body: r.body }));
  /** The messages of a Converse or Claude body, or the contents of a Gemini one. */
  const turns = (body: unknown): unknown[] => {
    const record = body as { messages?: unknown[]; contents?: unknown[] } | null;
    return record?.messages ?? record?.contents ?? [];
  };

  const cases: Case[] = [
    {
      name: 'Bedrock with an API key',
      model: 'anthropic/claude-sonnet-4',
      // OpenRouter's name for the backend is accepted too (SPEC section 7).
      extra: { provider: { only: ['amazon-bedrock'] } },
      calls: bedrockCalls,
      carriesToolResult: (body, callId) =>
        JSON.stringify(turns(body).at(-1)).includes(`"toolResult":{"toolUseId":"${callId}"`) &&
        JSON.stringify(turns(body).at(-2)).includes(`"toolUse":{"toolUseId":"${callId}"`),
      route: {
        byok: () => ({ url: sut.url, key: alice.vaultKey, who: TENANT_API_KEY }),
        platform: () => ({ url: apiKeyApp.url, key: alice.creditsKey, who: PLATFORM_API_KEY }),
      },
    },
    {
      name: 'Bedrock with SigV4 credentials',
      model: `bedrock:${NOVA_ON_BEDROCK}`,
      extra: {},
      calls: bedrockCalls,
      carriesToolResult: (body, callId) => JSON.stringify(turns(body).at(-1)).includes(`"toolResult":{"toolUseId":"${callId}"`),
      route: {
        byok: () => ({ url: sut.url, key: bob.vaultKey, who: TENANT_ACCESS_KEY.accessKeyId }),
        platform: () => ({ url: sut.url, key: bob.creditsKey, who: PLATFORM_ACCESS_KEY.accessKeyId }),
      },
    },
    {
      name: 'Vertex Gemini',
      model: 'google/gemini-2.5-flash',
      extra: { provider: { only: ['vertex'] } },
      calls: vertexCalls,
      // Gemini's calls carry no id: the gateway matches the result to the call's name.
      carriesToolResult: (body) =>
        JSON.stringify(turns(body).at(-1)).includes('"functionResponse":{"name":"get_weather"') &&
        JSON.stringify(turns(body).at(-2)).includes('"functionCall":{"name":"get_weather"'),
      route: {
        byok: () => ({ url: sut.url, key: alice.vaultKey, who: tenantSa.clientEmail }),
        platform: () => ({ url: sut.url, key: alice.creditsKey, who: platformSa.clientEmail }),
      },
    },
    {
      name: 'Vertex Claude',
      model: `vertex:${SONNET_ON_VERTEX}`,
      extra: {},
      calls: vertexCalls,
      carriesToolResult: (body, callId) =>
        JSON.stringify(turns(body).at(-1)).includes(`"tool_use_id":"${callId}"`) &&
        JSON.stringify(turns(body).at(-2)).includes(`"id":"${callId}"`),
      route: {
        byok: () => ({ url: sut.url, key: alice.vaultKey, who: tenantSa.clientEmail }),
        platform: () => ({ url: sut.url, key: alice.creditsKey, who: platformSa.clientEmail }),
      },
    },
  ];
  const matrix = cases.flatMap((c) => (['byok', 'platform'] as const).map((mode) => [c.name, mode, c] as const));

  const sdk = (route: Route) => new OpenAI({ baseURL: `${route.url}/v1`, apiKey: route.key, maxRetries: 0 });
  const whole = (route: Route, c: Case, body: Omit<OpenAI.ChatCompletionCreateParamsNonStreaming, 'model'>) =>
    sdk(route).chat.completions.create({ model: c.model, ...c.extra, ...body });
  const streamed = async (route: Route, c: Case, body: Omit<OpenAI.ChatCompletionCreateParamsStreaming, 'model' | 'stream'>) => {
    const stream = await sdk(route).chat.completions.create({
      model: c.model,
      ...c.extra,
      ...body,
      stream: true,
    } as OpenAI.ChatCompletionCreateParamsStreaming);
    return collect(stream);
  };

  /** Exact token counts from the fakes (4 characters a token), and who paid. */
  function expectUsage(usage: OpenAI.CompletionUsage | undefined | null, mode: Mode, tokens: [number, number]): void {
    const seen = usage as GatewayUsage | undefined | null;
    expect(seen).toEqual(
      expect.objectContaining({
        prompt_tokens: tokens[0],
        completion_tokens: tokens[1],
        total_tokens: tokens[0] + tokens[1],
        is_byok: mode === 'byok',
      }),
    );
    expect(seen?.cost_details.upstream_inference_cost).toBeGreaterThan(0);
    if (mode === 'platform') expect(seen?.cost).toBeGreaterThan(0);
  }

  describe.each(matrix)('%s (%s)', (_name, mode, c) => {
    it('answers with the content, finish reason and usage', async () => {
      const route = c.route[mode]();
      const res = await whole(route, c, {
        messages: [{ role: 'user', content: 'hello from the sdk' }],
        max_completion_tokens: 64,
      });
      expect(res.id).toMatch(/^gen-/);
      expect(res.model).toBe(c.model);
      expect(res.choices).toHaveLength(1);
      expect(res.choices[0]?.message).toEqual(
        expect.objectContaining({ role: 'assistant', content: 'Echo: hello from the sdk' }),
      );
      expect(res.choices[0]?.finish_reason).toBe('stop');
      // 18 prompt characters, 24 answer characters.
      expectUsage(res.usage, mode, [5, 6]);
      expect(c.calls().map((x) => [x.who, x.stream])).toEqual([[route.who, false]]);
    });

    it('streams the same answer, finish reason and usage on the last chunk', async () => {
      const route = c.route[mode]();
      const res = await streamed(route, c, { messages: [{ role: 'user', content: 'stream me a sentence please' }] });
      expect(res.text).toBe('Echo: stream me a sentence please');
      expect(res.chunks).toBeGreaterThan(2);
      expect(res.finish).toBe('stop');
      expect(res.ids).toEqual([expect.stringMatching(/^gen-/)]);
      expect(res.models).toEqual([c.model]);
      expectUsage(res.last?.usage, mode, [7, 9]);
      expect(c.calls().map((x) => [x.who, x.stream])).toEqual([[route.who, true]]);
    });

    it('runs a tool call round trip, whole and streamed', async () => {
      const route = c.route[mode]();
      const question: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'What is the weather in Paris?' }];
      const result = '{"temperature_c":21,"sky":"clear"}';

      const asked = await whole(route, c, { messages: question, tools: [WEATHER_TOOL] });
      const choice = asked.choices[0];
      expect(choice?.finish_reason).toBe('tool_calls');
      const toolCall = choice?.message.tool_calls?.[0];
      expect(toolCall).toEqual(
        expect.objectContaining({
          id: expect.any(String),
          type: 'function',
          function: expect.objectContaining({ name: 'get_weather' }),
        }),
      );
      if (toolCall?.type !== 'function' || !choice) throw new Error('expected a function tool call');
      expect(JSON.parse(toolCall.function.arguments)).toEqual({ city: 'Paris' });
      // 29 prompt characters; the call is 27 (name and arguments).
      expectUsage(asked.usage, mode, [8, 7]);
      // The assistant message goes back as the SDK returned it, as OpenAI's docs show.
      const answered = await whole(route, c, {
        messages: [...question, choice.message, { role: 'tool', tool_call_id: toolCall.id, content: result }],
        tools: [WEATHER_TOOL],
      });
      expect(answered.choices[0]?.finish_reason).toBe('stop');
      expect(answered.choices[0]?.message.tool_calls ?? []).toEqual([]);
      // The fakes answer a returned tool result with text (the echo of the question).
      expect(answered.choices[0]?.message.content).toBe('Echo: What is the weather in Paris?');
      expectUsage(answered.usage, mode, [8, 9]);
      expect(c.carriesToolResult(c.calls()[1]?.body, toolCall.id)).toBe(true);

      const streamedAsk = await streamed(route, c, { messages: question, tools: [WEATHER_TOOL] });
      expect(streamedAsk.finish).toBe('tool_calls');
      expect(streamedAsk.toolCalls).toHaveLength(1);
      const streamedCall = streamedAsk.toolCalls[0];
      if (!streamedCall) throw new Error('expected a streamed tool call');
      expect(streamedCall.name).toBe('get_weather');
      expect(JSON.parse(streamedCall.arguments)).toEqual({ city: 'Paris' });
      expectUsage(streamedAsk.last?.usage, mode, [8, 7]);
      const streamedAnswer = await streamed(route, c, {
        messages: [
          ...question,
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              { id: streamedCall.id, type: 'function', function: { name: streamedCall.name, arguments: streamedCall.arguments } },
            ],
          },
          { role: 'tool', tool_call_id: streamedCall.id, content: result },
        ],
        tools: [WEATHER_TOOL],
      });
      expect(streamedAnswer.finish).toBe('stop');
      expect(streamedAnswer.toolCalls).toEqual([]);
      expect(streamedAnswer.text).toBe('Echo: What is the weather in Paris?');
      expectUsage(streamedAnswer.last?.usage, mode, [8, 9]);
      expect(c.carriesToolResult(c.calls()[3]?.body, streamedCall.id)).toBe(true);
      expect(c.calls().map((x) => [x.who, x.stream])).toEqual([
        [route.who, false],
        [route.who, false],
        [route.who, true],
        [route.who, true],
      ]);
    });
  });

  describe('parameters a backend cannot honour', () => {
    async function generation(key: string, id: string) {
      await sut.drainGenerations();
      const res = await call(sut.url, 'GET', `/v1/generation?id=${id}`, { token: key });
      expect(res.status).toBe(200);
      return res.body.data;
    }

    it('are left out of the Bedrock request and recorded on the attempt', async () => {
      const res = await call(sut.url, 'POST', '/v1/chat/completions', {
        token: bob.creditsKey,
        body: {
          model: `bedrock:${SONNET_ON_BEDROCK}`,
          messages: [{ role: 'user', content: 'hi' }],
          temperature: 0.3,
          top_k: 40,
          seed: 7,
          frequency_penalty: 0.5,
        },
      });
      expect(res.status).toBe(200);
      const sent = bedrock.requests[0]?.body;
      expect(sent).toEqual(
        expect.objectContaining({ inferenceConfig: { temperature: 0.3 }, additionalModelRequestFields: { top_k: 40 } }),
      );
      expect(JSON.stringify(sent)).not.toMatch(/seed|penalty/);
      const data = await generation(bob.creditsKey, res.body.id);
      expect(data.attempts).toEqual([
        {
          provider: 'bedrock',
          model: `bedrock:${SONNET_ON_BEDROCK}`,
          byok: false,
          outcome: 'ok',
          status: 200,
          dropped: ['frequency_penalty', 'seed'],
        },
      ]);
    });

    it('are left out of the Gemini and Claude requests and recorded on the attempt', async () => {
      const gemini = await call(sut.url, 'POST', '/v1/chat/completions', {
        token: alice.vaultKey,
        body: {
          model: 'google/gemini-2.5-flash',
          provider: { only: ['google-vertex'] },
          messages: [{ role: 'user', content: 'hi' }],
          seed: 3,
          min_p: 0.1,
          logit_bias: { '42': 1 },
        },
      });
      expect(gemini.status).toBe(200);
      const claude = await call(sut.url, 'POST', '/v1/chat/completions', {
        token: alice.creditsKey,
        body: {
          model: `vertex:${SONNET_ON_VERTEX}`,
          messages: [{ role: 'user', content: 'hi' }],
          top_k: 5,
          seed: 3,
          presence_penalty: 0.2,
        },
      });
      expect(claude.status).toBe(200);
      const [geminiBody, claudeBody] = vertex.requests.map((r) => r.body as Record<string, unknown>);
      expect(geminiBody?.['generationConfig']).toEqual(expect.objectContaining({ seed: 3 }));
      expect(JSON.stringify(geminiBody)).not.toMatch(/min_?p|minP|logit|logitBias/i);
      expect(claudeBody).toEqual(expect.objectContaining({ top_k: 5 }));
      expect(JSON.stringify(claudeBody)).not.toMatch(/seed|penalty/);
      expect((await generation(alice.vaultKey, gemini.body.id)).attempts).toEqual([
        expect.objectContaining({ provider: 'vertex', byok: true, outcome: 'ok', dropped: ['min_p', 'logit_bias'] }),
      ]);
      expect((await generation(alice.creditsKey, claude.body.id)).attempts).toEqual([
        expect.objectContaining({ provider: 'vertex', byok: false, outcome: 'ok', dropped: ['presence_penalty', 'seed'] }),
      ]);
    });

    it('records nothing when every parameter is honoured', async () => {
      const res = await call(sut.url, 'POST', '/v1/chat/completions', {
        token: bob.creditsKey,
        body: { model: `bedrock:${NOVA_ON_BEDROCK}`, messages: [{ role: 'user', content: 'hi' }], temperature: 0.1, stop: ['x'] },
      });
      expect(res.status).toBe(200);
      const [attempt] = (await generation(bob.creditsKey, res.body.id)).attempts;
      expect(attempt).toEqual({
        provider: 'bedrock',
        model: `bedrock:${NOVA_ON_BEDROCK}`,
        byok: false,
        outcome: 'ok',
        status: 200,
      });
    });

    it('with require_parameters: 400 naming the parameters when no allowed backend honours them all, nothing sent upstream', async () => {
      const res = await call(sut.url, 'POST', '/v1/chat/completions', {
        token: alice.creditsKey,
        body: {
          model: 'anthropic/claude-sonnet-4',
          messages: [{ role: 'user', content: 'hi' }],
          seed: 1,
          provider: { only: ['bedrock', 'vertex'], require_parameters: true },
        },
      });
      // The request asks for what no allowed backend can do: the caller's to change (a 400 naming the field).
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe(400);
      expect(res.body.error.metadata.field).toBe('provider.require_parameters');
      expect(res.body.error.message).toContain('supports all of: seed');
      expect(bedrock.requests).toHaveLength(0);
      expect(vertex.requests).toHaveLength(0);
      expect(openrouter.requests).toHaveLength(0);
      const forced = await call(sut.url, 'POST', '/v1/chat/completions', {
        token: bob.creditsKey,
        body: {
          model: `bedrock:${NOVA_ON_BEDROCK}`,
          messages: [{ role: 'user', content: 'hi' }],
          top_k: 10,
          provider: { require_parameters: true },
        },
      });
      expect(forced.status).toBe(400);
      expect(bedrock.requests).toHaveLength(0);
    });

    it('with require_parameters: routed past the backends that would drop them', async () => {
      const order = ['bedrock', 'vertex', 'openrouter'];
      const seeded = await call(sut.url, 'POST', '/v1/chat/completions', {
        token: alice.creditsKey,
        body: {
          model: 'anthropic/claude-sonnet-4',
          messages: [{ role: 'user', content: 'hi' }],
          seed: 1,
          provider: { order, require_parameters: true },
        },
      });
      expect(seeded.status).toBe(200);
      expect(bedrock.requests).toHaveLength(0);
      expect(vertex.requests).toHaveLength(0);
      expect(openrouter.requests.map((r) => (r.body as { seed?: number }).seed)).toEqual([1]);
      expect(await generation(alice.creditsKey, seeded.body.id)).toEqual(
        expect.objectContaining({
          provider: 'openrouter',
          attempts: [expect.objectContaining({ provider: 'openrouter', outcome: 'ok' })],
        }),
      );
      // top_k reaches Claude on Bedrock, so Bedrock keeps its place.
      const topK = await call(sut.url, 'POST', '/v1/chat/completions', {
        token: alice.creditsKey,
        body: {
          model: 'anthropic/claude-sonnet-4',
          messages: [{ role: 'user', content: 'hi' }],
          top_k: 20,
          provider: { order, require_parameters: true },
        },
      });
      expect(topK.status).toBe(200);
      expect(bedrock.requests.map((r) => r.modelId)).toEqual([SONNET_ON_BEDROCK]);
      // Without require_parameters the first backend serves and records what it dropped.
      const lax = await call(sut.url, 'POST', '/v1/chat/completions', {
        token: alice.creditsKey,
        body: { model: 'anthropic/claude-sonnet-4', messages: [{ role: 'user', content: 'hi' }], seed: 1, provider: { order } },
      });
      expect(lax.status).toBe(200);
      expect(bedrock.requests).toHaveLength(2);
      expect((await generation(alice.creditsKey, lax.body.id)).attempts).toEqual([
        expect.objectContaining({ provider: 'bedrock', outcome: 'ok', dropped: ['seed'] }),
      ]);
    });
  });
});

interface StreamedToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** Reads a stream as a client does: text, tool calls joined from their deltas, the finish reason, the last chunk. */
async function collect(stream: AsyncIterable<OpenAI.ChatCompletionChunk>) {
  let text = '';
  let finish: string | null = null;
  let last: OpenAI.ChatCompletionChunk | undefined;
  let chunks = 0;
  const ids = new Set<string>();
  const models = new Set<string>();
  const toolCalls: StreamedToolCall[] = [];
  for await (const chunk of stream) {
    chunks += 1;
    last = chunk;
    ids.add(chunk.id);
    models.add(chunk.model);
    const choice = chunk.choices[0];
    text += choice?.delta.content ?? '';
    finish = choice?.finish_reason ?? finish;
    for (const delta of choice?.delta.tool_calls ?? []) {
      const current = (toolCalls[delta.index] ??= { id: '', name: '', arguments: '' });
      current.id += delta.id ?? '';
      current.name += delta.function?.name ?? '';
      current.arguments += delta.function?.arguments ?? '';
    }
  }
  return { text, finish, last, chunks, ids: [...ids], models: [...models], toolCalls };
}
