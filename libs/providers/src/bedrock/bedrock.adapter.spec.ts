import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chatRequestBody, type ChatRequestBody } from '@gw/contracts';
import { Secret } from '@gw/kernel';
import type { AttemptContext } from '../provider.types';
import { BedrockAdapter } from './bedrock.adapter';
import type { BedrockCredential } from './bedrock-wire.types';

const MODEL = 'anthropic.claude-3-haiku-20240307-v1:0';
const NOW = new Date('2026-11-21T21:49:08Z');

function context(credential: BedrockCredential): AttemptContext<BedrockCredential> {
  return { upstreamModel: MODEL, credential, requestId: 'req-1', userAgent: 'gateway/1.0', appReferer: null, appTitle: null };
}

const apiKeyCredential: BedrockCredential = {
  provider: 'bedrock',
  auth: { kind: 'apiKey', apiKey: new Secret('ABSKexamplekey') },
  region: 'us-west-2',
  endpointUrl: null,
};

const sigv4Credential: BedrockCredential = {
  provider: 'bedrock',
  auth: {
    kind: 'sigv4',
    accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
    secretAccessKey: new Secret('wJalrXUtnFEMIEXAMPLEKEY'),
    sessionToken: null,
  },
  region: 'eu-central-1',
  endpointUrl: null,
};

function chat(body: Record<string, unknown>): ChatRequestBody {
  return chatRequestBody.parse({ model: `bedrock:${MODEL}`, messages: [{ role: 'user', content: 'hi' }], ...body });
}

describe('BedrockAdapter', () => {
  const sut = new BedrockAdapter({ now: () => NOW });

  it('sends a Bedrock API key as a Bearer token to the region endpoint, Converse body without the model', async () => {
    const request = await sut.buildRequest(chat({ max_tokens: 64 }), context(apiKeyCredential));

    expect(request.url).toBe(
      'https://bedrock-runtime.us-west-2.amazonaws.com/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse',
    );
    expect(request.headers).toEqual({
      authorization: 'Bearer ABSKexamplekey',
      'content-type': 'application/json',
      accept: 'application/json',
      'user-agent': 'gateway/1.0',
    });
    expect(JSON.parse(request.body)).toEqual({
      messages: [{ role: 'user', content: [{ text: 'hi' }] }],
      inferenceConfig: { maxTokens: 64 },
    });
    expect(request.untrustedUrl).toBe(false);
  });

  it('signs with SigV4 at the pinned time and asks for the event stream when streaming', async () => {
    const request = await sut.buildRequest(chat({ stream: true }), context(sigv4Credential));

    expect(request.url).toBe(
      'https://bedrock-runtime.eu-central-1.amazonaws.com/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse-stream',
    );
    expect(request.headers).toMatchObject({
      host: 'bedrock-runtime.eu-central-1.amazonaws.com',
      accept: 'application/vnd.amazon.eventstream',
      'x-amz-date': '20261121T214908Z',
      'user-agent': 'gateway/1.0',
    });
    expect(request.headers['authorization']).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE\/20261121\/eu-central-1\/bedrock\/aws4_request, SignedHeaders=accept;content-type;host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/,
    );
    expect(JSON.stringify(request)).not.toContain('wJalrXUtnFEMIEXAMPLEKEY');
  });

  it('replaces only scheme, host and port with BEDROCK_ENDPOINT_URL and signs that host', async () => {
    const request = await sut.buildRequest(
      chat({}),
      context({ ...sigv4Credential, endpointUrl: 'http://127.0.0.1:4566/some/prefix' }),
    );

    expect(request.url).toBe('http://127.0.0.1:4566/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse');
    expect(request.headers['host']).toBe('127.0.0.1:4566');
    expect(request.untrustedUrl).toBe(false);
  });

  it('reports what it supports and what it drops', () => {
    expect(sut.supportedParams(MODEL).has('top_k')).toBe(true);
    expect(sut.supportedParams('mistral.mistral-large-2407-v1:0').has('top_k')).toBe(false);
    expect(sut.droppedParamsWithReasons(chat({ seed: 1, temperature: 0.1 }), MODEL)).toEqual([
      { param: 'seed', reason: expect.any(String) },
    ]);
    expect(sut.droppedParams(chat({ seed: 1, temperature: 0.1, response_format: { type: 'text' } }), MODEL)).toEqual(['seed']);
  });

  it('parses a Converse response into a completion and usage', () => {
    const body: unknown = JSON.parse(readFileSync(join(__dirname, '__fixtures__', 'converse-response.text.json'), 'utf8'));

    const parsed = sut.parseResponse(body);

    expect(parsed.usage).toEqual({ promptTokens: 30, completionTokens: 12, upstreamCostUsd: null });
    expect(parsed.completion).toMatchObject({
      object: 'chat.completion',
      choices: [{ message: { content: 'Oslo is 3 °C and cloudy.' } }],
    });
  });

  it('decodes a stream and reads usage from its last chunk', () => {
    const hex = readFileSync(join(__dirname, '__fixtures__', 'converse-stream-text.hex'), 'utf8').replace(/\s+/g, '');
    const decoder = sut.createStreamDecoder();

    const events = [...decoder.push(Buffer.from(hex, 'hex')), ...decoder.end()];

    const usages = events
      .flatMap((event) => (event.type === 'chunk' ? [sut.usageOf(event.chunk)] : []))
      .filter((u) => u !== null);
    expect(usages).toEqual([
      {
        promptTokens: 10,
        completionTokens: 5,
        upstreamCostUsd: null,
        details: { prompt: { cached_tokens: 0, cache_write_tokens: 0 } },
      },
    ]);
  });

  it('classifies Bedrock errors', () => {
    expect(sut.classifyError(429, { message: 'slow' }, { 'x-amzn-errortype': 'ThrottlingException' }).kind).toBe('rate_limited');
  });
});
