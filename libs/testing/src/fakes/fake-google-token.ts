import { createPublicKey, type KeyObject, randomBytes, verify } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { assertNever } from './answer';
import type { Behaviour } from './behaviour';
import { FakeHttpServer, type HttpExchange, pause, receive, scriptedReply, ScriptQueues, sendReply } from './fake-http';
import { createTestServiceAccount, type TestServiceAccount } from './test-service-account';
import type { Reply } from './upstream-dialect';

/** What the token endpoint does with one grant: issue (after `delayMs`), fail with a status, or hang. */
export type TokenBehaviour = Extract<Behaviour, { readonly kind: 'ok' | 'status' | 'hang' }>;

export interface FakeGoogleTokenOptions {
  /** `expires_in` of issued tokens, seconds. Default 3599, as Google answers. */
  readonly expiresIn?: number;
  /** The fake's clock (ms) for assertion and token expiry. Default `Date.now`. */
  readonly now?: () => number;
}

/** A service account the endpoint knows: its public key verifies the account's assertions. */
export interface RegisteredAccount {
  readonly clientEmail: string;
  readonly publicKeyPem: string;
  /** When given, an assertion's `kid` must match it. */
  readonly privateKeyId?: string;
  /** The project the account belongs to; FakeVertex refuses other projects with 403. */
  readonly projectId?: string;
}

/** An access token the fake issued. */
export interface IssuedToken {
  readonly token: string;
  readonly clientEmail: string;
  readonly projectId: string | null;
  readonly scope: string;
  /** ms since the epoch, on the fake's clock. */
  readonly expiresAt: number;
}

/** One request to the token endpoint as the fake saw it. */
export interface RecordedTokenRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly rawBody: string;
  readonly grantType: string | null;
  /** The decoded JWT header and claims (unverified), null when the assertion was unreadable. */
  readonly jwtHeader: Readonly<Record<string, unknown>> | null;
  readonly claims: Readonly<Record<string, unknown>> | null;
  /** `issued`, Google's error code (`invalid_grant`, …), or `scripted` for a scripted failure/hang. */
  readonly outcome: string;
  readonly receivedAt: number;
}

export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
const MAX_LIFETIME_SECONDS = 3600;
// Google tolerates some clock skew on iat; five minutes is generous and keeps tests honest.
const SKEW_SECONDS = 300;
const TIMEFRAME =
  'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.';

type Verdict =
  { readonly ok: true; readonly account: Account; readonly scope: string } | { readonly ok: false; readonly reply: Reply };

interface Account {
  readonly clientEmail: string;
  readonly publicKey: KeyObject;
  readonly privateKeyId: string | null;
  readonly projectId: string | null;
}

/**
 * A fake Google OAuth token endpoint (`POST {url}/token`) for the service-account JWT-bearer
 * grant. It verifies each assertion's RS256 signature against the registered account's public
 * key and checks iss, aud (= its own token URI), scope, iat and exp, answering as Google does
 * (`400 {"error":"invalid_grant","error_description":…}`) when something is off. Issued tokens are
 * remembered so FakeVertex can accept exactly those. Requests are recorded and counted.
 */
export class FakeGoogleToken {
  /** Every request since start or `reset()`, in arrival order. */
  readonly requests: RecordedTokenRequest[] = [];

  private readonly http: FakeHttpServer;
  private readonly accounts = new Map<string, Account>();
  private readonly tokens = new Map<string, IssuedToken>();
  private readonly queues = new ScriptQueues<TokenBehaviour>({ kind: 'ok' });
  private readonly expiresIn: number;
  private readonly now: () => number;

  private constructor(options: FakeGoogleTokenOptions) {
    this.expiresIn = options.expiresIn ?? 3599;
    this.now = options.now ?? Date.now;
    this.http = new FakeHttpServer({ label: 'fake token endpoint', handle: (req, exchange) => this.handle(req, exchange) });
  }

  static async start(options: FakeGoogleTokenOptions = {}): Promise<FakeGoogleToken> {
    const fake = new FakeGoogleToken(options);
    await fake.http.listen();
    return fake;
  }

  /** Base URL without a trailing slash. */
  get url(): string {
    return this.http.url;
  }

  /** The `token_uri` service accounts should carry (also the `aud` assertions must name). */
  get tokenUri(): string {
    return `${this.http.url}/token`;
  }

  /** Requests received since start or `reset()`. */
  get requestCount(): number {
    return this.requests.length;
  }

  /** Tokens issued since start or `reset()`, expired and revoked ones included. */
  get issuedCount(): number {
    return this.tokens.size;
  }

  /** Makes the endpoint accept assertions signed by this account's private key. */
  register(account: RegisteredAccount | TestServiceAccount): this {
    const projectId = 'projectId' in account && account.projectId !== undefined ? account.projectId : null;
    this.accounts.set(account.clientEmail, {
      clientEmail: account.clientEmail,
      publicKey: createPublicKey(account.publicKeyPem),
      privateKeyId: account.privateKeyId ?? null,
      projectId,
    });
    return this;
  }

  /** A fresh test service account whose token_uri is this endpoint, already registered. */
  createServiceAccount(
    options: { readonly projectId?: string; readonly region?: string; readonly name?: string } = {},
  ): TestServiceAccount {
    const account = createTestServiceAccount({ tokenUri: this.tokenUri, ...options });
    this.register(account);
    return account;
  }

  /**
   * Queues behaviours for grants by `clientEmail` (or `'*'` for any account without its own
   * queue). Each grant consumes one; an empty queue means a normal, verified grant.
   */
  script(clientEmail: string, ...behaviours: readonly TokenBehaviour[]): this {
    this.queues.add(clientEmail, behaviours);
    return this;
  }

  /** The token's record while it is valid (issued here, not expired, not revoked), else null. */
  lookup(token: string): IssuedToken | null {
    const issued = this.tokens.get(token);
    return issued !== undefined && issued.expiresAt > this.now() ? issued : null;
  }

  /** Issues a token without a grant: for clients that take a ready access token (SDK tests). */
  issueToken(clientEmail: string, expiresInSeconds: number = this.expiresIn): string {
    const account = this.accounts.get(clientEmail);
    if (account === undefined) throw new Error(`${clientEmail} is not registered with the fake token endpoint`);
    return this.issue(account, CLOUD_PLATFORM_SCOPE, expiresInSeconds).token;
  }

  revoke(token: string): void {
    this.tokens.delete(token);
  }

  /** Forgets recorded requests, issued tokens and scripts; registered accounts stay. */
  reset(): void {
    this.requests.length = 0;
    this.tokens.clear();
    this.queues.reset();
  }

  close(): Promise<void> {
    return this.http.close();
  }

  private async handle(req: IncomingMessage, { res, signal }: HttpExchange<unknown>): Promise<void> {
    const { method, path, headers, rawBody } = await receive(req);
    const form = new URLSearchParams(rawBody);
    const assertion = form.get('assertion');
    const decoded = assertion === null ? null : decodeJwt(assertion);
    const record = (outcome: string): void => {
      this.requests.push({
        method,
        path,
        headers,
        rawBody,
        grantType: form.get('grant_type'),
        jwtHeader: decoded?.header ?? null,
        claims: decoded?.claims ?? null,
        outcome,
        receivedAt: Date.now(),
      });
    };

    const iss = decoded !== null && typeof decoded.claims['iss'] === 'string' ? decoded.claims['iss'] : null;
    const behaviour = this.queues.take(iss);
    switch (behaviour.kind) {
      case 'hang':
        record('scripted');
        return;
      case 'status':
        record('scripted');
        if (!(await pause(signal, behaviour.delayMs ?? 0))) return;
        send(res, scriptedReply(behaviour, { status: behaviour.status, body: googleOAuthError(behaviour.status), headers: {} }));
        return;
      case 'ok':
        break;
      default:
        return assertNever(behaviour);
    }

    const verdict = this.verify(req, headers, form, assertion, decoded);
    if (!verdict.ok) {
      const body = verdict.reply.body;
      record(typeof body === 'object' && body !== null && 'error' in body ? String(body.error) : 'error');
      send(res, verdict.reply);
      return;
    }
    record('issued');
    if (!(await pause(signal, behaviour.delayMs ?? 0))) return;
    const issued = this.issue(verdict.account, verdict.scope, this.expiresIn);
    send(res, {
      status: 200,
      body: { access_token: issued.token, expires_in: this.expiresIn, token_type: 'Bearer' },
      headers: { 'cache-control': 'no-cache, no-store, max-age=0, must-revalidate', pragma: 'no-cache' },
    });
  }

  private verify(
    req: IncomingMessage,
    headers: Readonly<Record<string, string>>,
    form: URLSearchParams,
    assertion: string | null,
    decoded: DecodedJwt | null,
  ): Verdict {
    const fail = (status: number, error: string, description: string): Verdict => ({
      ok: false,
      reply: { status, body: { error, error_description: description }, headers: {} },
    });
    if (req.method !== 'POST' || (req.url ?? '').split('?')[0] !== '/token') {
      return { ok: false, reply: { status: 404, body: 'Not Found', headers: {} } };
    }
    if (!(headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')) {
      return fail(400, 'invalid_request', 'Invalid Content-Type: expected application/x-www-form-urlencoded');
    }
    const grantType = form.get('grant_type');
    if (grantType !== JWT_BEARER_GRANT) return fail(400, 'unsupported_grant_type', `Invalid grant_type: ${grantType ?? ''}`);
    if (assertion === null) return fail(400, 'invalid_request', 'Missing required parameter: assertion');
    if (decoded === null || decoded.header['alg'] !== 'RS256') return fail(400, 'invalid_grant', 'Invalid JWT.');

    const iss = decoded.claims['iss'];
    const account = typeof iss === 'string' ? this.accounts.get(iss) : undefined;
    if (account === undefined) return fail(400, 'invalid_grant', 'Invalid grant: account not found');
    const kid = decoded.header['kid'];
    const kidMatches = kid === undefined || account.privateKeyId === null || kid === account.privateKeyId;
    if (!kidMatches || !verify('RSA-SHA256', Buffer.from(decoded.signingInput), account.publicKey, decoded.signature)) {
      return fail(400, 'invalid_grant', 'Invalid JWT Signature.');
    }
    if (decoded.claims['aud'] !== this.tokenUri) {
      return fail(400, 'invalid_grant', 'Invalid JWT: Failed audience check. The expected value was ' + this.tokenUri);
    }
    const iat = decoded.claims['iat'];
    const exp = decoded.claims['exp'];
    const now = Math.floor(this.now() / 1000);
    if (
      typeof iat !== 'number' ||
      typeof exp !== 'number' ||
      exp <= now ||
      iat > now + SKEW_SECONDS ||
      exp - iat > MAX_LIFETIME_SECONDS
    ) {
      return fail(400, 'invalid_grant', TIMEFRAME);
    }
    const scope = decoded.claims['scope'];
    if (typeof scope !== 'string' || !scope.split(' ').includes(CLOUD_PLATFORM_SCOPE)) {
      return fail(400, 'invalid_scope', 'Invalid OAuth scope or ID token audience provided.');
    }
    return { ok: true, account, scope };
  }

  private issue(account: Account, scope: string, expiresInSeconds: number): IssuedToken {
    const token = `ya29.c.fake-${randomBytes(24).toString('base64url')}`;
    const issued: IssuedToken = {
      token,
      clientEmail: account.clientEmail,
      projectId: account.projectId,
      scope,
      expiresAt: this.now() + expiresInSeconds * 1000,
    };
    this.tokens.set(token, issued);
    return issued;
  }
}

interface DecodedJwt {
  readonly header: Readonly<Record<string, unknown>>;
  readonly claims: Readonly<Record<string, unknown>>;
  readonly signingInput: string;
  readonly signature: Buffer;
}

function decodeJwt(jwt: string): DecodedJwt | null {
  const parts = jwt.split('.');
  const [header, claims, signature] = parts;
  if (parts.length !== 3 || header === undefined || claims === undefined || signature === undefined) return null;
  const headerJson = decodeSegment(header);
  const claimsJson = decodeSegment(claims);
  if (headerJson === null || claimsJson === null) return null;
  return {
    header: headerJson,
    claims: claimsJson,
    signingInput: `${header}.${claims}`,
    signature: Buffer.from(signature, 'base64url'),
  };
}

function decodeSegment(segment: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Google's OAuth error bodies for scripted statuses. */
function googleOAuthError(status: number): unknown {
  if (status === 400) return { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' };
  if (status === 401)
    return { error: 'unauthorized_client', error_description: 'Client is unauthorized to retrieve access tokens.' };
  if (status === 429) return { error: 'rate_limit_exceeded', error_description: 'Rate limit exceeded.' };
  return { error: 'internal_failure', error_description: 'Backend Error' };
}

/** Google spells the JSON content type with a charset. */
function send(res: ServerResponse, reply: Reply): void {
  sendReply(res, reply, 'application/json; charset=UTF-8');
}
