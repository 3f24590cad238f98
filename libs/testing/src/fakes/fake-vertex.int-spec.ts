import { generateKeyPairSync } from 'node:crypto';
import { AnthropicVertex } from '@anthropic-ai/vertex-sdk';
import { ApiError, GoogleGenAI, type GenerateContentResponse } from '@google/genai';
import { chatRequestBody } from '@gw/contracts';
import {
  type AttemptContext,
  classifyTransportError,
  serviceAccountAssertion,
  type StreamEvent,
  transportTokenHttp,
  UpstreamTransport,
  VertexAdapter,
  type VertexCredential,
  vertexCredentialFromSecret,
  VertexTokenProvider,
} from '@gw/providers';
import { OAuth2Client } from 'google-auth-library';
import { FakeGoogleToken } from './fake-google-token';
import { FakeVertex } from './fake-vertex';
import type { TestServiceAccount } from './test-service-account';

const REGION = 'us-central1';

/** An auth client holding a ready access token: the SDKs then skip their own (Google-only) token exchange. */
function presetAuth(accessToken: string): OAuth2Client {
  const client = new OAuth2Client();
  client.setCredentials({ access_token: accessToken, expiry_date: Date.now() + 3_600_000 });
  return client;
}

function transport(): UpstreamTransport {
  return new UpstreamTransport({
    firstByteTimeoutMs: 5000,
    idleTimeoutMs: 5000,
    connectTimeoutMs: 2000,
    maxResponseBytes: 1 << 20,
    allowPrivate: true,
  });
}

async function postForm(url: string, form: Record<string, string>): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  const body: unknown = await response.json();
  return { status: response.status, body };
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

const weatherTool = {
  name: 'get_weather',
  description: 'Current weather in a city',
};

describe('FakeGoogleToken', () => {
  let sut: FakeGoogleToken;
  let account: TestServiceAccount;
  let http: UpstreamTransport;

  beforeAll(async () => {
    sut = await FakeGoogleToken.start();
    account = sut.createServiceAccount({ projectId: 'fake-project' });
    http = transport();
  });
  afterEach(() => sut.reset());
  afterAll(async () => {
    await http.close();
    await sut.close();
  });

  function credential(sa: TestServiceAccount = account): VertexCredential {
    return vertexCredentialFromSecret(sa.json, { endpointUrl: null, trustedTokenUri: false });
  }

  const assertion = (overrides: Partial<Parameters<typeof serviceAccountAssertion>[0]> = {}) =>
    serviceAccountAssertion({
      clientEmail: account.clientEmail,
      privateKeyId: account.privateKeyId,
      privateKeyPem: account.privateKeyPem,
      audience: sut.tokenUri,
      issuedAt: Math.floor(Date.now() / 1000),
      ...overrides,
    });
  const grant = (jwt: string) =>
    postForm(sut.tokenUri, { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: jwt });

  it("issues a token for a grant from the gateway's token provider, after verifying the assertion", async () => {
    const provider = new VertexTokenProvider({ http: transportTokenHttp(http), allowPrivate: true });
    const token = await provider.accessToken(credential());
    expect(sut.lookup(token.reveal())).toMatchObject({ clientEmail: account.clientEmail, projectId: 'fake-project' });
    expect(sut.requests).toEqual([
      expect.objectContaining({
        method: 'POST',
        path: '/token',
        outcome: 'issued',
        grantType: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
        jwtHeader: { alg: 'RS256', typ: 'JWT', kid: account.privateKeyId },
        claims: expect.objectContaining({
          iss: account.clientEmail,
          aud: sut.tokenUri,
          scope: 'https://www.googleapis.com/auth/cloud-platform',
        }),
      }),
    ]);
  });

  it('makes exactly one token request for 100 concurrent callers with a cold cache', async () => {
    sut.script(account.clientEmail, { kind: 'ok', delayMs: 50 });
    const provider = new VertexTokenProvider({ http: transportTokenHttp(http), allowPrivate: true });
    const tokens = await Promise.all(Array.from({ length: 100 }, () => provider.accessToken(credential())));
    expect(sut.requestCount).toBe(1);
    expect(new Set(tokens.map((token) => token.reveal())).size).toBe(1);
    await provider.accessToken(credential());
    expect(sut.requestCount).toBe(1);
  });

  it('rejects a JWT signed with another key (forged) with invalid_grant', async () => {
    const forger = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    const reply = await grant(assertion({ privateKeyPem: forger.privateKey }));
    expect(reply).toEqual({ status: 400, body: { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' } });
    expect(sut.issuedCount).toBe(0);
  });

  it('rejects an expired JWT with invalid_grant', async () => {
    const reply = await grant(assertion({ issuedAt: Math.floor(Date.now() / 1000) - 7200 }));
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ error: 'invalid_grant', error_description: expect.stringContaining('iat and exp') });
  });

  it('rejects a wrong audience, an unknown account, a tampered claim and a wrong grant type', async () => {
    expect((await grant(assertion({ audience: 'https://oauth2.googleapis.com/token' }))).body).toMatchObject({
      error: 'invalid_grant',
      error_description: expect.stringContaining('audience'),
    });
    expect((await grant(assertion({ clientEmail: 'nobody@fake-project.iam.gserviceaccount.com' }))).body).toEqual({
      error: 'invalid_grant',
      error_description: 'Invalid grant: account not found',
    });
    const [header, , signature] = assertion().split('.');
    const claims = Buffer.from(
      JSON.stringify({ iss: account.clientEmail, aud: sut.tokenUri, scope: 'x', iat: 1, exp: 9e9 }),
    ).toString('base64url');
    expect((await grant(`${header}.${claims}.${signature}`)).body).toMatchObject({ error_description: 'Invalid JWT Signature.' });
    expect((await postForm(sut.tokenUri, { grant_type: 'client_credentials', assertion: assertion() })).body).toMatchObject({
      error: 'unsupported_grant_type',
    });
    expect(sut.requests.map((request) => request.outcome)).toEqual([
      'invalid_grant',
      'invalid_grant',
      'invalid_grant',
      'unsupported_grant_type',
    ]);
  });

  it('fails scripted grants the way the token provider classifies: 500 as server, 400 invalid_grant as auth', async () => {
    const provider = new VertexTokenProvider({ http: transportTokenHttp(http), allowPrivate: true });
    sut.script(account.clientEmail, { kind: 'status', status: 500 }, { kind: 'status', status: 400 });
    expect(classifyTransportError(await rejectionOf(provider.accessToken(credential())))).toMatchObject({
      kind: 'server',
      status: 500,
    });
    expect(classifyTransportError(await rejectionOf(provider.accessToken(credential())))).toMatchObject({
      kind: 'auth',
      status: 400,
      message: expect.stringContaining('invalid_grant'),
    });
  });
});

describe('FakeVertex', () => {
  let tokens: FakeGoogleToken;
  let sut: FakeVertex;
  let account: TestServiceAccount;
  let accessToken: string;

  beforeAll(async () => {
    tokens = await FakeGoogleToken.start();
    sut = await FakeVertex.start({ tokens });
    account = tokens.createServiceAccount({ projectId: 'fake-project' });
  });
  beforeEach(() => {
    accessToken = tokens.issueToken(account.clientEmail);
  });
  afterEach(() => sut.reset());
  afterAll(async () => {
    await sut.close();
    await tokens.close();
  });

  describe('Gemini against @google/genai', () => {
    const client = (token = accessToken, project = 'fake-project') =>
      new GoogleGenAI({
        vertexai: true,
        project,
        location: REGION,
        apiVersion: 'v1',
        httpOptions: { baseUrl: sut.url },
        googleAuthOptions: { authClient: presetAuth(token) },
      });

    it("answers generateContent with the echo, usage and the SDK's URL and bearer token", async () => {
      const response = await client().models.generateContent({ model: 'gemini-2.5-flash', contents: 'hello there' });
      expect(response.text).toBe('Echo: hello there');
      expect(response.candidates?.[0]?.finishReason).toBe('STOP');
      expect(response.usageMetadata).toMatchObject({ promptTokenCount: 3, candidatesTokenCount: 5, totalTokenCount: 8 });
      expect(sut.requests[0]).toMatchObject({
        path: `/v1/projects/fake-project/locations/${REGION}/publishers/google/models/gemini-2.5-flash:generateContent`,
        credential: accessToken,
        clientEmail: account.clientEmail,
        family: 'gemini',
        stream: false,
      });
    });

    it('streams streamGenerateContent?alt=sse as several chunks of new text', async () => {
      const stream = await client().models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'stream me please' });
      const chunks: GenerateContentResponse[] = [];
      for await (const chunk of stream) chunks.push(chunk);
      expect(chunks.length).toBeGreaterThan(1);
      expect(chunks.map((chunk) => chunk.text ?? '').join('')).toBe('Echo: stream me please');
      expect(chunks.at(-1)?.candidates?.[0]?.finishReason).toBe('STOP');
      expect(sut.requests[0]?.path).toMatch(/:streamGenerateContent\?alt=sse$/);
    });

    it('calls a declared function for a weather question', async () => {
      const response = await client().models.generateContent({
        model: 'gemini-2.5-pro',
        contents: 'What is the weather in Paris?',
        config: { tools: [{ functionDeclarations: [weatherTool] }] },
      });
      expect(response.functionCalls).toEqual([{ name: 'get_weather', args: { city: 'Paris' } }]);
    });

    it("answers scripted RESOURCE_EXHAUSTED, an unknown token and a foreign project with Google's errors", async () => {
      sut.script(account.clientEmail, { kind: 'status', status: 429 });
      const limited = await rejectionOf(client().models.generateContent({ model: 'gemini-2.5-flash', contents: 'x' }));
      expect(limited).toBeInstanceOf(ApiError);
      expect((limited as ApiError).status).toBe(429);
      expect((limited as ApiError).message).toContain('RESOURCE_EXHAUSTED');

      const unknown = await rejectionOf(
        client('ya29.not-issued').models.generateContent({ model: 'gemini-2.5-flash', contents: 'x' }),
      );
      expect((unknown as ApiError).status).toBe(401);
      expect((unknown as ApiError).message).toContain('UNAUTHENTICATED');

      const foreign = await rejectionOf(
        client(accessToken, 'someone-else').models.generateContent({ model: 'gemini-2.5-flash', contents: 'x' }),
      );
      expect((foreign as ApiError).status).toBe(403);
    });
  });

  describe('Claude against @anthropic-ai/vertex-sdk', () => {
    const client = (token = accessToken) =>
      new AnthropicVertex({
        region: REGION,
        projectId: 'fake-project',
        baseURL: `${sut.url}/v1`,
        authClient: presetAuth(token),
        maxRetries: 0,
      });

    it('answers rawPredict; the body carries anthropic_version and no model', async () => {
      const message = await client().messages.create({
        model: 'claude-sonnet-4-5@20250929',
        max_tokens: 256,
        messages: [{ role: 'user', content: 'hello claude' }],
      });
      expect(message.content).toEqual([{ type: 'text', text: 'Echo: hello claude' }]);
      expect(message.stop_reason).toBe('end_turn');
      expect(message.usage).toMatchObject({ input_tokens: 3, output_tokens: 5 });
      const [request] = sut.requests;
      expect(request?.path).toBe(
        `/v1/projects/fake-project/locations/${REGION}/publishers/anthropic/models/claude-sonnet-4-5@20250929:rawPredict`,
      );
      // SDK 1.x sends its dated API version; the gateway sends Vertex's `vertex-2023-10-16`: the fake takes both.
      expect(request?.body).toMatchObject({ anthropic_version: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/), max_tokens: 256 });
      expect(request?.body).not.toHaveProperty('model');
      expect(request?.headers['authorization']).toBe(`Bearer ${accessToken}`);
    });

    it('streams streamRawPredict as Anthropic events', async () => {
      const stream = client().messages.stream({
        model: 'claude-3-5-haiku@20241022',
        max_tokens: 64,
        messages: [{ role: 'user', content: 'stream to me' }],
      });
      const deltas: string[] = [];
      stream.on('text', (delta) => deltas.push(delta));
      const final = await stream.finalMessage();
      expect(deltas.length).toBeGreaterThan(1);
      expect(deltas.join('')).toBe('Echo: stream to me');
      expect(final.stop_reason).toBe('end_turn');
      expect(final.usage.output_tokens).toBe(5);
      expect(sut.requests[0]?.rpc).toBe('streamRawPredict');
    });

    it('streams a tool_use block whose input_json_delta fragments join into the arguments', async () => {
      const stream = client().messages.stream({
        model: 'claude-3-5-haiku@20241022',
        max_tokens: 64,
        tools: [{ name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
        messages: [{ role: 'user', content: 'weather in Paris?' }],
      });
      const final = await stream.finalMessage();
      expect(final.stop_reason).toBe('tool_use');
      expect(final.content).toEqual([
        expect.objectContaining({ type: 'tool_use', name: 'get_weather', input: { city: 'Paris' } }),
      ]);
    });

    it('refuses rawPredict bodies Vertex refuses: no anthropic_version, a model field, no max_tokens', async () => {
      const url = `${sut.url}/v1/projects/fake-project/locations/${REGION}/publishers/anthropic/models/claude-sonnet-4-5@20250929:rawPredict`;
      const messages = [{ role: 'user', content: 'x' }];
      const post = async (payload: unknown) => {
        const response = await fetch(url, {
          method: 'POST',
          headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
          body: JSON.stringify(payload),
        });
        return { status: response.status, body: (await response.json()) as { error: { message: string } } };
      };
      expect(await post({ max_tokens: 8, messages })).toMatchObject({
        status: 400,
        body: { error: { message: expect.stringContaining('anthropic_version') } },
      });
      expect(await post({ anthropic_version: 'vertex-2023-10-16', model: 'claude', max_tokens: 8, messages })).toMatchObject({
        status: 400,
        body: { error: { message: 'model: Extra inputs are not permitted' } },
      });
      expect(await post({ anthropic_version: 'vertex-2023-10-16', messages })).toMatchObject({
        status: 400,
        body: { error: { message: 'max_tokens: Field required' } },
      });
      expect((await post({ anthropic_version: 'vertex-2023-10-16', max_tokens: 8, messages })).status).toBe(200);
    });

    it('answers scripted overload and a revoked token with errors the SDK surfaces by status', async () => {
      sut.script(account.clientEmail, { kind: 'status', status: 529 });
      const overloaded = await rejectionOf(
        client().messages.create({
          model: 'claude-sonnet-4-5@20250929',
          max_tokens: 8,
          messages: [{ role: 'user', content: 'x' }],
        }),
      );
      expect(overloaded).toMatchObject({ status: 529, error: { type: 'error', error: { type: 'overloaded_error' } } });
      tokens.revoke(accessToken);
      const revoked = await rejectionOf(
        client().messages.create({
          model: 'claude-sonnet-4-5@20250929',
          max_tokens: 8,
          messages: [{ role: 'user', content: 'x' }],
        }),
      );
      expect(revoked).toMatchObject({ status: 401 });
    });
  });

  describe("the gateway's VertexAdapter end to end", () => {
    let http: UpstreamTransport;
    let provider: VertexTokenProvider;
    let adapter: VertexAdapter;
    let credential: VertexCredential;

    beforeAll(() => {
      http = transport();
      provider = new VertexTokenProvider({ http: transportTokenHttp(http), allowPrivate: true });
      adapter = new VertexAdapter(provider);
    });
    beforeEach(() => {
      credential = vertexCredentialFromSecret(
        { ...account.json, region: REGION },
        { endpointUrl: sut.url, trustedTokenUri: false },
      );
    });
    afterAll(async () => {
      await http.close();
    });

    const ctx = (upstreamModel: string): AttemptContext<VertexCredential> => ({
      upstreamModel,
      credential,
      requestId: 'req-1',
      userAgent: 'gateway-test',
      appReferer: null,
      appTitle: null,
    });
    const body = (extra: Record<string, unknown> = {}) =>
      chatRequestBody.parse({ model: 'x', messages: [{ role: 'user', content: 'hi adapter' }], ...extra });

    async function streamed(model: string, extra: Record<string, unknown> = {}): Promise<StreamEvent[]> {
      const request = await adapter.buildRequest(body({ stream: true, ...extra }), ctx(model));
      const response = await http.send(request, AbortSignal.timeout(5000));
      expect(response.status).toBe(200);
      const decoder = adapter.createStreamDecoder();
      const events: StreamEvent[] = [];
      try {
        for await (const bytes of response.body) events.push(...decoder.push(bytes as Buffer));
      } catch {
        // A dropped stream ends the body with an error; what was decoded so far is the point.
      }
      return [...events, ...decoder.end()];
    }

    const text = (events: readonly StreamEvent[]) =>
      events
        .flatMap((event) => (event.type === 'chunk' ? (event.chunk['choices'] as { delta?: { content?: string } }[]) : []))
        .map((choice) => choice.delta?.content ?? '')
        .join('');

    it.each(['gemini-2.5-flash', 'claude-sonnet-4-5@20250929'])(
      'completes and streams %s through the token endpoint',
      async (model) => {
        const request = await adapter.buildRequest(body(), ctx(model));
        const response = await http.send(request, AbortSignal.timeout(5000));
        const parsed = adapter.parseResponse(await http.readJson(response));
        expect(parsed.completion['choices']).toMatchObject([{ message: { content: 'Echo: hi adapter' }, finish_reason: 'stop' }]);
        expect(parsed.usage).toMatchObject({ promptTokens: 3 });

        const events = await streamed(model);
        expect(text(events)).toBe('Echo: hi adapter');
        expect(events.at(-1)).toEqual({ type: 'done' });
        expect(
          events.flatMap((event) => (event.type === 'chunk' ? [adapter.usageOf(event.chunk)] : [])).filter(Boolean),
        ).toHaveLength(1);
      },
    );

    it.each(['gemini-2.5-flash', 'claude-3-5-haiku@20241022'])(
      'streams a %s tool call as OpenAI tool-call deltas',
      async (model) => {
        const tools = [
          {
            type: 'function',
            function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
          },
        ];
        const events = await streamed(model, { tools, messages: [{ role: 'user', content: 'weather in Paris?' }] });
        const calls = events.flatMap((event) =>
          event.type === 'chunk'
            ? (event.chunk['choices'] as { delta?: { tool_calls?: { function: { name?: string; arguments?: string } }[] } }[])
            : [],
        );
        const fragments = calls.flatMap((choice) => choice.delta?.tool_calls ?? []);
        expect(fragments[0]?.function.name).toBe('get_weather');
        expect(fragments.map((fragment) => fragment.function.arguments ?? '').join('')).toBe('{"city":"Paris"}');
        expect(calls.some((choice) => (choice as { finish_reason?: string }).finish_reason === 'tool_calls')).toBe(true);
      },
    );

    it('reports no done for a stream dropped mid-way, and an error chunk for a mid-stream error', async () => {
      sut.script(account.clientEmail, { kind: 'drop-mid-stream', afterChunks: 1 }, { kind: 'error-chunk' });
      const dropped = await streamed('gemini-2.5-flash');
      expect(dropped.some((event) => event.type === 'done')).toBe(false);
      const failed = await streamed('claude-sonnet-4-5@20250929');
      expect(failed.some((event) => event.type === 'chunk' && event.chunk['error'] !== undefined)).toBe(true);
      expect(failed.some((event) => event.type === 'done')).toBe(false);
    });

    it('classifies scripted 429 and 500, and a token Vertex no longer accepts', async () => {
      for (const [status, kind] of [
        [429, 'rate_limited'],
        [500, 'server'],
      ] as const) {
        sut.script(account.clientEmail, { kind: 'status', status });
        const response = await http.send(await adapter.buildRequest(body(), ctx('gemini-2.5-flash')), AbortSignal.timeout(5000));
        expect(adapter.classifyError(response.status, await http.readJson(response), response.headers).kind).toBe(kind);
      }
      tokens.reset();
      const response = await http.send(await adapter.buildRequest(body(), ctx('gemini-2.5-flash')), AbortSignal.timeout(5000));
      expect(adapter.classifyError(response.status, await http.readJson(response), response.headers)).toMatchObject({
        kind: 'auth',
        status: 401,
      });
      provider.invalidate(credential);
      const renewed = await http.send(await adapter.buildRequest(body(), ctx('gemini-2.5-flash')), AbortSignal.timeout(5000));
      expect(renewed.status).toBe(200);
      await http.readJson(renewed);
    });

    it('times out a hung answer on the transport', async () => {
      sut.script(account.clientEmail, { kind: 'hang' });
      const request = await adapter.buildRequest(body(), ctx('gemini-2.5-flash'));
      const error = await rejectionOf(http.send(request, AbortSignal.timeout(200)));
      expect(['timeout', 'connection']).toContain(classifyTransportError(error).kind);
    });
  });
});
