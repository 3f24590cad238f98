import {
  BedrockRuntimeClient,
  BedrockRuntimeServiceException,
  ConverseCommand,
  ConverseStreamCommand,
  ThrottlingException,
  type ConverseStreamOutput,
  type Tool,
} from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { chatRequestBody, type ChatRequestBody } from '@gw/contracts';
import {
  BedrockAdapter,
  bedrockCredentialFromSecret,
  UpstreamTransport,
  type AttemptContext,
  type BedrockCredential,
  type JsonObject,
  type StreamEvent,
  type UpstreamRequest,
  type UpstreamResponse,
} from '@gw/providers';
import { ANY_CREDENTIAL } from './behaviour';
import { FAKE_BEDROCK_ACCESS_KEY, FAKE_BEDROCK_API_KEY, FakeBedrock } from './fake-bedrock';

const HAIKU = 'anthropic.claude-3-haiku-20240307-v1:0';
const PROFILE_ARN = 'arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-sonnet-20241022-v2:0';
const SESSION_KEY = {
  accessKeyId: 'ASIAFAKEBEDROCK00002',
  secretAccessKey: 'fake/SessionSecret/0002',
  sessionToken: 'FwoGZXIvYXdzEFAKE',
};

const weatherTool: Tool = {
  toolSpec: {
    name: 'get_weather',
    description: 'Current weather in a city',
    inputSchema: { json: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
  },
};

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

async function collect<T>(stream: AsyncIterable<T> | undefined): Promise<T[]> {
  const out: T[] = [];
  if (stream === undefined) return out;
  for await (const item of stream) out.push(item);
  return out;
}

describe('FakeBedrock against @aws-sdk/client-bedrock-runtime', () => {
  let sut: FakeBedrock;

  /** HTTP/1.1 handler: the Node client defaults to HTTP/2, which a node:http fake does not speak. */
  const client = (
    credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } = FAKE_BEDROCK_ACCESS_KEY,
  ) =>
    new BedrockRuntimeClient({
      region: 'us-east-1',
      endpoint: sut.url,
      credentials,
      requestHandler: new NodeHttpHandler(),
      maxAttempts: 1,
    });

  beforeAll(async () => {
    sut = await FakeBedrock.start({ accessKeys: [FAKE_BEDROCK_ACCESS_KEY, SESSION_KEY] });
  });
  afterEach(() => sut.reset());
  afterAll(async () => {
    await sut.close();
  });

  it('answers Converse with an echo the SDK decodes, and records the verified SigV4 request', async () => {
    const output = await client().send(
      new ConverseCommand({
        modelId: HAIKU,
        system: [{ text: 'Be terse.' }],
        messages: [{ role: 'user', content: [{ text: 'hello world' }] }],
        inferenceConfig: { maxTokens: 64 },
      }),
    );

    expect(output.output?.message?.content?.[0]?.text).toBe('Echo: hello world');
    expect(output.stopReason).toBe('end_turn');
    expect(output.usage?.totalTokens).toBe((output.usage?.inputTokens ?? 0) + (output.usage?.outputTokens ?? 0));
    expect(sut.requests).toHaveLength(1);
    expect(sut.requests[0]).toMatchObject({
      method: 'POST',
      path: '/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse',
      modelId: HAIKU,
      operation: 'converse',
      credential: FAKE_BEDROCK_ACCESS_KEY.accessKeyId,
      auth: 'sigv4',
      authorized: true,
      body: expect.objectContaining({ inferenceConfig: { maxTokens: 64 } }),
    });
  });

  it('streams text through ConverseStream in binary frames the SDK decodes, usage last', async () => {
    const output = await client().send(
      new ConverseStreamCommand({ modelId: HAIKU, messages: [{ role: 'user', content: [{ text: 'stream me please' }] }] }),
    );
    const events: ConverseStreamOutput[] = await collect(output.stream);

    const text = events.map((event) => event.contentBlockDelta?.delta?.text ?? '').join('');
    expect(text).toBe('Echo: stream me please');
    expect(events.filter((event) => event.contentBlockDelta !== undefined).length).toBeGreaterThan(2);
    expect(events[0]?.messageStart?.role).toBe('assistant');
    expect(events.find((event) => event.messageStop)?.messageStop?.stopReason).toBe('end_turn');
    expect(events.at(-1)?.metadata?.usage?.outputTokens).toBeGreaterThan(0);
    expect(sut.requests[0]?.operation).toBe('converse-stream');
  });

  it('answers a weather question with a tool call, whole and streamed', async () => {
    const input = {
      modelId: HAIKU,
      messages: [{ role: 'user' as const, content: [{ text: 'What is the weather in Paris?' }] }],
      toolConfig: { tools: [weatherTool] },
    };

    const whole = await client().send(new ConverseCommand(input));
    expect(whole.stopReason).toBe('tool_use');
    expect(whole.output?.message?.content?.[0]?.toolUse).toEqual({
      toolUseId: expect.stringMatching(/^tooluse_/),
      name: 'get_weather',
      input: { city: 'Paris' },
    });

    const streamed = await collect((await client().send(new ConverseStreamCommand(input))).stream);
    const start = streamed.find((event) => event.contentBlockStart)?.contentBlockStart;
    expect(start?.start?.toolUse).toEqual({ toolUseId: expect.stringMatching(/^tooluse_/), name: 'get_weather' });
    const args = streamed.map((event) => event.contentBlockDelta?.delta?.toolUse?.input ?? '').join('');
    expect(JSON.parse(args)).toEqual({ city: 'Paris' });
    expect(streamed.find((event) => event.messageStop)?.messageStop?.stopReason).toBe('tool_use');
  });

  it('verifies a signature over a doubly encoded inference-profile ARN', async () => {
    const output = await client().send(
      new ConverseCommand({ modelId: PROFILE_ARN, messages: [{ role: 'user', content: [{ text: 'hi' }] }] }),
    );

    expect(output.output?.message?.content?.[0]?.text).toBe('Echo: hi');
    expect(sut.requests[0]?.path).toContain('arn%3Aaws%3Abedrock');
    expect(sut.requests[0]?.path).toContain('inference-profile%2Fus.anthropic');
    expect(sut.requests[0]?.modelId).toBe(PROFILE_ARN);
  });

  it('rejects a wrong secret with the SDK error InvalidSignatureException (403)', async () => {
    const error = await rejectionOf(
      client({ accessKeyId: FAKE_BEDROCK_ACCESS_KEY.accessKeyId, secretAccessKey: 'not-the-secret' }).send(
        new ConverseCommand({ modelId: HAIKU, messages: [{ role: 'user', content: [{ text: 'hi' }] }] }),
      ),
    );

    expect(error).toBeInstanceOf(BedrockRuntimeServiceException);
    expect(error).toMatchObject({ name: 'InvalidSignatureException', $metadata: { httpStatusCode: 403 } });
    expect((error as Error).message).toMatch(/signature we calculated does not match/);
    expect(sut.requests[0]).toMatchObject({ credential: FAKE_BEDROCK_ACCESS_KEY.accessKeyId, authorized: false });
  });

  it('rejects an unknown access key with UnrecognizedClientException', async () => {
    const error = await rejectionOf(
      client({ accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'x' }).send(
        new ConverseCommand({ modelId: HAIKU, messages: [{ role: 'user', content: [{ text: 'hi' }] }] }),
      ),
    );

    expect(error).toMatchObject({ name: 'UnrecognizedClientException', $metadata: { httpStatusCode: 403 } });
  });

  it('accepts session credentials only with their session token', async () => {
    const input = { modelId: HAIKU, messages: [{ role: 'user' as const, content: [{ text: 'hi' }] }] };

    await expect(client(SESSION_KEY).send(new ConverseCommand(input))).resolves.toBeDefined();
    expect(sut.requests[0]?.headers['x-amz-security-token']).toBe(SESSION_KEY.sessionToken);
    const error = await rejectionOf(
      client({ accessKeyId: SESSION_KEY.accessKeyId, secretAccessKey: SESSION_KEY.secretAccessKey }).send(
        new ConverseCommand(input),
      ),
    );
    expect(error).toMatchObject({ name: 'UnrecognizedClientException' });
  });

  it('accepts a Bedrock API key as a Bearer token', async () => {
    const bearer = new BedrockRuntimeClient({
      region: 'us-east-1',
      endpoint: sut.url,
      token: { token: FAKE_BEDROCK_API_KEY },
      authSchemePreference: ['httpBearerAuth'],
      requestHandler: new NodeHttpHandler(),
      maxAttempts: 1,
    });

    const output = await bearer.send(
      new ConverseCommand({ modelId: HAIKU, messages: [{ role: 'user', content: [{ text: 'key' }] }] }),
    );

    expect(output.output?.message?.content?.[0]?.text).toBe('Echo: key');
    expect(sut.requests[0]).toMatchObject({ auth: 'apiKey', credential: FAKE_BEDROCK_API_KEY, authorized: true });
  });

  it('throttles per credential with the typed ThrottlingException, and again mid-stream', async () => {
    sut.script(FAKE_BEDROCK_ACCESS_KEY.accessKeyId, { kind: 'status', status: 429 });
    const input = { modelId: HAIKU, messages: [{ role: 'user' as const, content: [{ text: 'hi' }] }] };

    const error = await rejectionOf(client().send(new ConverseCommand(input)));
    expect(error).toBeInstanceOf(ThrottlingException);
    expect(error).toMatchObject({ $metadata: { httpStatusCode: 429 } });
    // The session key had nothing scripted.
    await expect(client(SESSION_KEY).send(new ConverseCommand(input))).resolves.toBeDefined();

    sut.script(ANY_CREDENTIAL, { kind: 'stream-exception', exception: 'throttlingException', afterEvents: 2 });
    const output = await client().send(new ConverseStreamCommand(input));
    const received: ConverseStreamOutput[] = [];
    const midStream = await rejectionOf(
      (async () => {
        for await (const event of output.stream ?? []) received.push(event);
      })(),
    );
    expect(midStream).toBeInstanceOf(ThrottlingException);
    expect(received).toHaveLength(2);
  });

  it('refuses turns that do not alternate, as Bedrock does', async () => {
    const error = await rejectionOf(
      client().send(
        new ConverseCommand({
          modelId: HAIKU,
          messages: [
            { role: 'user', content: [{ text: 'a' }] },
            { role: 'user', content: [{ text: 'b' }] },
          ],
        }),
      ),
    );

    expect(error).toMatchObject({ name: 'ValidationException', $metadata: { httpStatusCode: 400 } });
    expect((error as Error).message).toMatch(/must alternate/);
  });
});

describe('FakeBedrock against the gateway BedrockAdapter', () => {
  let sut: FakeBedrock;
  let transport: UpstreamTransport;

  const sigv4 = (): BedrockCredential =>
    bedrockCredentialFromSecret(
      {
        accessKeyId: FAKE_BEDROCK_ACCESS_KEY.accessKeyId,
        secretAccessKey: FAKE_BEDROCK_ACCESS_KEY.secretAccessKey,
        region: 'us-west-2',
      },
      sut.url,
    );
  const context = (credential: BedrockCredential, upstreamModel = HAIKU): AttemptContext<BedrockCredential> => ({
    upstreamModel,
    credential,
    requestId: 'req-1',
    userAgent: 'gateway-test',
    appReferer: null,
    appTitle: null,
  });
  const chat = (body: Record<string, unknown> = {}): ChatRequestBody =>
    chatRequestBody.parse({
      model: `bedrock:${HAIKU}`,
      messages: [
        { role: 'system', content: 'Be terse.' },
        { role: 'user', content: 'first part' },
        { role: 'user', content: 'hello adapter' },
      ],
      ...body,
    });
  const send = (request: UpstreamRequest): Promise<UpstreamResponse> => transport.send(request, new AbortController().signal);

  async function decodeStream(adapter: BedrockAdapter, response: UpstreamResponse): Promise<StreamEvent[]> {
    const decoder = adapter.createStreamDecoder();
    const events: StreamEvent[] = [];
    try {
      for await (const bytes of response.body) events.push(...decoder.push(bytes as Buffer));
    } catch {
      // A dropped connection ends the body with an error; what was decoded is what counts.
    }
    return [...events, ...decoder.end()];
  }

  function content(events: readonly StreamEvent[]): string {
    return events
      .flatMap((event) => (event.type === 'chunk' ? ((event.chunk['choices'] as JsonObject[] | undefined) ?? []) : []))
      .map((choice) => {
        const delta = choice['delta'] as JsonObject | undefined;
        return typeof delta?.['content'] === 'string' ? delta['content'] : '';
      })
      .join('');
  }

  beforeAll(async () => {
    sut = await FakeBedrock.start({ region: 'us-west-2' });
    transport = new UpstreamTransport({
      firstByteTimeoutMs: 5000,
      idleTimeoutMs: 5000,
      connectTimeoutMs: 2000,
      maxResponseBytes: 1024 * 1024,
      allowPrivate: true,
    });
  });
  afterEach(() => sut.reset());
  afterAll(async () => {
    await transport.close();
    await sut.close();
  });

  it('has its SigV4-signed Converse request accepted and parses the answer', async () => {
    const adapter = new BedrockAdapter();

    const response = await send(await adapter.buildRequest(chat({ max_tokens: 32 }), context(sigv4())));
    const parsed = adapter.parseResponse(await transport.readJson(response));

    expect(response.status).toBe(200);
    expect(parsed.completion['choices']).toEqual([
      expect.objectContaining({
        message: expect.objectContaining({ content: 'Echo: first part hello adapter' }),
        finish_reason: 'stop',
      }),
    ]);
    expect(parsed.usage?.completionTokens).toBeGreaterThan(0);
    // Both user turns were merged into one: the fake refuses turns that do not alternate.
    expect(sut.requests[0]).toMatchObject({
      authorized: true,
      credential: FAKE_BEDROCK_ACCESS_KEY.accessKeyId,
      body: {
        system: [{ text: 'Be terse.' }],
        messages: [{ role: 'user', content: [{ text: 'first part' }, { text: 'hello adapter' }] }],
        inferenceConfig: { maxTokens: 32 },
      },
    });
  });

  it('streams through its decoder: content, finish, usage, done, for text and a doubly encoded ARN', async () => {
    const adapter = new BedrockAdapter();

    const response = await send(await adapter.buildRequest(chat({ stream: true }), context(sigv4(), PROFILE_ARN)));
    const events = await decodeStream(adapter, response);

    expect(response.headers['content-type']).toBe('application/vnd.amazon.eventstream');
    expect(content(events)).toBe('Echo: first part hello adapter');
    const usage = events
      .flatMap((event) => (event.type === 'chunk' ? [adapter.usageOf(event.chunk)] : []))
      .filter((u) => u !== null);
    expect(usage).toHaveLength(1);
    expect(events.at(-1)).toEqual({ type: 'done' });
    expect(sut.requests[0]?.modelId).toBe(PROFILE_ARN);
  });

  it('streams a tool call as OpenAI tool_call deltas', async () => {
    const adapter = new BedrockAdapter();
    const request = chat({
      stream: true,
      messages: [{ role: 'user', content: 'weather in Paris?' }],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }],
    });

    const events = await decodeStream(adapter, await send(await adapter.buildRequest(request, context(sigv4()))));

    const toolDeltas = events
      .flatMap((event) => (event.type === 'chunk' ? ((event.chunk['choices'] as JsonObject[] | undefined) ?? []) : []))
      .flatMap((choice) => ((choice['delta'] as JsonObject)['tool_calls'] as JsonObject[] | undefined) ?? []);
    expect(toolDeltas[0]).toMatchObject({
      index: 0,
      id: expect.stringMatching(/^tooluse_/),
      function: { name: 'get_weather', arguments: '' },
    });
    const args = toolDeltas.map((delta) => String((delta['function'] as JsonObject)['arguments'])).join('');
    expect(JSON.parse(args)).toEqual({ city: 'Paris' });
  });

  it('is refused with InvalidSignatureException when the body, the signature or a signed header is tampered with', async () => {
    const adapter = new BedrockAdapter();
    const signed = await adapter.buildRequest(chat(), context(sigv4()));
    const tamperedBody = { ...signed, body: signed.body.replace('hello adapter', 'hello attacker') };
    const authorization = signed.headers['authorization'] ?? '';
    const flipped = authorization.slice(0, -1) + (authorization.endsWith('0') ? '1' : '0');
    const tamperedSignature = { ...signed, headers: { ...signed.headers, authorization: flipped } };

    const tamperedHeader = { ...signed, headers: { ...signed.headers, accept: 'text/plain' } };

    for (const tampered of [tamperedBody, tamperedSignature, tamperedHeader]) {
      const response = await send(tampered);
      const body = await transport.readJson(response);
      expect(response.status).toBe(403);
      expect(response.headers['x-amzn-errortype']).toMatch(/^InvalidSignatureException/);
      expect(adapter.classifyError(response.status, body, response.headers)).toMatchObject({ kind: 'auth', status: 403 });
    }
    expect(sut.requests.map((r) => r.authorized)).toEqual([false, false, false]);
    // The untouched request still passes.
    expect((await send(signed)).status).toBe(200);
  });

  it('is refused for a wrong secret, a stale X-Amz-Date and a region the endpoint does not serve', async () => {
    const wrongSecret = bedrockCredentialFromSecret(
      { accessKeyId: FAKE_BEDROCK_ACCESS_KEY.accessKeyId, secretAccessKey: 'wrong', region: 'us-west-2' },
      sut.url,
    );
    const stale = new BedrockAdapter({ now: () => new Date(Date.now() - 10 * 60_000) });
    const otherRegion = bedrockCredentialFromSecret(
      {
        accessKeyId: FAKE_BEDROCK_ACCESS_KEY.accessKeyId,
        secretAccessKey: FAKE_BEDROCK_ACCESS_KEY.secretAccessKey,
        region: 'eu-west-1',
      },
      sut.url,
    );

    const replies = [
      await send(await new BedrockAdapter().buildRequest(chat(), context(wrongSecret))),
      await send(await stale.buildRequest(chat(), context(sigv4()))),
      await send(await new BedrockAdapter().buildRequest(chat(), context(otherRegion))),
    ];
    const bodies = await Promise.all(replies.map((reply) => transport.readJson(reply)));

    expect(replies.map((reply) => reply.status)).toEqual([403, 403, 403]);
    expect(bodies[1]).toEqual({ message: expect.stringMatching(/^Signature expired/) });
    expect(bodies[2]).toEqual({ message: expect.stringMatching(/valid region/) });
  });

  it('authenticates with a Bedrock API key, and a wrong key is an auth failure', async () => {
    const adapter = new BedrockAdapter();

    const ok = await send(
      await adapter.buildRequest(chat(), context(bedrockCredentialFromSecret(FAKE_BEDROCK_API_KEY, sut.url))),
    );
    const refused = await send(await adapter.buildRequest(chat(), context(bedrockCredentialFromSecret('ABSKwrong', sut.url))));
    const refusedBody = await transport.readJson(refused);
    await transport.readJson(ok);

    expect(ok.status).toBe(200);
    expect(adapter.classifyError(refused.status, refusedBody, refused.headers).kind).toBe('auth');
    expect(sut.requests.map((r) => [r.auth, r.authorized])).toEqual([
      ['apiKey', true],
      ['apiKey', false],
    ]);
  });

  it('maps scripted failures: 429 to rate_limited, a mid-stream exception to an error chunk, a cut stream to no done', async () => {
    const adapter = new BedrockAdapter();
    const key = FAKE_BEDROCK_ACCESS_KEY.accessKeyId;
    sut.script(
      key,
      { kind: 'status', status: 429 },
      { kind: 'error-chunk' },
      { kind: 'drop-mid-stream', afterChunks: 3 },
      { kind: 'malformed-sse' },
    );

    const throttled = await send(await adapter.buildRequest(chat(), context(sigv4())));
    expect(adapter.classifyError(throttled.status, await transport.readJson(throttled), throttled.headers).kind).toBe(
      'rate_limited',
    );

    const failed = await decodeStream(adapter, await send(await adapter.buildRequest(chat({ stream: true }), context(sigv4()))));
    const last = failed.at(-1);
    expect(last?.type === 'chunk' && last.chunk['error']).toMatchObject({ type: 'modelStreamErrorException', code: 424 });

    const cut = await decodeStream(adapter, await send(await adapter.buildRequest(chat({ stream: true }), context(sigv4()))));
    expect(cut.map((event) => event.type)).toEqual(['chunk', 'chunk', 'chunk']);

    const malformed = await decodeStream(
      adapter,
      await send(await adapter.buildRequest(chat({ stream: true }), context(sigv4()))),
    );
    expect(malformed.at(-1)).toEqual({ type: 'malformed', reason: expect.stringContaining('checksum') });
    expect(sut.pending(key)).toBe(0);
  });

  it('answers an unknown model id with the 400 Bedrock sends, which the adapter reads as not_found', async () => {
    const strict = await FakeBedrock.start({ models: [HAIKU] });
    try {
      const adapter = new BedrockAdapter();
      const credential = bedrockCredentialFromSecret(FAKE_BEDROCK_API_KEY, strict.url);

      const response = await send(await adapter.buildRequest(chat(), context(credential, 'anthropic.claude-nonexistent-v9:0')));

      expect(response.status).toBe(400);
      expect(adapter.classifyError(response.status, await transport.readJson(response), response.headers).kind).toBe('not_found');
    } finally {
      await strict.close();
    }
  });
});
