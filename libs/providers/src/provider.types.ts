import type { ChatParam, ChatRequestBody, ProviderId } from '@gw/contracts';
import type { Secret } from '@gw/kernel';

export type { ProviderId } from '@gw/contracts';

/** JSON objects as the upstreams send them; adapters read only the fields they need. */
export type JsonObject = Record<string, unknown>;

/** Credentials per provider: a discriminated union, never one flat bag of fields. */
export type ProviderCredential =
  | { provider: 'openrouter'; apiKey: Secret<string>; baseUrl: string }
  | { provider: 'azure'; apiKey: Secret<string>; endpointUrl: string; modelId: string; trustedUrl: boolean }
  | { provider: 'bedrock'; auth: BedrockAuth; region: string; endpointUrl: string | null }
  | {
      provider: 'vertex';
      serviceAccount: VertexServiceAccount;
      region: string;
      endpointUrl: string | null;
      trustedTokenUri: boolean;
    };

/** Bedrock accepts a Bedrock API key (Bearer) or AWS credentials (SigV4). */
export type BedrockAuth =
  | { kind: 'apiKey'; apiKey: Secret<string> }
  | { kind: 'sigv4'; accessKeyId: string; secretAccessKey: Secret<string>; sessionToken: Secret<string> | null };

/** The fields of a Google service-account JSON the gateway uses. */
export interface VertexServiceAccount {
  readonly projectId: string;
  readonly clientEmail: string;
  readonly privateKeyId: string | null;
  readonly privateKey: Secret<string>;
  /** Where the JWT-bearer grant is posted (tenant-supplied unless `trustedTokenUri`). */
  readonly tokenUri: string;
}

export interface AttemptContext<C extends ProviderCredential = ProviderCredential> {
  readonly upstreamModel: string;
  readonly credential: C;
  readonly requestId: string;
  readonly userAgent: string;
  readonly appReferer: string | null;
  readonly appTitle: string | null;
}

export interface UpstreamRequest {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  /** Tenant-supplied URLs go through the SSRF-pinned dispatcher. */
  readonly untrustedUrl: boolean;
}

/** Why an attempt failed; the kind decides whether the next attempt is tried (SPEC section 7). */
export type FailureKind = 'auth' | 'rate_limited' | 'timeout' | 'server' | 'not_found' | 'connection' | 'client';

export interface UpstreamError {
  readonly kind: FailureKind;
  /** The upstream's HTTP status, or null when none was received. */
  readonly status: number | null;
  readonly message: string;
  readonly retryAfterSeconds: number | null;
  /** For `client` errors: the upstream's body, returned to the caller as it is. */
  readonly body?: unknown;
}

export function canFallBack(error: UpstreamError): boolean {
  return error.kind !== 'client';
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  /** What OpenRouter reports as the cost of the call (USD), when it does. */
  upstreamCostUsd: number | null;
  /**
   * The upstream's breakdowns (`prompt_tokens_details.cached_tokens`,
   * `completion_tokens_details.reasoning_tokens`), passed on to the client; counts only.
   */
  details?: { readonly prompt?: Readonly<Record<string, number>>; readonly completion?: Readonly<Record<string, number>> };
}

/** The most tokens a generation record holds per count (a Postgres integer). */
export const MAX_TOKEN_COUNT = 2_147_483_647;

/**
 * What parseResponse returns for a 2xx body that is not a completion of its backend (a proxy's
 * page, an error object, a truncated text): no choices, so the caller fails the attempt over as
 * it would a 5xx, instead of answering an empty completion and billing it.
 */
export const NOT_A_COMPLETION: { readonly completion: JsonObject; readonly usage: null } = Object.freeze({
  completion: Object.freeze({}) as JsonObject,
  usage: null,
});

/**
 * Whether an upstream's token counts can be priced and recorded: whole numbers from 0 to
 * MAX_TOKEN_COUNT. Counts outside that (negative, fractional, absurd) are an upstream bug; the
 * answer is then billed on an estimate, as one without usage is.
 */
export function isPlausibleUsage(usage: Usage): boolean {
  return (
    Number.isInteger(usage.promptTokens) &&
    Number.isInteger(usage.completionTokens) &&
    usage.promptTokens >= 0 &&
    usage.completionTokens >= 0 &&
    usage.promptTokens <= MAX_TOKEN_COUNT &&
    usage.completionTokens <= MAX_TOKEN_COUNT
  );
}

/** One decoded piece of an upstream stream. */
export type StreamEvent =
  { type: 'chunk'; chunk: JsonObject } | { type: 'comment' } | { type: 'done' } | { type: 'malformed'; reason: string };

export interface StreamDecoder {
  push(bytes: Buffer): StreamEvent[];
  end(): StreamEvent[];
}

export interface ProviderAdapter<C extends ProviderCredential = ProviderCredential> {
  readonly id: ProviderId;
  supportedParams(model: string): ReadonlySet<ChatParam>;
  /**
   * The requested parameters this backend will not honour, when it knows better than
   * `supportedParams` (a value that asks for nothing, such as `response_format: {type: "text"}`, is not dropped).
   */
  droppedParams?(request: ChatRequestBody, model: string): readonly string[];
  /** Async for backends that sign (SigV4) or need an access token first (Vertex). */
  buildRequest(request: ChatRequestBody, ctx: AttemptContext<C>): UpstreamRequest | Promise<UpstreamRequest>;
  parseResponse(body: unknown): { completion: JsonObject; usage: Usage | null };
  createStreamDecoder(): StreamDecoder;
  /** Usage carried by a stream chunk, if any. */
  usageOf(chunk: JsonObject): Usage | null;
  classifyError(status: number, body: unknown, headers: Record<string, string | string[] | undefined>): UpstreamError;
}
