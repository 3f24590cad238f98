import OpenAI, { AzureOpenAI } from 'openai';
import { FakeAzure } from './fake-azure';
import { FakeOpenRouter } from './fake-openrouter';

/** Chunks read loosely: Azure's annotation chunks break the SDK's declared chunk type. */
interface LooseChunk {
  readonly id: string;
  readonly choices: readonly { readonly delta?: { readonly content?: string | null }; readonly finish_reason?: string | null }[];
  readonly usage?: unknown;
}

/** The extras OpenRouter and Azure add to a completion, beyond the SDK's declared type. */
interface OpenRouterCompletion {
  readonly provider: string;
  readonly choices: readonly { readonly native_finish_reason: string }[];
  readonly usage: { readonly cost: number };
}

interface AzureCompletion {
  readonly prompt_filter_results: readonly { readonly content_filter_results: Readonly<Record<string, unknown>> }[];
  readonly choices: readonly { readonly content_filter_results: Readonly<Record<string, unknown>> }[];
}

function textOf(chunks: readonly LooseChunk[]): string {
  return chunks.map((chunk) => chunk.choices[0]?.delta?.content ?? '').join('');
}

async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of stream) out.push(item);
  return out;
}

/**
 * Under jest, fetch's AbortError is a DOMException from Node's realm, which the SDK's
 * `instanceof Error` check misses: it then reports a timeout as a plain connection error.
 */
const realmSafeFetch: typeof fetch = async (input, init) => {
  try {
    return await fetch(input, init);
  } catch (error) {
    if (typeof error === 'object' && error !== null && 'name' in error && error.name === 'AbortError') {
      const abort = new Error('The operation was aborted', { cause: error });
      abort.name = 'AbortError';
      throw abort;
    }
    throw error;
  }
};

/** What the promise rejected with, so tests can assert on the error itself. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

const weatherTool = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Current weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

describe('FakeOpenRouter against the openai SDK', () => {
  let sut: FakeOpenRouter;
  const client = (apiKey = 'k1') => new OpenAI({ baseURL: sut.baseUrl, apiKey, maxRetries: 0 });

  beforeAll(async () => {
    sut = await FakeOpenRouter.start();
  });
  afterEach(() => sut.reset());
  afterAll(async () => {
    await sut.close();
  });

  it('answers a non-streaming completion with an echo, OpenRouter extras and the key recorded', async () => {
    const completion = await client().chat.completions.create({
      model: 'openai/gpt-4o',
      messages: [
        { role: 'system', content: 'Be terse.' },
        { role: 'user', content: 'hello world' },
      ],
    });

    expect(completion.choices[0]?.message.content).toBe('Echo: hello world');
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(completion.model).toBe('openai/gpt-4o');
    expect(completion.id).toMatch(/^gen-/);
    const raw = completion as unknown as OpenRouterCompletion;
    expect(raw.provider).toBe('OpenAI');
    expect(raw.choices[0]?.native_finish_reason).toBe('stop');
    expect(typeof raw.usage.cost).toBe('number');
    expect(completion.usage?.total_tokens).toBe(
      (completion.usage?.prompt_tokens ?? 0) + (completion.usage?.completion_tokens ?? 0),
    );

    expect(sut.requests).toHaveLength(1);
    expect(sut.requests[0]).toMatchObject({
      method: 'POST',
      path: '/api/v1/chat/completions',
      credential: 'k1',
      headers: expect.objectContaining({ authorization: 'Bearer k1' }),
      body: expect.objectContaining({ model: 'openai/gpt-4o' }),
    });
  });

  it('streams the same text in several chunks and always ends with a usage chunk', async () => {
    const request = { model: 'openai/gpt-4o', messages: [{ role: 'user' as const, content: 'stream me please' }] };
    const plain = await client().chat.completions.create(request);
    const chunks = await collect(await client().chat.completions.create({ ...request, stream: true }));

    expect(textOf(chunks)).toBe(plain.choices[0]?.message.content);
    expect(chunks.filter((chunk) => (chunk.choices[0]?.delta.content ?? '') !== '').length).toBeGreaterThan(2);
    expect(chunks.some((chunk) => chunk.choices[0]?.finish_reason === 'stop')).toBe(true);
    const last: LooseChunk | undefined = chunks[chunks.length - 1];
    expect(last?.usage).toEqual(expect.objectContaining({ prompt_tokens: expect.any(Number), cost: expect.any(Number) }));
    expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
  });

  it('scripts exact content and usage, and prices the usage with the model list', async () => {
    sut.script('k1', { kind: 'ok', content: 'forty-two', usage: { prompt_tokens: 1000, completion_tokens: 100 } });
    const completion = await client().chat.completions.create({
      model: 'openai/gpt-4o',
      messages: [{ role: 'user', content: 'q' }],
    });

    expect(completion.choices[0]?.message.content).toBe('forty-two');
    // 1000 * 0.0000025 + 100 * 0.00001
    expect((completion as unknown as OpenRouterCompletion).usage.cost).toBe(0.0035);
  });

  it('answers a weather question with a tool call, plain and streamed', async () => {
    const request = {
      model: 'openai/gpt-4o',
      messages: [{ role: 'user' as const, content: 'What is the weather like in Paris?' }],
      tools: [weatherTool],
    };
    const completion = await client().chat.completions.create(request);
    const call = completion.choices[0]?.message.tool_calls?.[0];
    expect(completion.choices[0]?.finish_reason).toBe('tool_calls');
    expect(call?.type).toBe('function');
    expect(call?.type === 'function' ? call.function.name : null).toBe('get_weather');
    expect(JSON.parse(call?.type === 'function' ? call.function.arguments : '')).toEqual({ city: 'Paris' });

    const streamed = await client().chat.completions.stream(request).finalChatCompletion();
    const streamedCall = streamed.choices[0]?.message.tool_calls?.[0];
    expect(streamed.choices[0]?.finish_reason).toBe('tool_calls');
    expect(streamedCall?.type === 'function' ? streamedCall.function : null).toMatchObject({
      name: 'get_weather',
      arguments: '{"city":"Paris"}',
    });
  });

  it('does not call tools when the question is not about the weather or tool_choice is none', async () => {
    const plain = await client().chat.completions.create({
      model: 'openai/gpt-4o',
      messages: [{ role: 'user', content: 'hi' }],
      tools: [weatherTool],
    });
    const none = await client().chat.completions.create({
      model: 'openai/gpt-4o',
      messages: [{ role: 'user', content: 'weather?' }],
      tools: [weatherTool],
      tool_choice: 'none',
    });

    expect(plain.choices[0]?.message.content).toBe('Echo: hi');
    expect(none.choices[0]?.message.tool_calls).toBeUndefined();
  });

  it('answers JSON mode and json_schema with {"ok":true}', async () => {
    const messages = [{ role: 'user' as const, content: 'reply in JSON' }];
    const jsonObject = await client().chat.completions.create({
      model: 'openai/gpt-4o',
      messages,
      response_format: { type: 'json_object' },
    });
    const jsonSchema = await client().chat.completions.create({
      model: 'openai/gpt-4o',
      messages,
      response_format: { type: 'json_schema', json_schema: { name: 'a', schema: { type: 'object' } } },
    });

    expect(JSON.parse(jsonObject.choices[0]?.message.content ?? '')).toEqual({ ok: true });
    expect(JSON.parse(jsonSchema.choices[0]?.message.content ?? '')).toEqual({ ok: true });
  });

  it('surfaces scripted 429, 500 and 401 as the SDK error classes, in OpenRouter error shape', async () => {
    sut.script('k1', { kind: 'status', status: 429 }, { kind: 'status', status: 500 }, { kind: 'status', status: 401 });
    const ask = () => client().chat.completions.create({ model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'x' }] });

    const rateLimited = await rejectionOf(ask());
    expect(rateLimited).toBeInstanceOf(OpenAI.RateLimitError);
    expect((rateLimited as InstanceType<typeof OpenAI.RateLimitError>).error).toEqual({
      message: 'Rate limit exceeded',
      code: 429,
    });
    expect((rateLimited as InstanceType<typeof OpenAI.RateLimitError>).headers.get('retry-after')).toBe('1');
    await expect(ask()).rejects.toBeInstanceOf(OpenAI.InternalServerError);
    await expect(ask()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(ask()).resolves.toBeDefined();
  });

  it('scripts per credential, falls back to "*", then to ok; custom bodies and header removal', async () => {
    sut.script('k2', { kind: 'status', status: 402 });
    sut.script('*', { kind: 'status', status: 503, body: '<html>bad gateway</html>', headers: { 'x-extra': 'yes' } });
    sut.script('k3', { kind: 'status', status: 429, headers: { 'Retry-After': null } });
    const ask = (key: string) =>
      rejectionOf(client(key).chat.completions.create({ model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'x' }] }));

    expect(await ask('k2')).toMatchObject({ status: 402 });
    const fallback = (await ask('k1')) as InstanceType<typeof OpenAI.APIError>;
    expect(fallback.status).toBe(503);
    expect(fallback.headers?.get('x-extra')).toBe('yes');
    const noRetryAfter = (await ask('k3')) as InstanceType<typeof OpenAI.APIError>;
    expect(noRetryAfter.status).toBe(429);
    expect(noRetryAfter.headers?.get('retry-after')).toBeNull();
    await expect(
      client('k1').chat.completions.create({ model: 'm/x', messages: [{ role: 'user', content: 'x' }] }),
    ).resolves.toBeDefined();
    expect(sut.pending('k2') + sut.pending('*') + sut.pending('k3')).toBe(0);
  });

  it('rejects a missing key with 401 in OpenRouter shape and serves the public model list', async () => {
    const response = await fetch(`${sut.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: { message: 'No cookie auth credentials found', code: 401 } });
    expect(sut.requests[0]?.credential).toBeNull();

    const models = await client().models.list();
    expect(models.data.map((model) => model.id)).toContain('openai/gpt-4o');
    const raw = (await (await fetch(`${sut.baseUrl}/models`)).json()) as { data: { pricing: { prompt: string } }[] };
    expect(typeof raw.data[0]?.pricing.prompt).toBe('string');
  });

  it('rejects keys outside validKeys', async () => {
    const strict = await FakeOpenRouter.start({ validKeys: ['good'] });
    try {
      const ask = (apiKey: string) =>
        new OpenAI({ baseURL: strict.baseUrl, apiKey, maxRetries: 0 }).chat.completions.create({
          model: 'openai/gpt-4o',
          messages: [{ role: 'user', content: 'x' }],
        });
      await expect(ask('good')).resolves.toBeDefined();
      await expect(ask('bad')).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    } finally {
      await strict.close();
    }
  });

  it('sends ": OPENROUTER PROCESSING" keep-alive comments before the first data line', async () => {
    sut.script('k1', { kind: 'keepalive', comments: 3, intervalMs: 20 }, { kind: 'keepalive', comments: 2, intervalMs: 10 });
    const body = { model: 'openai/gpt-4o', stream: true, messages: [{ role: 'user', content: 'ping' }] };
    const response = await fetch(`${sut.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer k1', 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    expect(text.startsWith(': OPENROUTER PROCESSING\n\n: OPENROUTER PROCESSING\n\n: OPENROUTER PROCESSING\n\ndata: {')).toBe(
      true,
    );
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);

    const chunks = await collect(
      await client().chat.completions.create({
        model: 'openai/gpt-4o',
        stream: true,
        messages: [{ role: 'user', content: 'ping' }],
      }),
    );
    expect(textOf(chunks)).toBe('Echo: ping');
  });

  it('ends an error-chunk stream with finish_reason "error" under HTTP 200, which the SDK throws on', async () => {
    sut.script('k1', { kind: 'error-chunk' }, { kind: 'error-chunk' });
    const response = await fetch(`${sut.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer k1', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'openai/gpt-4o', stream: true, messages: [{ role: 'user', content: 'one two three four' }] }),
    });
    expect(response.status).toBe(200);
    const events = (await response.text())
      .split('\n\n')
      .filter((line) => line.startsWith('data: '))
      .map((line) => line.slice('data: '.length));
    expect(events[events.length - 1]).toBe('[DONE]');
    const errorEvent = JSON.parse(events[events.length - 2] ?? '');
    expect(errorEvent.error).toEqual({ code: 'server_error', message: expect.any(String) });
    expect(errorEvent.choices[0].finish_reason).toBe('error');
    expect(events.length).toBe(5); // role chunk, two content chunks, the error, [DONE]

    const stream = await client().chat.completions.create({
      model: 'openai/gpt-4o',
      stream: true,
      messages: [{ role: 'user', content: 'x' }],
    });
    await expect(collect(stream)).rejects.toBeInstanceOf(OpenAI.APIError);
  });

  it('sends a malformed SSE line the SDK cannot parse', async () => {
    sut.script('k1', { kind: 'malformed-sse' });
    // logLevel off: the SDK would print the unparsable line to the test output.
    const quiet = new OpenAI({ baseURL: sut.baseUrl, apiKey: 'k1', maxRetries: 0, logLevel: 'off' });
    const stream = await quiet.chat.completions.create({
      model: 'openai/gpt-4o',
      stream: true,
      messages: [{ role: 'user', content: 'x' }],
    });
    await expect(collect(stream)).rejects.toBeInstanceOf(SyntaxError);
  });

  it('hangs until the SDK times out, and sees that client go away', async () => {
    sut.script('k1', { kind: 'hang' });
    const error = await rejectionOf(
      new OpenAI({
        baseURL: sut.baseUrl,
        apiKey: 'k1',
        maxRetries: 0,
        timeout: 200,
        fetch: realmSafeFetch,
      }).chat.completions.create({
        model: 'openai/gpt-4o',
        messages: [{ role: 'user', content: 'x' }],
      }),
    );
    expect(error).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    const disconnect = await sut.waitForDisconnect(1000);
    expect(disconnect.chunksSent).toBe(0);
    expect(disconnect.elapsedMs).toBeGreaterThanOrEqual(150);
  });

  it('drops the connection mid-stream so that SDK iteration throws (not counted as a client disconnect)', async () => {
    sut.script('k1', { kind: 'drop-mid-stream', afterChunks: 2 });
    const stream = await client().chat.completions.create({
      model: 'openai/gpt-4o',
      stream: true,
      messages: [{ role: 'user', content: 'a long enough message' }],
    });
    const seen: unknown[] = [];
    const iteration = (async () => {
      for await (const chunk of stream) seen.push(chunk);
    })();
    await expect(iteration).rejects.toThrow();
    expect(seen).toHaveLength(2);
    expect(sut.disconnects).toHaveLength(0);
  });

  it('observes a client abort mid-stream within 100 ms', async () => {
    sut.script('k1', { kind: 'ok', chunkDelayMs: 100, content: 'one two three four five six seven eight nine ten' });
    const controller = new AbortController();
    const stream = await client().chat.completions.create(
      { model: 'openai/gpt-4o', stream: true, messages: [{ role: 'user', content: 'x' }] },
      { signal: controller.signal },
    );
    let abortedAt = 0;
    for await (const _chunk of stream) {
      abortedAt = Date.now();
      controller.abort();
      break;
    }

    const disconnect = await sut.waitForDisconnect(1000);
    expect(disconnect.at - abortedAt).toBeLessThan(100);
    expect(disconnect.chunksSent).toBeGreaterThanOrEqual(1);
    expect(disconnect.chunksSent).toBeLessThan(5);
    expect(disconnect.request.credential).toBe('k1');
    await expect(sut.waitForDisconnect(50)).rejects.toThrow(/No client disconnected/);
  });

  it('close() ends hung connections at once', async () => {
    const doomed = await FakeOpenRouter.start();
    doomed.script('*', { kind: 'hang' });
    const pending = rejectionOf(
      new OpenAI({ baseURL: doomed.baseUrl, apiKey: 'k', maxRetries: 0 }).chat.completions.create({
        model: 'openai/gpt-4o',
        messages: [{ role: 'user', content: 'x' }],
      }),
    );
    while (doomed.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(doomed.openConnections).toBe(1);
    const started = Date.now();
    await doomed.close();
    expect(Date.now() - started).toBeLessThan(500);
    expect(await pending).toBeInstanceOf(OpenAI.APIConnectionError);
    expect(doomed.openConnections).toBe(0);
  });
});

describe('FakeAzure against the openai SDK', () => {
  let sut: FakeAzure;
  const azure = (options: { deployment?: string; apiKey?: string } = {}) =>
    new AzureOpenAI({
      endpoint: sut.url,
      apiKey: options.apiKey ?? 'az-key',
      apiVersion: '2024-10-21',
      deployment: options.deployment ?? 'gpt-4o',
      maxRetries: 0,
    });
  const messages = [{ role: 'user' as const, content: 'hello azure' }];

  beforeAll(async () => {
    sut = await FakeAzure.start({ deployments: { 'gpt-4o': 'gpt-4o-2024-08-06', mini: 'gpt-4o-mini-2024-07-18' } });
  });
  afterEach(() => sut.reset());
  afterAll(async () => {
    await sut.close();
  });

  it('answers the classic deployment URL with api-key auth and content-filter annotations', async () => {
    const completion = await azure().chat.completions.create({ model: 'ignored', messages });

    expect(completion.choices[0]?.message.content).toBe('Echo: hello azure');
    expect(completion.model).toBe('gpt-4o-2024-08-06');
    const raw = completion as unknown as AzureCompletion;
    expect(raw.prompt_filter_results[0]?.content_filter_results['hate']).toEqual({ filtered: false, severity: 'safe' });
    expect(raw.choices[0]?.content_filter_results['violence']).toEqual({ filtered: false, severity: 'safe' });

    const [request] = sut.requests;
    expect(request?.headers['api-key']).toBe('az-key');
    expect(request?.credential).toBe('az-key');
    expect(`${sut.url}${request?.path ?? ''}`).toBe(sut.deploymentUrl('gpt-4o'));
  });

  it('streams from a blank choices:[] annotation chunk, with usage only when include_usage is set', async () => {
    const plain = await azure().chat.completions.create({ model: 'gpt-4o', messages });
    const chunks: LooseChunk[] = await collect(
      await azure().chat.completions.create({ model: 'gpt-4o', messages, stream: true }),
    );

    expect(chunks[0]).toMatchObject({ choices: [], id: '', model: '', object: '', prompt_filter_results: expect.any(Array) });
    expect(textOf(chunks)).toBe(plain.choices[0]?.message.content);
    expect(chunks.some((chunk) => chunk.usage !== undefined && chunk.usage !== null)).toBe(false);
    // The asynchronous filter's trailing annotation: a choice without a delta.
    expect(chunks.some((chunk) => chunk.choices[0] !== undefined && chunk.choices[0].delta === undefined)).toBe(true);

    const withUsage: LooseChunk[] = await collect(
      await azure().chat.completions.create({ model: 'gpt-4o', messages, stream: true, stream_options: { include_usage: true } }),
    );
    const last = withUsage[withUsage.length - 1];
    expect(last?.choices).toEqual([]);
    expect(last?.usage).toEqual(
      expect.objectContaining({ prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number) }),
    );
    expect(textOf(withUsage)).toBe(plain.choices[0]?.message.content);
  });

  it('can leave out the trailing annotation chunk', async () => {
    const quiet = await FakeAzure.start({ trailingAnnotations: false });
    try {
      const client = new AzureOpenAI({ endpoint: quiet.url, apiKey: 'k', apiVersion: '2024-10-21', deployment: 'anything' });
      const chunks: LooseChunk[] = await collect(await client.chat.completions.create({ model: 'x', messages, stream: true }));
      expect(chunks.every((chunk) => chunk.choices.every((choice) => choice.delta !== undefined))).toBe(true);
      expect(chunks[chunks.length - 1]?.choices[0]?.finish_reason).toBe('stop');
    } finally {
      await quiet.close();
    }
  });

  it('serves the v1 API (body model = deployment) with the key as a bearer token', async () => {
    const v1 = new OpenAI({ baseURL: sut.v1BaseUrl, apiKey: 'az-key', maxRetries: 0 });
    const completion = await v1.chat.completions.create({ model: 'mini', messages });

    expect(completion.model).toBe('gpt-4o-mini-2024-07-18');
    expect(sut.requests[0]).toMatchObject({ path: '/openai/v1/chat/completions', credential: 'az-key' });
    expect(sut.requests[0]?.headers['api-key']).toBeUndefined();
    expect((await v1.models.list()).data.map((model) => model.id)).toEqual(['gpt-4o', 'mini']);
  });

  it('serves the Foundry model-inference route', async () => {
    const response = await fetch(sut.foundryUrl(), {
      method: 'POST',
      headers: { 'api-key': 'az-key', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', messages }),
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { model: string }).model).toBe('gpt-4o-2024-08-06');
  });

  it('answers a missing api-version with 404 Resource not found and a missing key with 401', async () => {
    const noVersion = await fetch(`${sut.url}/openai/deployments/gpt-4o/chat/completions`, {
      method: 'POST',
      headers: { 'api-key': 'az-key', 'content-type': 'application/json' },
      body: JSON.stringify({ messages }),
    });
    expect(noVersion.status).toBe(404);
    expect(await noVersion.json()).toEqual({ error: { code: '404', message: 'Resource not found' } });

    const noKey = await fetch(sut.deploymentUrl('gpt-4o'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ messages }),
    });
    expect(noKey.status).toBe(401);
    expect(((await noKey.json()) as { error: { code: string } }).error.code).toBe('401');
  });

  it('answers an unknown deployment with DeploymentNotFound', async () => {
    const error = await rejectionOf(azure({ deployment: 'nope' }).chat.completions.create({ model: 'nope', messages }));
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect((error as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('DeploymentNotFound');
  });

  it('surfaces a scripted 429 with retry-after-ms, and the content-filter 400', async () => {
    sut.script('az-key', { kind: 'status', status: 429 }, FakeAzure.contentFilterError());

    const limited = (await rejectionOf(azure().chat.completions.create({ model: 'gpt-4o', messages }))) as InstanceType<
      typeof OpenAI.RateLimitError
    >;
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
    expect(limited.code).toBe('429');
    expect(limited.headers.get('retry-after-ms')).toBe('1000');

    const filtered = await rejectionOf(azure().chat.completions.create({ model: 'gpt-4o', messages }));
    expect(filtered).toBeInstanceOf(OpenAI.BadRequestError);
    expect((filtered as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('content_filter');
  });

  it('refuses to script keep-alive comments, which Azure never sends', () => {
    expect(() => sut.script('*', { kind: 'keepalive', comments: 1, intervalMs: 1 })).toThrow(/keep-alive/);
  });

  it('observes a client abort mid-stream within 100 ms', async () => {
    sut.script('*', { kind: 'ok', chunkDelayMs: 100 });
    const controller = new AbortController();
    const stream = await azure().chat.completions.create(
      { model: 'gpt-4o', messages, stream: true },
      { signal: controller.signal },
    );
    let abortedAt = 0;
    for await (const _chunk of stream) {
      abortedAt = Date.now();
      controller.abort();
      break;
    }
    const disconnect = await sut.waitForDisconnect(1000);
    expect(disconnect.at - abortedAt).toBeLessThan(100);
  });
});
