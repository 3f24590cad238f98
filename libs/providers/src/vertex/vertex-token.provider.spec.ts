import { generateKeyPairSync, verify } from 'node:crypto';
import type { Clock } from '@gw/kernel';
import { Secret } from '@gw/kernel';
import type { UpstreamRequest } from '../provider.types';
import { TransportFailure } from '../transport/upstream-transport';
import type { VertexCredential } from './vertex.credential';
import { type TokenHttpClient, type TokenHttpResponse, VertexTokenProvider } from './vertex-token.provider';

const GOOGLE_TOKEN_URI = 'https://oauth2.googleapis.com/token';

function rsaPair(): { privateKey: string; publicKey: string } {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
}
const keys = rsaPair();

function credential(overrides: Partial<VertexCredential['serviceAccount']> = {}, trustedTokenUri = false): VertexCredential {
  return {
    provider: 'vertex',
    serviceAccount: {
      projectId: 'acme-prod',
      clientEmail: 'gw@acme-prod.iam.gserviceaccount.com',
      privateKeyId: 'kid-1',
      privateKey: new Secret(keys.privateKey),
      tokenUri: GOOGLE_TOKEN_URI,
      ...overrides,
    },
    region: 'global',
    endpointUrl: null,
    trustedTokenUri,
  };
}

class ManualClock implements Clock {
  constructor(public ms = 1_767_000_000_000) {}
  now(): Date {
    return new Date(this.ms);
  }
  nowMs(): number {
    return this.ms;
  }
}

type Reply = TokenHttpResponse | Error | 'hang';

/** A token endpoint stand-in: records requests, answers from a script (default: a fresh token). */
class StubTokenHttp implements TokenHttpClient {
  readonly requests: UpstreamRequest[] = [];
  readonly replies: Reply[] = [];
  private release: () => void = () => undefined;
  private gate: Promise<void> = Promise.resolve();

  hold(): void {
    this.gate = new Promise((resolve) => (this.release = resolve));
  }

  open(): void {
    this.release();
  }

  async post(request: UpstreamRequest, signal: AbortSignal): Promise<TokenHttpResponse> {
    this.requests.push(request);
    await this.gate;
    const reply = this.replies.shift() ?? ok(`ya29.token-${this.requests.length}`);
    if (reply === 'hang') {
      return new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
    }
    if (reply instanceof Error) throw reply;
    return reply;
  }
}

function ok(token: string, expiresIn = 3599): TokenHttpResponse {
  return { status: 200, headers: {}, body: { access_token: token, expires_in: expiresIn, token_type: 'Bearer' } };
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

describe('VertexTokenProvider', () => {
  let http: StubTokenHttp;
  let clock: ManualClock;
  let sut: VertexTokenProvider;

  beforeEach(() => {
    http = new StubTokenHttp();
    clock = new ManualClock();
    sut = new VertexTokenProvider({ http, allowPrivate: false, clock, userAgent: 'gateway-test' });
  });

  it('posts a form-encoded JWT-bearer grant to the token_uri, with an assertion the public key verifies', async () => {
    const token = await sut.accessToken(credential());
    expect(token.reveal()).toBe('ya29.token-1');
    expect(String(token)).toBe('[REDACTED]');
    const [request] = http.requests;
    expect(request).toMatchObject({
      url: GOOGLE_TOKEN_URI,
      untrustedUrl: false,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'gateway-test' },
    });
    const form = new URLSearchParams(request?.body);
    expect(form.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer');
    const [header, claims, signature] = (form.get('assertion') ?? '').split('.');
    expect(
      verify('RSA-SHA256', Buffer.from(`${header}.${claims}`), keys.publicKey, Buffer.from(signature ?? '', 'base64url')),
    ).toBe(true);
    expect(JSON.parse(Buffer.from(claims ?? '', 'base64url').toString())).toMatchObject({
      iss: 'gw@acme-prod.iam.gserviceaccount.com',
      aud: GOOGLE_TOKEN_URI,
      iat: 1_767_000_000,
      exp: 1_767_003_600,
    });
  });

  it('serves the cached token until 60 s before expiry, then fetches a new one', async () => {
    await sut.accessToken(credential());
    clock.ms += (3599 - 61) * 1000;
    expect((await sut.accessToken(credential())).reveal()).toBe('ya29.token-1');
    expect(http.requests).toHaveLength(1);
    clock.ms += 2000;
    expect((await sut.accessToken(credential())).reveal()).toBe('ya29.token-2');
    expect(http.requests).toHaveLength(2);
  });

  it('makes one token request for 100 concurrent callers with a cold cache', async () => {
    http.hold();
    const calls = Array.from({ length: 100 }, () => sut.accessToken(credential()));
    await new Promise((resolve) => setImmediate(resolve));
    http.open();
    const tokens = await Promise.all(calls);
    expect(http.requests).toHaveLength(1);
    expect(new Set(tokens.map((token) => token.reveal()))).toEqual(new Set(['ya29.token-1']));
  });

  it('keeps tokens apart per service account and per private key, even under one client_email', async () => {
    const other = rsaPair();
    const a = await sut.accessToken(credential());
    const b = await sut.accessToken(credential({ privateKey: new Secret(other.privateKey) }));
    const c = await sut.accessToken(credential({ clientEmail: 'other@acme-prod.iam.gserviceaccount.com' }));
    expect(new Set([a.reveal(), b.reveal(), c.reveal()]).size).toBe(3);
    expect(sut.size).toBe(3);
  });

  it("maps invalid_grant to an auth failure naming Google's reason, never the assertion, and caches nothing", async () => {
    http.replies.push({
      status: 400,
      headers: {},
      body: { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' },
    });
    const failure = await failureOf(sut.accessToken(credential()));
    expect(failure.failure).toEqual({
      kind: 'auth',
      status: 400,
      message: 'Google token endpoint answered 400 (invalid_grant: Invalid JWT Signature.)',
      retryAfterSeconds: null,
    });
    const assertion = new URLSearchParams(http.requests[0]?.body).get('assertion') ?? '';
    expect(failure.message).not.toContain(assertion.slice(-20));
    expect((await sut.accessToken(credential())).reveal()).toBe('ya29.token-2');
  });

  it.each([
    [{ status: 503, headers: {}, body: 'unavailable' }, 'server'],
    [{ status: 429, headers: { 'retry-after': '7' }, body: {} }, 'rate_limited'],
    [{ status: 302, headers: { location: 'https://evil.example' }, body: null }, 'server'],
    [{ status: 200, headers: {}, body: { token_type: 'Bearer' } }, 'server'],
  ])('maps a token endpoint answer %j to %s', async (reply, kind) => {
    http.replies.push(reply);
    expect((await failureOf(sut.accessToken(credential()))).failure.kind).toBe(kind);
  });

  it('maps a refused connection to connection and a silent endpoint to timeout', async () => {
    http.replies.push(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    expect((await failureOf(sut.accessToken(credential()))).failure).toMatchObject({
      kind: 'connection',
      message: 'Google token endpoint: upstream connection failed (ECONNREFUSED)',
    });
    const quick = new VertexTokenProvider({ http, allowPrivate: false, clock, timeoutMs: 30 });
    http.replies.push('hang');
    expect((await failureOf(quick.accessToken(credential()))).failure.kind).toBe('timeout');
  });

  it('keeps serving a still-valid token when its renewal fails inside the refresh margin', async () => {
    await sut.accessToken(credential());
    clock.ms += (3599 - 30) * 1000;
    http.replies.push({ status: 500, headers: {}, body: {} });
    expect((await sut.accessToken(credential())).reveal()).toBe('ya29.token-1');
    clock.ms += 40_000;
    http.replies.push({ status: 500, headers: {}, body: {} });
    expect((await failureOf(sut.accessToken(credential()))).failure.kind).toBe('server');
  });

  it("refuses a tenant token_uri that is not Google's without calling it", async () => {
    const failure = await failureOf(sut.accessToken(credential({ tokenUri: 'https://attacker.example/token' })));
    expect(failure.failure).toMatchObject({
      kind: 'auth',
      message: "service account token_uri must be Google's OAuth token endpoint",
    });
    expect(http.requests).toHaveLength(0);
  });

  it('sends other tenant token_uris through the pinned dispatcher when private upstreams are allowed', async () => {
    const permissive = new VertexTokenProvider({ http, allowPrivate: true, clock });
    await permissive.accessToken(credential({ tokenUri: 'http://127.0.0.1:9/token' }));
    await permissive.accessToken(credential({ tokenUri: GOOGLE_TOKEN_URI }));
    expect(http.requests.map((request) => request.untrustedUrl)).toEqual([true, false]);
  });

  it("trusts the platform service account's own token_uri", async () => {
    await sut.accessToken(credential({ tokenUri: 'http://10.0.0.5/token' }, true));
    expect(http.requests[0]).toMatchObject({ url: 'http://10.0.0.5/token', untrustedUrl: false });
  });

  it('refuses an unusable private key as an auth failure without a request', async () => {
    const failure = await failureOf(
      sut.accessToken(credential({ privateKey: new Secret('-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----') })),
    );
    expect(failure.failure.kind).toBe('auth');
    expect(http.requests).toHaveLength(0);
  });

  it('forgets a token on invalidate', async () => {
    await sut.accessToken(credential());
    sut.invalidate(credential());
    expect((await sut.accessToken(credential())).reveal()).toBe('ya29.token-2');
  });

  it('evicts the oldest token beyond maxEntries', async () => {
    const small = new VertexTokenProvider({ http, allowPrivate: false, clock, maxEntries: 2 });
    for (const name of ['a', 'b', 'c']) await small.accessToken(credential({ clientEmail: `${name}@p.iam.gserviceaccount.com` }));
    expect(small.size).toBe(2);
    await small.accessToken(credential({ clientEmail: 'a@p.iam.gserviceaccount.com' }));
    expect(http.requests).toHaveLength(4);
  });
});
