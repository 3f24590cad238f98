import { createHash } from 'node:crypto';
import { type Clock, Secret, systemClock } from '@gw/kernel';
import { checkVertexTokenUri, type HostResolver, UnsafeUrlError } from '@gw/net';
import { retryAfter } from '../openai-compatible';
import type { FailureKind, UpstreamError, UpstreamRequest } from '../provider.types';
import { classifyTransportError, TransportFailure, type UpstreamTransport } from '../transport/upstream-transport';
import { isObject } from './chat-content.translate';
import { InvalidPrivateKeyError, JWT_BEARER_GRANT_TYPE, serviceAccountAssertion } from './service-account.jwt';
import type { VertexCredential } from './vertex.credential';

/** A token endpoint's answer: status, headers and the parsed JSON body (the raw text when not JSON). */
export interface TokenHttpResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: unknown;
}

/** The one HTTP call the token exchange makes; tests may stub it and count calls. */
export interface TokenHttpClient {
  post(request: UpstreamRequest, signal: AbortSignal): Promise<TokenHttpResponse>;
}

/**
 * The token exchange over the gateway's UpstreamTransport: Google's pool for trusted and Google
 * endpoints, the SSRF-pinned dispatcher for other tenant URLs, bodies size-bounded.
 */
export function transportTokenHttp(transport: Pick<UpstreamTransport, 'send' | 'readJson'>): TokenHttpClient {
  return {
    async post(request, signal) {
      const response = await transport.send(request, signal);
      return { status: response.status, headers: response.headers, body: await transport.readJson(response) };
    },
  };
}

/** Where the Vertex adapter gets access tokens; VertexTokenProvider is the real source. */
export interface VertexAccessTokens {
  accessToken(credential: VertexCredential): Promise<Secret<string>>;
}

export interface VertexTokenProviderOptions {
  /** transportTokenHttp(the gateway's UpstreamTransport) in production. */
  readonly http: TokenHttpClient;
  /** ALLOW_PRIVATE_UPSTREAMS: a tenant's token_uri may be any http(s) URL, loopback included (tests). */
  readonly allowPrivate: boolean;
  readonly clock?: Clock;
  /** Whole token exchange, connect to last byte. Default 10 s. */
  readonly timeoutMs?: number;
  /** Tokens are renewed this long before they expire. Default 60 s. */
  readonly refreshMarginMs?: number;
  /** Cached tokens kept at most; the least recently stored goes first. Default 10 000. */
  readonly maxEntries?: number;
  readonly userAgent?: string;
  /** Resolver for tenant token_uri hosts (tests); the system's by default. */
  readonly resolve?: HostResolver;
}

interface CachedToken {
  readonly token: Secret<string>;
  readonly refreshAt: number;
  readonly expiresAt: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MARGIN_MS = 60_000;
const DEFAULT_MAX_ENTRIES = 10_000;
// A token about to expire is not worth a request: the upstream call itself takes time.
const MIN_REMAINING_MS = 5_000;

/**
 * Access tokens for service accounts, from the OAuth 2.0 JWT-bearer grant posted to each key's
 * own `token_uri` (google-auth-library always posts to Google's, which rules out any other token
 * endpoint). Tokens are cached per service account until shortly before they expire, and
 * concurrent callers with a cold cache share one token request. The cache key hashes the
 * private key too: another tenant presenting the same client_email with a different key must not
 * receive this one's token.
 *
 * A tenant's token_uri must be one of Google's endpoints (or, with allowPrivate, any URL the SSRF
 * check accepts, reached through the pinned dispatcher); the platform's own is trusted.
 *
 * Failures throw TransportFailure (see classifyTransportError): `auth` when the endpoint refuses
 * the grant or the key is unusable, `rate_limited` on 429, `server`/`connection`/`timeout` otherwise.
 */
export class VertexTokenProvider implements VertexAccessTokens {
  private readonly cache = new Map<string, CachedToken>();
  private readonly inFlight = new Map<string, Promise<CachedToken>>();
  private readonly clock: Clock;
  private readonly timeoutMs: number;
  private readonly marginMs: number;
  private readonly maxEntries: number;

  constructor(private readonly options: VertexTokenProviderOptions) {
    this.clock = options.clock ?? systemClock;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.marginMs = options.refreshMarginMs ?? DEFAULT_MARGIN_MS;
    this.maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  }

  async accessToken(credential: VertexCredential): Promise<Secret<string>> {
    const key = cacheKey(credential);
    const cached = this.cache.get(key);
    const now = this.clock.nowMs();
    if (cached !== undefined && now < cached.refreshAt) return cached.token;
    try {
      return (await this.refresh(key, credential)).token;
    } catch (error) {
      // A token inside its refresh margin still works; a failed renewal need not fail the request.
      if (cached !== undefined && this.clock.nowMs() < cached.expiresAt - MIN_REMAINING_MS) return cached.token;
      throw error;
    }
  }

  /** Forgets the cached token of `credential` (after Vertex answered 401 with it). */
  invalidate(credential: VertexCredential): void {
    this.cache.delete(cacheKey(credential));
  }

  /** Cached tokens, for metrics and tests. */
  get size(): number {
    return this.cache.size;
  }

  private refresh(key: string, credential: VertexCredential): Promise<CachedToken> {
    const pending = this.inFlight.get(key);
    if (pending !== undefined) return pending;
    const request = this.exchange(credential)
      .then((token) => {
        this.store(key, token);
        return token;
      })
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, request);
    return request;
  }

  private store(key: string, token: CachedToken): void {
    this.cache.delete(key);
    if (this.cache.size >= this.maxEntries) {
      const oldest = this.cache.keys().next();
      if (oldest.done !== true) this.cache.delete(oldest.value);
    }
    this.cache.set(key, token);
  }

  private async exchange(credential: VertexCredential): Promise<CachedToken> {
    const account = credential.serviceAccount;
    const untrustedUrl = await this.tokenUriNeedsPinning(credential);
    const startedAt = this.clock.nowMs();
    let assertion: string;
    try {
      assertion = serviceAccountAssertion({
        clientEmail: account.clientEmail,
        privateKeyId: account.privateKeyId,
        privateKeyPem: account.privateKey.reveal(),
        audience: account.tokenUri,
        issuedAt: Math.floor(startedAt / 1000),
      });
    } catch (error) {
      if (error instanceof InvalidPrivateKeyError) throw failure('auth', null, error.message);
      throw error;
    }
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    if (this.options.userAgent !== undefined) headers['user-agent'] = this.options.userAgent;
    const body = new URLSearchParams({ grant_type: JWT_BEARER_GRANT_TYPE, assertion }).toString();

    const signal = AbortSignal.timeout(this.timeoutMs);
    let response: TokenHttpResponse;
    try {
      response = await this.options.http.post({ url: account.tokenUri, headers, body, untrustedUrl }, signal);
    } catch (error) {
      if (signal.aborted) throw failure('timeout', null, 'Google token endpoint timed out');
      const cause = classifyTransportError(error);
      throw new TransportFailure({ ...cause, message: `Google token endpoint: ${cause.message}` });
    }
    const json = response.body;
    if (response.status !== 200) throw new TransportFailure(tokenEndpointError(response));

    const accessToken = isObject(json) ? json['access_token'] : undefined;
    const expiresIn = isObject(json) ? json['expires_in'] : undefined;
    if (typeof accessToken !== 'string' || accessToken === '') {
      throw failure('server', response.status, 'Google token endpoint answered without an access_token');
    }
    // Google always says; an hour is what it issues when it does not.
    const lifetimeMs = (typeof expiresIn === 'number' && expiresIn > 0 ? expiresIn : 3600) * 1000;
    const expiresAt = startedAt + lifetimeMs;
    return {
      token: new Secret(accessToken),
      expiresAt,
      refreshAt: expiresAt - Math.min(this.marginMs, lifetimeMs / 2),
    };
  }

  /**
   * True when the request must go through the SSRF-pinned dispatcher. Google's own endpoints are
   * fixed and use the ordinary pool; anything else a tenant names was already refused unless
   * allowPrivate is on.
   */
  private async tokenUriNeedsPinning(credential: VertexCredential): Promise<boolean> {
    if (credential.trustedTokenUri) return false;
    try {
      const checked = await checkVertexTokenUri(credential.serviceAccount.tokenUri, {
        allowPrivate: this.options.allowPrivate,
        ...(this.options.resolve === undefined ? {} : { resolve: this.options.resolve }),
      });
      return checked.addresses.length > 0;
    } catch (error) {
      if (error instanceof UnsafeUrlError) throw failure('auth', null, `service account token_uri ${error.reason}`);
      throw error;
    }
  }
}

function cacheKey(credential: VertexCredential): string {
  const account = credential.serviceAccount;
  const material = JSON.stringify([account.clientEmail, account.privateKeyId, account.privateKey.reveal(), account.tokenUri]);
  return createHash('sha256').update(material).digest('base64url');
}

function failure(kind: FailureKind, status: number | null, message: string): TransportFailure {
  return new TransportFailure({ kind, status, message, retryAfterSeconds: null });
}

/**
 * Google answers a refused grant with 400 `{"error":"invalid_grant","error_description":"…"}`
 * (bad signature, unknown or disabled account, clock skew): the credential is at fault.
 */
function tokenEndpointError(response: TokenHttpResponse): UpstreamError {
  const body = response.body;
  const code = isObject(body) && typeof body['error'] === 'string' ? body['error'].slice(0, 64) : null;
  const description =
    isObject(body) && typeof body['error_description'] === 'string' ? body['error_description'].slice(0, 200) : null;
  const detail = [code, description].filter((part): part is string => part !== null).join(': ');
  const status = response.status;
  let kind: FailureKind;
  if (status === 429) kind = 'rate_limited';
  else if (status >= 500 || status < 400) kind = 'server';
  else kind = 'auth';
  return {
    kind,
    status,
    message: `Google token endpoint answered ${status}${detail === '' ? '' : ` (${detail})`}`,
    retryAfterSeconds: kind === 'rate_limited' ? retryAfter(response.headers) : null,
  };
}
