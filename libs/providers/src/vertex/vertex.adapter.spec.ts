import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chatRequestBody, type ChatRequestBody, vertexSecret } from '@gw/contracts';
import { DomainError, Secret } from '@gw/kernel';
import type { AttemptContext } from '../provider.types';
import { TransportFailure } from '../transport/upstream-transport';
import { VertexAdapter } from './vertex.adapter';
import { type VertexCredential, vertexCredentialFromSecret } from './vertex.credential';
import type { VertexAccessTokens } from './vertex-token.provider';

function fixture(name: string): Buffer {
  return readFileSync(join(__dirname, '__fixtures__', name));
}

/** A token source that counts calls; the real one is covered by its own spec. */
class CountingTokens implements VertexAccessTokens {
  calls = 0;
  accessToken(): Promise<Secret<string>> {
    this.calls += 1;
    return Promise.resolve(new Secret(`ya29.test-${this.calls}`));
  }
}

const secret = vertexSecret.parse({
  type: 'service_account',
  project_id: 'acme-prod',
  private_key_id: 'kid-1',
  private_key: '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n',
  client_email: 'gw@acme-prod.iam.gserviceaccount.com',
  token_uri: 'https://oauth2.googleapis.com/token',
  region: 'us-east5',
});

function context(upstreamModel: string, credential: VertexCredential): AttemptContext<VertexCredential> {
  return { upstreamModel, credential, requestId: 'req-1', userAgent: 'gateway/1.0', appReferer: null, appTitle: null };
}

function body(extra: Record<string, unknown> = {}): ChatRequestBody {
  return chatRequestBody.parse({ model: 'x', messages: [{ role: 'user', content: 'hi' }], ...extra });
}

async function failureOf(promise: Promise<unknown>): Promise<TransportFailure> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TransportFailure) return error;
    throw error;
  }
  throw new Error('expected a TransportFailure');
}

describe('vertexCredentialFromSecret', () => {
  it('takes region from the JSON, wraps the key, and defaults region to global', () => {
    const sut = vertexCredentialFromSecret(secret, { endpointUrl: null, trustedTokenUri: false });
    expect(sut).toMatchObject({
      provider: 'vertex',
      region: 'us-east5',
      endpointUrl: null,
      trustedTokenUri: false,
      serviceAccount: {
        projectId: 'acme-prod',
        clientEmail: 'gw@acme-prod.iam.gserviceaccount.com',
        privateKeyId: 'kid-1',
        tokenUri: 'https://oauth2.googleapis.com/token',
      },
    });
    expect(sut.serviceAccount.privateKey.reveal()).toContain('PRIVATE KEY');
    expect(JSON.stringify(sut)).not.toContain('MIIB');
    const { region: _region, ...withoutRegion } = secret;
    expect(vertexCredentialFromSecret(withoutRegion, { endpointUrl: null, trustedTokenUri: true }).region).toBe('global');
  });
});

describe('VertexAdapter', () => {
  let tokens: CountingTokens;
  let sut: VertexAdapter;
  const credential = vertexCredentialFromSecret(secret, { endpointUrl: null, trustedTokenUri: false });

  beforeEach(() => {
    tokens = new CountingTokens();
    sut = new VertexAdapter(tokens, { translate: { newToolCallId: () => 'call_x', nowSeconds: () => 1 } });
  });

  it('builds a Gemini generateContent request with the access token', async () => {
    const request = await sut.buildRequest(body({ temperature: 0.2 }), context('gemini-2.5-flash', credential));
    expect(request).toEqual({
      url: 'https://us-east5-aiplatform.googleapis.com/v1/projects/acme-prod/locations/us-east5/publishers/google/models/gemini-2.5-flash:generateContent',
      headers: { authorization: 'Bearer ya29.test-1', 'content-type': 'application/json', 'user-agent': 'gateway/1.0' },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }], generationConfig: { temperature: 0.2 } }),
      untrustedUrl: false,
    });
  });

  it('builds a Claude streamRawPredict request against VERTEX_API_ENDPOINT when streaming', async () => {
    const local = vertexCredentialFromSecret(secret, { endpointUrl: 'http://127.0.0.1:4010', trustedTokenUri: false });
    const request = await sut.buildRequest(body({ stream: true }), context('claude-sonnet-4-5@20250929', local));
    expect(request.url).toBe(
      'http://127.0.0.1:4010/v1/projects/acme-prod/locations/us-east5/publishers/anthropic/models/claude-sonnet-4-5@20250929:streamRawPredict',
    );
    expect(JSON.parse(request.body)).toEqual({
      anthropic_version: 'vertex-2023-10-16',
      max_tokens: 4096,
      stream: true,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
    });
  });

  it('refuses a request Vertex cannot express as a 400 naming the field, before fetching a token', async () => {
    const request = body({
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'http://x/a.png' } }] }],
    });
    const refused = await sut.buildRequest(request, context('gemini-2.5-flash', credential)).then(
      () => null,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(DomainError);
    expect(refused).toMatchObject({ code: 'validation_failed', metadata: { field: 'messages.0.content.0.image_url.url' } });
    expect(tokens.calls).toBe(0);
  });

  it('refuses a model id that would leave its path segment', async () => {
    const failure = await failureOf(sut.buildRequest(body(), context('../../projects/other', credential)));
    expect(failure.failure.kind).toBe('client');
    expect(tokens.calls).toBe(0);
  });

  it('fails a key whose project_id cannot be a path segment as an auth failure', async () => {
    const odd = vertexCredentialFromSecret(
      { ...secret, project_id: 'acme/../other' },
      { endpointUrl: null, trustedTokenUri: false },
    );
    const failure = await failureOf(sut.buildRequest(body(), context('gemini-2.5-flash', odd)));
    expect(failure.failure).toMatchObject({
      kind: 'auth',
      message: 'service account project_id is not a valid Google Cloud project id',
    });
  });

  it('parses Gemini and Claude bodies by their shape', () => {
    const gemini = sut.parseResponse(JSON.parse(fixture('gemini-text.response.json').toString()));
    expect(gemini.usage).toEqual({ promptTokens: 21, completionTokens: 31, upstreamCostUsd: null });
    const claude = sut.parseResponse(JSON.parse(fixture('claude-tool-use.response.json').toString()));
    expect(claude.completion['choices']).toMatchObject([{ finish_reason: 'tool_calls' }]);
    expect(claude.usage).toEqual({ promptTokens: 380, completionTokens: 58, upstreamCostUsd: null });
  });

  it('decodes both stream dialects and reads usage from the final chunk', () => {
    for (const name of ['gemini-stream-text.sse', 'claude-stream-text.sse']) {
      const decoder = sut.createStreamDecoder();
      const events = [...decoder.push(fixture(name)), ...decoder.end()];
      const usages = events
        .flatMap((event) => (event.type === 'chunk' ? [sut.usageOf(event.chunk)] : []))
        .filter((u) => u !== null);
      expect(usages).toHaveLength(1);
      expect(events.at(-1)).toEqual({ type: 'done' });
    }
  });

  it('reports supported and dropped parameters per family', () => {
    expect(sut.supportedParams('claude-3-5-haiku@20241022').has('seed')).toBe(false);
    expect(sut.droppedParams(body({ seed: 1 }), 'claude-3-5-haiku@20241022')).toEqual(['seed']);
    expect(sut.droppedParams(body({ seed: 1 }), 'gemini-2.5-flash')).toEqual([]);
  });

  it('classifies Vertex errors', () => {
    const error = sut.classifyError(429, { error: { code: 429, status: 'RESOURCE_EXHAUSTED', message: 'quota' } }, {});
    expect(error).toEqual({ kind: 'rate_limited', status: 429, message: 'quota', retryAfterSeconds: null });
  });
});
