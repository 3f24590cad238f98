import OpenAI from 'openai';
import { AccountsService, KeyEvents } from '@gw/accounts';
import { Database } from '@gw/db';
import { Secret } from '@gw/kernel';
import { FakeAzure, FakeOpenRouter } from '@gw/testing';
import { call, startTestApp, type TestApp } from '../testing/test-app';

const password = 'a-long-enough-secret-9';

/** /v1/chat/completions end to end: real app, real Postgres/Redis, fake upstreams on loopback. */
describe('the gateway (SPEC sections 5 and 6)', () => {
  let openrouter: FakeOpenRouter;
  let azure: FakeAzure;
  let sut: TestApp;
  let session: string;
  let vaultKey: string;
  let creditsKey: string;
  let byokKeyId: string;
  let adminToken: string;

  beforeAll(async () => {
    openrouter = await FakeOpenRouter.start();
    azure = await FakeAzure.start();
    sut = await startTestApp({
      worker: true,
      env: {
        OPENROUTER_BASE_URL: openrouter.baseUrl,
        OPENROUTER_API_KEY: 'platform-or-key',
        AZURE_PLATFORM_CONFIG: JSON.stringify([
          {
            model_slug: 'gpt-4o',
            endpoint_url: azure.deploymentUrl('gpt-4o'),
            api_key: 'platform-azure-key',
            model_id: 'gpt-4o',
          },
        ]),
        ALLOW_PRIVATE_UPSTREAMS: 'true',
        UPSTREAM_TIMEOUT_MS: '1500',
        ADMIN_EMAIL: 'root@example.com',
      },
    });
    const signup = await call(sut.url, 'POST', '/api/auth/signup', { body: { email: 'tenant@example.com', password } });
    session = signup.body.token;
    vaultKey = (
      await call(sut.url, 'POST', '/api/keys', {
        token: session,
        body: { name: 'vault', vaultAccess: { recoveryKey: signup.body.recoveryKey } },
      })
    ).body.key;
    creditsKey = (await call(sut.url, 'POST', '/api/keys', { token: session, body: { name: 'credits' } })).body.key;
    const byok = await call(sut.url, 'POST', '/api/provider-keys', {
      token: session,
      body: { provider: 'openrouter', secret: 'tenant-or-key' },
    });
    byokKeyId = byok.body.id;
    // An admin for the alias routes.
    await sut.app.get(AccountsService).ensureAdmin('root@example.com', new Secret(password));
    adminToken = (await call(sut.url, 'POST', '/api/auth/login', { body: { email: 'root@example.com', password } })).body.token;
  });
  afterAll(async () => {
    await sut.close();
    await openrouter.close();
    await azure.close();
  });
  beforeEach(() => {
    openrouter.reset();
    azure.reset();
  });

  const chat = (key: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    call(sut.url, 'POST', '/v1/chat/completions', {
      token: key,
      body: { messages: [{ role: 'user', content: 'hello there' }], ...body },
      headers,
    });

  it('uses the tenant’s own key first and reports it', async () => {
    const res = await chat(vaultKey, { model: 'openai/gpt-4o-mini' });
    expect(res.status).toBe(200);
    expect(res.body.id).toMatch(/^gen-/);
    expect(res.body.model).toBe('openai/gpt-4o-mini');
    expect(res.body.choices[0].message.content).toContain('hello there');
    expect(res.body.usage).toEqual(
      expect.objectContaining({
        prompt_tokens: expect.any(Number),
        completion_tokens: expect.any(Number),
        total_tokens: expect.any(Number),
        is_byok: true,
        cost: 0,
      }),
    );
    expect(res.body.usage.cost_details.upstream_inference_cost).toBeGreaterThan(0);
    expect(openrouter.requests.map((r) => r.credential)).toEqual(['tenant-or-key']);
    expect(openrouter.requests[0]?.body).toEqual(expect.objectContaining({ model: 'openai/gpt-4o-mini' }));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const line = sut.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l['path'] === '/v1/chat/completions');
    expect(line).toEqual(expect.objectContaining({ msg: 'request', method: 'POST', status: 200 }));
    expect(sut.logs.join('')).not.toContain('tenant-or-key');
  });

  it('runs a key without vault access on the platform key', async () => {
    const res = await chat(creditsKey, { model: 'openai/gpt-4o-mini' });
    expect(res.status).toBe(200);
    expect(res.body.usage.is_byok).toBe(false);
    expect(openrouter.requests.map((r) => r.credential)).toEqual(['platform-or-key']);
  });

  it('retries a BYOK 429 on the platform key, and records both attempts', async () => {
    openrouter.script('tenant-or-key', { kind: 'status', status: 429, headers: { 'retry-after': '3' } });
    const res = await chat(vaultKey, { model: 'openai/gpt-4o-mini' });
    expect(res.status).toBe(200);
    expect(res.body.usage.is_byok).toBe(false);
    expect(openrouter.requests.map((r) => r.credential)).toEqual(['tenant-or-key', 'platform-or-key']);
    await sut.drainGenerations();
    const generation = await call(sut.url, 'GET', `/v1/generation?id=${String(res.body.id)}`, { token: vaultKey });
    expect(generation.status).toBe(200);
    expect(generation.body.data).toEqual(
      expect.objectContaining({
        id: res.body.id,
        model: 'openai/gpt-4o-mini',
        provider: 'openrouter',
        is_byok: false,
        fallback: true,
        status: 'ok',
        attempts: [
          { provider: 'openrouter', model: 'openai/gpt-4o-mini', byok: true, outcome: 'rate_limited', status: 429 },
          { provider: 'openrouter', model: 'openai/gpt-4o-mini', byok: false, outcome: 'ok', status: 200 },
        ],
      }),
    );
  });

  it('returns the BYOK error when the key is set to always be used', async () => {
    await call(sut.url, 'PATCH', `/api/provider-keys/${byokKeyId}`, { token: session, body: { alwaysUse: true } });
    try {
      openrouter.script('tenant-or-key', { kind: 'status', status: 429, headers: { 'retry-after': '7' } });
      const res = await chat(vaultKey, { model: 'openai/gpt-4o-mini' });
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('7');
      expect(res.body.error.code).toBe(429);
      expect(openrouter.requests.map((r) => r.credential)).toEqual(['tenant-or-key']);
    } finally {
      await call(sut.url, 'PATCH', `/api/provider-keys/${byokKeyId}`, { token: session, body: { alwaysUse: false } });
    }
  });

  it('falls back to the next model on a 5xx', async () => {
    openrouter.script('platform-or-key', { kind: 'status', status: 500 });
    const res = await chat(creditsKey, { models: ['openai/gpt-4o-mini', 'anthropic/claude-3.5-haiku'] });
    expect(res.status).toBe(200);
    expect(res.body.model).toBe('anthropic/claude-3.5-haiku');
    expect(openrouter.requests.map((r) => (r.body as { model: string }).model)).toEqual([
      'openai/gpt-4o-mini',
      'anthropic/claude-3.5-haiku',
    ]);
  });

  it('respects provider order, only and ignore', async () => {
    const viaOnly = await chat(creditsKey, { model: 'openai/gpt-4o', provider: { only: ['azure'] } });
    expect(viaOnly.status).toBe(200);
    expect(azure.requests.map((r) => r.credential)).toEqual(['platform-azure-key']);
    expect(openrouter.requests).toHaveLength(0);
    azure.reset();
    await chat(creditsKey, { model: 'openai/gpt-4o', provider: { ignore: ['openrouter'] } });
    expect(azure.requests).toHaveLength(1);
    azure.reset();
    await chat(creditsKey, { model: 'openai/gpt-4o', provider: { order: ['azure', 'openrouter'] } });
    expect(azure.requests).toHaveLength(1);
    expect(openrouter.requests).toHaveLength(0);
    await chat(creditsKey, { model: 'openai/gpt-4o', provider: { order: ['openrouter', 'azure'] } });
    expect(openrouter.requests).toHaveLength(1);
  });

  it('sorts providers by recently observed latency or throughput', async () => {
    // Observations: Azure answers gpt-4o after 120 ms, OpenRouter at once.
    azure.setDefault({ kind: 'ok', delayMs: 120 });
    for (const only of ['azure', 'openrouter']) {
      expect((await chat(creditsKey, { model: 'openai/gpt-4o', provider: { only: [only] } })).status).toBe(200);
    }
    openrouter.reset();
    azure.reset();
    await chat(creditsKey, { model: 'openai/gpt-4o', provider: { sort: 'latency' } });
    expect(openrouter.requests).toHaveLength(1);
    expect(azure.requests).toHaveLength(0);
    // Now OpenRouter is the slow one; a few answers move its average past Azure's.
    openrouter.setDefault({ kind: 'ok', delayMs: 400 });
    for (let i = 0; i < 5; i++) await chat(creditsKey, { model: 'openai/gpt-4o', provider: { only: ['openrouter'] } });
    openrouter.reset();
    azure.reset();
    await chat(creditsKey, { model: 'openai/gpt-4o', provider: { sort: 'latency' } });
    expect(azure.requests).toHaveLength(1);
    expect(openrouter.requests).toHaveLength(0);
  });

  it('forces backends with prefixes and takes parameters from the model name', async () => {
    const forced = await chat(creditsKey, { model: 'openrouter:anthropic/claude-3.5-sonnet?temperature=0.7&top_p=0.9' });
    expect(forced.status).toBe(200);
    expect(openrouter.requests[0]?.body).toEqual(
      expect.objectContaining({ model: 'anthropic/claude-3.5-sonnet', temperature: 0.7, top_p: 0.9 }),
    );
    const bodyWins = await chat(creditsKey, {
      model: 'openrouter-anthropic/claude-3.5-sonnet?temperature=0.7',
      temperature: 0.2,
    });
    expect(bodyWins.status).toBe(200);
    expect(openrouter.requests[1]?.body).toEqual(
      expect.objectContaining({ model: 'anthropic/claude-3.5-sonnet', temperature: 0.2 }),
    );
    const viaAzure = await chat(creditsKey, { model: 'azure:gpt-4o' });
    expect(viaAzure.status).toBe(200);
    expect(azure.requests).toHaveLength(1);
  });

  it('checks parameters in the model name as it checks the body, and keeps stream and routing fields in the body', async () => {
    for (const [name, problem] of [
      ['openrouter:x/y?temperature=abc', 'temperature'],
      ['openrouter:x/y?temperature=9', 'temperature'],
      ['openrouter:x/y?stream=true', 'stream'],
      ['openrouter:x/y?messages=1', 'messages'],
    ] as const) {
      const res = await chat(creditsKey, { model: name });
      expect({ name, status: res.status, field: res.body.error?.metadata?.field }).toEqual({ name, status: 400, field: 'model' });
      expect(res.body.error.message).toContain(problem);
    }
    const fallback = await chat(creditsKey, {
      model: 'openai/gpt-4o-mini',
      models: ['openrouter:x/y', 'openrouter:x/z?temperature=9'],
    });
    expect({ status: fallback.status, field: fallback.body.error?.metadata?.field }).toEqual({ status: 400, field: 'models.1' });
    expect(openrouter.requests).toHaveLength(0);
  });

  it('reads null fields as fields not sent, and accepts OpenRouter provider options it does not apply', async () => {
    const res = await chat(creditsKey, {
      model: 'openai/gpt-4o-mini',
      temperature: null,
      max_tokens: null,
      tools: null,
      stream_options: null,
      store: false,
      provider: { sort: { by: 'price' }, zdr: false, quantizations: ['fp16'], max_price: { prompt: 1, completion: 2 } },
    });
    expect(res.status).toBe(200);
    const sent = openrouter.requests[0]?.body as Record<string, unknown>;
    expect(sent).not.toHaveProperty('temperature');
    expect(sent).not.toHaveProperty('tools');
    expect(sent).not.toHaveProperty('provider');
    expect(sent['store']).toBe(false);
    const wrongType = await chat(creditsKey, { model: 123 });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error.message).not.toContain('is required');
  });

  it('never passes on a provider key that the upstream quotes in its error', async () => {
    openrouter.script('platform-or-key', {
      kind: 'status',
      status: 400,
      body: { error: { code: 400, message: 'Incorrect API key provided: platform-or-key' } },
    });
    openrouter.script('platform-or-key', {
      kind: 'status',
      status: 500,
      body: { error: { message: 'boom for platform-or-key' } },
    });
    for (let i = 0; i < 2; i++) {
      const res = await chat(creditsKey, { model: 'openrouter:openai/gpt-4o-mini' });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(JSON.stringify(res.body)).not.toContain('platform-or-key');
    }
    expect(openrouter.requests).toHaveLength(2);
  });

  it('bills an answer without upstream usage on an estimate of what it delivered', async () => {
    const content = 'x'.repeat(400);
    openrouter.script('platform-or-key', {
      kind: 'status',
      status: 200,
      body: {
        id: 'chatcmpl-1',
        object: 'chat.completion',
        created: 1,
        model: 'openai/gpt-4o-mini',
        choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
      },
    });
    const res = await chat(creditsKey, { model: 'openai/gpt-4o-mini' });
    expect(res.status).toBe(200);
    expect(res.body.choices[0].message.content).toBe(content);
    expect(res.body.usage.completion_tokens).toBe(100);
    expect(res.body.usage.prompt_tokens).toBeGreaterThan(0);
  });

  it('rewrites model names with admin alias rules', async () => {
    const put = await call(sut.url, 'PUT', '/api/admin/aliases', {
      token: adminToken,
      body: { rules: [{ pattern: '^gpt-(.*)', replacement: 'openrouter:openai/gpt-\\1' }] },
    });
    expect(put.status).toBe(200);
    const res = await chat(creditsKey, { model: 'gpt-4o' });
    expect(res.status).toBe(200);
    expect(openrouter.requests[0]?.body).toEqual(expect.objectContaining({ model: 'openai/gpt-4o' }));
    expect((await call(sut.url, 'PUT', '/api/admin/aliases', { token: session, body: { rules: [] } })).status).toBe(403);
    const bad = await call(sut.url, 'PUT', '/api/admin/aliases', {
      token: adminToken,
      body: { rules: [{ pattern: '(', replacement: 'x' }] },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.metadata.field).toBe('rules.0.pattern');
  });

  it.each([
    ['openrouter', 'openai/gpt-4o-mini', {}],
    ['azure', 'openai/gpt-4o', { provider: { only: ['azure'] } }],
  ])('streams through %s with the official SDK: same text as non-streaming, usage last', async (_name, model, extra) => {
    const client = new OpenAI({ baseURL: `${sut.url}/v1`, apiKey: creditsKey, maxRetries: 0 });
    const messages = [{ role: 'user' as const, content: 'stream me a sentence please' }];
    const whole = await client.chat.completions.create({
      model,
      messages,
      ...extra,
    } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    const stream = await client.chat.completions.create({
      model,
      messages,
      stream: true,
      ...extra,
    } as OpenAI.ChatCompletionCreateParamsStreaming);
    let text = '';
    let last: OpenAI.ChatCompletionChunk | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      last = chunk;
    }
    expect(text).toBe(whole.choices[0]?.message.content);
    expect(last?.usage).toEqual(
      expect.objectContaining({ prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number) }),
    );
    expect(last?.id).toMatch(/^gen-/);
  });

  it('supports tools and JSON mode through the SDK', async () => {
    const client = new OpenAI({ baseURL: `${sut.url}/v1`, apiKey: creditsKey, maxRetries: 0 });
    const tools = await client.chat.completions.create({
      model: 'openai/gpt-4o-mini',
      messages: [{ role: 'user', content: 'what is the weather in Paris?' }],
      tools: [
        {
          type: 'function',
          function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
        },
      ],
    });
    expect(tools.choices[0]?.message.tool_calls?.[0]).toEqual(
      expect.objectContaining({ type: 'function', function: expect.objectContaining({ name: 'get_weather' }) }),
    );
    const json = await client.chat.completions.create({
      model: 'openai/gpt-4o-mini',
      messages: [{ role: 'user', content: 'answer in json' }],
      response_format: { type: 'json_object' },
    });
    expect(JSON.parse(json.choices[0]?.message.content ?? '')).toEqual({ ok: true });
  });

  it('surfaces errors as the SDK’s typed errors', async () => {
    const client = new OpenAI({ baseURL: `${sut.url}/v1`, apiKey: creditsKey, maxRetries: 0 });
    await expect(
      client.chat.completions.create({ model: 'nobody/nothing', messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const bad = new OpenAI({ baseURL: `${sut.url}/v1`, apiKey: 'gwk_wrong', maxRetries: 0 });
    await expect(
      bad.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it('closes the upstream connection within 100 ms of a client disconnect', async () => {
    // The next chunk is a second away, so only an abort driven by the hang-up itself closes the
    // upstream in time. The client, the gateway and the fake share one process here: the best of
    // three tries keeps a pause of a loaded machine from counting as the gateway's delay.
    const delays: number[] = [];
    for (let round = 0; round < 3 && !delays.some((ms) => ms < 100); round++) {
      openrouter.script('platform-or-key', {
        kind: 'ok',
        chunkDelayMs: 1000,
        content: 'one two three four five six seven eight nine ten',
      });
      const controller = new AbortController();
      const response = await fetch(`${sut.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${creditsKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'openai/gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'x' }] }),
        signal: controller.signal,
      });
      const reader = response.body?.getReader();
      await reader?.read();
      const disconnected = openrouter.waitForDisconnect(3000);
      const abortedAt = Date.now();
      controller.abort();
      const seen = await disconnected;
      delays.push(seen.at - abortedAt);
    }
    expect(Math.min(...delays)).toBeLessThan(100);
  });

  it('answers a stream at its [DONE] and keeps the upstream connection for the next request', async () => {
    // The body's end comes well after [DONE]: the client's stream does not wait for it, and the
    // connection is not cut to stop reading (a new TLS handshake per request with real upstreams).
    const stream = () =>
      new OpenAI({ apiKey: creditsKey, baseURL: `${sut.url}/v1`, maxRetries: 0 }).chat.completions.create({
        model: 'openai/gpt-4o-mini',
        stream: true,
        messages: [{ role: 'user', content: 'kept alive' }],
      });
    const texts: string[] = [];
    let accepted = 0;
    for (let round = 0; round < 3; round++) {
      openrouter.script('platform-or-key', { kind: 'ok', endDelayMs: 300 });
      let text = '';
      for await (const chunk of await stream()) text += chunk.choices[0]?.delta.content ?? '';
      texts.push(text);
      // Once the first round's connection is in the pool, no round opens another.
      if (round === 0) accepted = openrouter.acceptedConnections;
      // The upstream finishes its body after the client's stream ended.
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
    expect(texts).toEqual(['Echo: kept alive', 'Echo: kept alive', 'Echo: kept alive']);
    expect(openrouter.acceptedConnections).toBe(accepted);
  });

  it('times a stream out when no content comes in time, with or without response headers', async () => {
    // UPSTREAM_TIMEOUT_MS is 1,500: the keep-alive comments have started the answer by then.
    for (const behaviour of [
      { kind: 'hang' as const },
      // Headers and OpenRouter's own keep-alive comments, but no data before the deadline.
      { kind: 'keepalive' as const, comments: 8, intervalMs: 400 },
    ]) {
      openrouter.script('platform-or-key', behaviour);
      const disconnected = openrouter.waitForDisconnect(5000);
      const response = await fetch(`${sut.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${creditsKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'openrouter:openai/gpt-4o-mini',
          stream: true,
          messages: [{ role: 'user', content: 'x' }],
        }),
      });
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(text.startsWith(': PROCESSING\n\n')).toBe(true);
      const events = text.split('\n\n').filter((e) => e.startsWith('data: '));
      expect(events.at(-1)).toBe('data: [DONE]');
      const errorChunk = JSON.parse(events.find((e) => e.includes('"error"'))?.slice(6) ?? '{}');
      expect({ kind: behaviour.kind, code: errorChunk.error?.code, finish: errorChunk.choices?.[0]?.finish_reason }).toEqual({
        kind: behaviour.kind,
        code: 408,
        finish: 'error',
      });
      // Nothing was served: the last chunk still carries usage, all zero.
      expect(JSON.parse(events.at(-2)?.slice(6) ?? '{}')).toEqual(errorChunk);
      expect(errorChunk.usage).toEqual(expect.objectContaining({ prompt_tokens: 0, completion_tokens: 0, cost: 0 }));
      // The upstream request was given up, its connection closed.
      await disconnected;
    }
  });

  it('ends a stream that fails after the first byte with an error chunk', async () => {
    openrouter.script('platform-or-key', { kind: 'error-chunk' });
    const response = await fetch(`${sut.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${creditsKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'openai/gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(response.status).toBe(200);
    const text = await response.text();
    const events = text.split('\n\n').filter((e) => e.startsWith('data: '));
    expect(events.at(-1)).toBe('data: [DONE]');
    const errorChunk = events
      .map((e) => e.slice(6))
      .filter((e) => e !== '[DONE]')
      .map((e) => JSON.parse(e))
      .find((c) => c.error);
    expect(errorChunk).toEqual(expect.objectContaining({ error: expect.objectContaining({ message: expect.any(String) }) }));
    expect(errorChunk.choices[0].finish_reason).toBe('error');
    // The error chunk is the last one before [DONE], and usage rides on it.
    expect(JSON.parse(events.at(-2)?.slice(6) ?? '{}')).toEqual(errorChunk);
    expect(errorChunk.usage).toEqual(
      expect.objectContaining({ completion_tokens: expect.any(Number), cost: expect.any(Number) }),
    );
  });

  it('sends keep-alive comments while waiting, then the data', async () => {
    openrouter.script('platform-or-key', { kind: 'ok', delayMs: 1300 });
    const response = await fetch(`${sut.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${creditsKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'openai/gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'slow one' }] }),
    });
    const text = await response.text();
    expect(text.startsWith(': PROCESSING\n\n')).toBe(true);
    const content = text
      .split('\n\n')
      .filter((event) => event.startsWith('data: {'))
      .map(
        (event) =>
          (JSON.parse(event.slice(6)) as { choices: { delta?: { content?: string } }[] }).choices[0]?.delta?.content ?? '',
      )
      .join('');
    expect(content).toBe('Echo: slow one');
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
  });

  it('sends the configured User-Agent and app attribution upstream', async () => {
    await chat(creditsKey, { model: 'openai/gpt-4o-mini' }, { 'http-referer': 'https://app.example', 'x-title': 'Demo' });
    expect(openrouter.requests[0]?.headers['user-agent']).toBe(sut.config.UPSTREAM_USER_AGENT);
    expect(openrouter.requests[0]?.headers['http-referer']).toBe('https://app.example');
    expect(openrouter.requests[0]?.headers['x-title']).toBe('Demo');
    expect(JSON.stringify(openrouter.requests[0]?.body)).not.toMatch(/"models"|"provider"|"route"/);
  });

  it('calls tenants’ Azure deployments in all three URL styles with their api-key', async () => {
    const deployments = [
      {
        model_slug: 'classic-4o',
        endpoint_url: azure.deploymentUrl('gpt-4o'),
        api_key: 'tenant-azure-classic',
        model_id: 'gpt-4o',
      },
      {
        model_slug: 'v1-4o',
        endpoint_url: `${azure.v1BaseUrl}/chat/completions`,
        api_key: 'tenant-azure-v1',
        model_id: 'gpt-4o',
      },
      { model_slug: 'foundry-4o', endpoint_url: azure.foundryUrl(), api_key: 'tenant-azure-foundry', model_id: 'gpt-4o' },
    ];
    const created = await call(sut.url, 'POST', '/api/provider-keys', {
      token: session,
      body: { provider: 'azure', secret: deployments },
    });
    expect(created.status).toBe(201);
    for (const deployment of deployments) {
      const res = await chat(vaultKey, { model: `azure:${deployment.model_slug}` });
      expect({ slug: deployment.model_slug, status: res.status, byok: res.body.usage?.is_byok }).toEqual({
        slug: deployment.model_slug,
        status: 200,
        byok: true,
      });
    }
    expect(azure.requests.map((r) => r.credential)).toEqual(['tenant-azure-classic', 'tenant-azure-v1', 'tenant-azure-foundry']);
    expect(azure.requests.map((r) => r.path.split('?')[0])).toEqual([
      '/openai/deployments/gpt-4o/chat/completions',
      '/openai/v1/chat/completions',
      '/models/chat/completions',
    ]);
    await call(sut.url, 'DELETE', `/api/provider-keys/${String(created.body.id)}`, { token: session });
  });

  it('compresses an oversized prompt with middle-out', async () => {
    const turn = (i: number) => ({
      role: i % 2 ? 'assistant' : 'user',
      content: `turn ${String(i)} ${'lorem ipsum '.repeat(350)}`,
    });
    const messages = [
      { role: 'system', content: 'be brief' },
      ...Array.from({ length: 40 }, (_, i) => turn(i)),
      { role: 'user', content: 'the last question' },
    ];
    const res = await call(sut.url, 'POST', '/v1/chat/completions', {
      token: creditsKey,
      body: { model: 'openai/gpt-3.5-turbo', transforms: ['middle-out'], messages },
    });
    expect(res.status).toBe(200);
    const sent = (openrouter.requests[0]?.body as { messages: { content: string }[] }).messages;
    expect(sent.length).toBeLessThan(messages.length);
    expect(sent[0]?.content).toBe('be brief');
    expect(sent[1]?.content).toBe(messages[1]?.content);
    expect(sent.at(-1)?.content).toBe('the last question');
  });

  it('refuses deeply nested bodies and answers 403 for a disabled tenant', async () => {
    let nested: unknown = 'x';
    for (let i = 0; i < 80; i++) nested = { n: nested };
    const deep = await chat(creditsKey, { model: 'openai/gpt-4o-mini', metadata: nested });
    expect(deep.status).toBe(400);
    const other = await call(sut.url, 'POST', '/api/auth/signup', { body: { email: 'disabled@example.com', password } });
    const key = (await call(sut.url, 'POST', '/api/keys', { token: other.body.token, body: { name: 'k' } })).body.key;
    expect((await chat(key, { model: 'openai/gpt-4o-mini' })).status).toBe(200);
    await sut.app.get(Database).prisma.tenant.update({ where: { id: other.body.tenant.id }, data: { disabled: true } });
    await sut.app.get(KeyEvents).publish({ kind: 'tenant', tenantId: other.body.tenant.id });
    const res = await chat(key, { model: 'openai/gpt-4o-mini' });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe(403);
  });

  it('takes current OpenAI and OpenRouter request fields and passes them to OpenRouter', async () => {
    const fields = {
      verbosity: 'low',
      prompt_cache_key: 'cache-1',
      safety_identifier: 'user-hash',
      web_search_options: { search_context_size: 'low' },
      include_reasoning: true,
      debug: { echo_upstream_body: false },
      functions: [{ name: 'lookup', parameters: { type: 'object' } }],
      function_call: 'auto',
    };
    const res = await chat(creditsKey, { model: 'openai/gpt-4o-mini', provider: { experimental: {} }, ...fields });
    expect(res.status).toBe(200);
    expect(openrouter.requests.at(-1)?.body).toEqual(expect.objectContaining(fields));
    const bad = await chat(creditsKey, { model: 'openai/gpt-4o-mini', verbosity: 'loud' });
    expect(bad.body.error.metadata.field).toBe('verbosity');
  });

  it('passes the upstream usage breakdowns on (cached and reasoning tokens), streamed and not', async () => {
    const usage = { prompt_tokens: 10, completion_tokens: 5, cached_tokens: 4, reasoning_tokens: 2 };
    openrouter.script('platform-or-key', { kind: 'ok', usage });
    const res = await chat(creditsKey, { model: 'openai/gpt-4o-mini' });
    expect(res.body.usage).toMatchObject({
      prompt_tokens: 10,
      prompt_tokens_details: expect.objectContaining({ cached_tokens: 4 }),
      completion_tokens_details: expect.objectContaining({ reasoning_tokens: 2 }),
    });
    openrouter.script('platform-or-key', { kind: 'ok', usage });
    const streamed = await call(sut.url, 'POST', '/v1/chat/completions', {
      token: creditsKey,
      body: { model: 'openai/gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi' }] },
    });
    const last = String(streamed.body)
      .split('\n\n')
      .filter((line) => line.startsWith('data: {'))
      .map((line) => JSON.parse(line.slice(6)) as { usage?: Record<string, unknown> })
      .at(-1);
    expect(last?.usage).toMatchObject({
      prompt_tokens_details: expect.objectContaining({ cached_tokens: 4 }),
      completion_tokens_details: expect.objectContaining({ reasoning_tokens: 2 }),
    });
  });

  describe('errors in the SPEC shape', () => {
    it('400 names the field', async () => {
      const unknown = await chat(creditsKey, { model: 'openai/gpt-4o-mini', frobnicate: true });
      expect(unknown.status).toBe(400);
      expect(unknown.body.error.metadata.field).toBe('frobnicate');
      const noMessages = await call(sut.url, 'POST', '/v1/chat/completions', {
        token: creditsKey,
        body: { model: 'openai/gpt-4o-mini' },
      });
      expect(noMessages.body.error.metadata.field).toBe('messages');
      const badProvider = await chat(creditsKey, { model: 'openai/gpt-4o-mini', provider: { only: ['nowhere'] } });
      expect(badProvider.status).toBe(400);
      expect(badProvider.body.error.metadata.field).toBe('provider.only.0');
    });

    it('401 for a bad key, 404 for an unknown model, 503 when no provider can serve', async () => {
      expect((await chat('gwk_nope', { model: 'openai/gpt-4o-mini' })).status).toBe(401);
      const unknown = await chat(creditsKey, { model: 'nobody/nothing' });
      expect(unknown.status).toBe(404);
      expect(unknown.body.error.code).toBe(404);
      const none = await chat(creditsKey, { model: 'azure:not-deployed' });
      expect(none.status).toBe(503);
      expect(none.body.error.code).toBe(503);
    });

    it('408 when the upstream does not answer in time', async () => {
      openrouter.script('platform-or-key', { kind: 'hang' });
      const res = await chat(creditsKey, { model: 'openrouter:openai/gpt-4o-mini' });
      expect(res.status).toBe(408);
      expect(res.body.error.code).toBe(408);
    });

    it('502 when every attempt fails, 429 when the upstream rate limits', async () => {
      openrouter.script('platform-or-key', { kind: 'status', status: 503 });
      const failed = await chat(creditsKey, { model: 'openrouter:openai/gpt-4o-mini' });
      expect(failed.status).toBe(502);
      expect(failed.body.error.metadata.attempts).toHaveLength(1);
      openrouter.script('platform-or-key', { kind: 'status', status: 429, headers: { 'retry-after': '2' } });
      const limited = await chat(creditsKey, { model: 'openrouter:openai/gpt-4o-mini' });
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('2');
      openrouter.script('platform-or-key', { kind: 'status', status: 429, headers: { 'retry-after': null } });
      const unnamed = await chat(creditsKey, { model: 'openrouter:openai/gpt-4o-mini' });
      expect(unnamed.status).toBe(429);
      expect(unnamed.headers.get('retry-after')).toBe('1');
    });

    it('treats a 2xx that is not a completion as the upstream failing: the next model serves, else 502', async () => {
      openrouter.script('platform-or-key', { kind: 'status', status: 200, body: 'not json at all' });
      const failed = await chat(creditsKey, { model: 'openrouter:openai/gpt-4o-mini' });
      expect(failed.status).toBe(502);
      expect(failed.body.error.metadata.attempts).toEqual([expect.objectContaining({ outcome: 'server', status: 200 })]);
      openrouter.script('platform-or-key', { kind: 'malformed-sse' });
      const served = await chat(creditsKey, { models: ['openai/gpt-4o-mini', 'anthropic/claude-3.5-haiku'] });
      expect(served.status).toBe(200);
      expect(served.body.choices[0].message.content).toEqual(expect.any(String));
      expect(openrouter.requests.map((r) => (r.body as { model: string }).model)).toEqual([
        'openai/gpt-4o-mini',
        'openai/gpt-4o-mini',
        'anthropic/claude-3.5-haiku',
      ]);
    });

    it('passes other upstream 4xx through without falling back', async () => {
      openrouter.script('platform-or-key', {
        kind: 'status',
        status: 400,
        body: { error: { message: 'context too long', code: 400 } },
      });
      const res = await chat(creditsKey, { models: ['openai/gpt-4o-mini', 'anthropic/claude-3.5-haiku'] });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toBe('context too long');
      expect(openrouter.requests).toHaveLength(1);
      for (const status of [402, 409, 422]) {
        openrouter.script('platform-or-key', {
          kind: 'status',
          status,
          body: { error: { message: `refused ${String(status)}`, code: status } },
        });
        const refused = await chat(creditsKey, { model: 'openrouter:openai/gpt-4o-mini' });
        expect({ status: refused.status, code: refused.body.error.code, message: refused.body.error.message }).toEqual({
          status,
          code: status,
          message: `refused ${String(status)}`,
        });
      }
    });

    it('413 for a body over MAX_BODY_BYTES', async () => {
      const res = await chat(creditsKey, {
        model: 'openai/gpt-4o-mini',
        messages: [{ role: 'user', content: 'x'.repeat(17 * 1024 * 1024) }],
      });
      expect(res.status).toBe(413);
      expect(res.body.error.code).toBe(413);
      const broken = await call(sut.url, 'POST', '/v1/chat/completions', {
        token: creditsKey,
        rawBody: '{"model": ',
        headers: { 'content-type': 'application/json' },
      });
      expect(broken.status).toBe(400);
      expect(broken.body.error.code).toBe(400);
    });
  });

  it('lists at least 30 models in OpenRouter’s shape without a key', async () => {
    const res = await call(sut.url, 'GET', '/v1/models');
    expect(res.status).toBe(200);
    expect(res.body.data.length).toBeGreaterThanOrEqual(30);
    const gpt4o = res.body.data.find((m: { id: string }) => m.id === 'openai/gpt-4o');
    expect(gpt4o).toEqual(expect.objectContaining({ name: expect.any(String), context_length: expect.any(Number) }));
    expect(gpt4o.pricing.prompt).toMatch(/^0\.\d+$/);
    expect(Number(gpt4o.pricing.prompt)).toBeGreaterThan(0);
  });

  it('lists generations and usage for the tenant', async () => {
    await chat(creditsKey, { model: 'openai/gpt-4o-mini' });
    await sut.drainGenerations();
    const page = await call(sut.url, 'GET', '/api/generations?limit=2', { token: session });
    expect(page.status).toBe(200);
    expect(page.body.data).toHaveLength(2);
    expect(page.body.data[0]).toEqual(
      expect.objectContaining({
        id: expect.stringMatching(/^gen-/),
        model: expect.any(String),
        attempts: expect.any(Array),
        status: expect.any(String),
      }),
    );
    const next = await call(sut.url, 'GET', `/api/generations?limit=2&cursor=${String(page.body.nextCursor)}`, {
      token: session,
    });
    expect(next.body.data[0].id).not.toBe(page.body.data[0].id);
    const garbage = await call(sut.url, 'GET', '/api/generations?cursor=garbage', { token: session });
    expect({ status: garbage.status, field: garbage.body.error?.metadata?.field }).toEqual({ status: 400, field: 'cursor' });
    const today = new Date().toISOString().slice(0, 10);
    const byModel = await call(sut.url, 'GET', `/api/usage?from=${today}&to=${today}&groupBy=model`, { token: session });
    expect(byModel.status).toBe(200);
    const mini = byModel.body.data.find((row: { group: string }) => row.group === 'openai/gpt-4o-mini');
    expect(mini).toEqual(
      expect.objectContaining({ requests: expect.any(Number), cost: expect.any(Number), promptTokens: expect.any(Number) }),
    );
    expect(mini.requests).toBeGreaterThan(3);
    const byDay = await call(sut.url, 'GET', '/api/usage?groupBy=day', { token: session });
    expect(byDay.body.data.map((row: { group: string }) => row.group)).toContain(today);
    const byKey = await call(sut.url, 'GET', `/api/usage?groupBy=key`, { token: session });
    expect(byKey.body.data.length).toBeGreaterThanOrEqual(2);
    const bad = await call(sut.url, 'GET', '/api/usage?from=2026-13-99', { token: session });
    expect(bad.status).toBe(400);
    const other = await call(sut.url, 'POST', '/api/auth/signup', { body: { email: 'nosy@example.com', password } });
    expect((await call(sut.url, 'GET', '/api/generations', { token: other.body.token })).body.data).toEqual([]);
  });

  it('records app attribution', async () => {
    const res = await chat(
      creditsKey,
      { model: 'openai/gpt-4o-mini' },
      { 'http-referer': 'https://app.example', 'x-title': 'Old', 'x-openrouter-title': 'My App' },
    );
    await sut.drainGenerations();
    const generation = await call(sut.url, 'GET', `/v1/generation?id=${String(res.body.id)}`, { token: creditsKey });
    expect(generation.body.data).toEqual(
      expect.objectContaining({ app_referer: 'https://app.example', app_title: 'My App', streamed: false }),
    );
  });
});
