import { kindOfStatus, retryAfter } from '../openai-compatible';
import type { FailureKind, JsonObject, UpstreamError } from '../provider.types';

type Headers = Record<string, string | string[] | undefined>;

/** Bedrock's error names (as `x-amzn-errortype` gives them) by failure kind. */
const KIND_BY_ERROR: Readonly<Record<string, FailureKind>> = {
  ThrottlingException: 'rate_limited',
  // A quota (tokens per day, concurrent requests) refuses like a rate limit: another key may pass.
  ServiceQuotaExceededException: 'rate_limited',
  ServiceUnavailableException: 'server',
  ModelNotReadyException: 'server',
  InternalServerException: 'server',
  InternalFailure: 'server',
  ModelErrorException: 'server',
  ModelStreamErrorException: 'server',
  AccessDeniedException: 'auth',
  UnrecognizedClientException: 'auth',
  InvalidSignatureException: 'auth',
  IncompleteSignatureException: 'auth',
  MissingAuthenticationTokenException: 'auth',
  ExpiredTokenException: 'auth',
  InvalidClientTokenId: 'auth',
  ResourceNotFoundException: 'not_found',
  ModelTimeoutException: 'timeout',
  ValidationException: 'client',
  ConflictException: 'client',
};

/** Bedrock answers an unknown model id with a ValidationException carrying this message. */
const UNKNOWN_MODEL = /model identifier is invalid/i;

/**
 * The error's name: `x-amzn-errortype` up to the first `:` (`ThrottlingException:http://…`),
 * else the body's `__type` (possibly namespaced, `com.amazon…#Name`) or `code`.
 */
export function bedrockErrorName(body: unknown, headers: Headers): string | null {
  const header = headerValue(headers, 'x-amzn-errortype');
  if (header !== null && header !== '') return header.split(':')[0]?.trim() ?? null;
  if (isObject(body)) {
    for (const field of ['__type', 'code']) {
      const value = body[field];
      if (typeof value === 'string' && value !== '') return value.split('#').pop()?.split(':')[0]?.trim() ?? null;
    }
  }
  return null;
}

/**
 * Bedrock's error shapes (`x-amzn-errortype`, body `{message}` or `{Message}`) -> a failure kind.
 * The name decides where known, the status otherwise. Auth errors get a fixed message: AWS's
 * signature errors can echo the canonical request and the access key id.
 */
export function classifyBedrockError(status: number, body: unknown, headers: Headers): UpstreamError {
  const name = bedrockErrorName(body, headers);
  const upstreamMessage = messageOf(body);
  let kind = (name === null ? undefined : KIND_BY_ERROR[name]) ?? kindOfStatus(status);
  // SPEC: a 404 for the model at that provider falls back; Bedrock says it with a 400.
  if (kind === 'client' && UNKNOWN_MODEL.test(upstreamMessage)) kind = 'not_found';
  const message =
    kind === 'auth'
      ? `Bedrock rejected the credentials${name === null ? '' : ` (${name})`}`
      : `${name === null ? '' : `${name}: `}${upstreamMessage}`;
  return {
    kind,
    status,
    message,
    retryAfterSeconds: retryAfter(lowerCased(headers)),
    ...(kind === 'client' ? { body } : {}),
  };
}

function messageOf(body: unknown): string {
  if (isObject(body)) {
    for (const field of ['message', 'Message']) {
      const value = body[field];
      if (typeof value === 'string') return value.slice(0, 500);
    }
  }
  return typeof body === 'string' && body !== '' ? body.slice(0, 200) : 'upstream error';
}

function headerValue(headers: Headers, name: string): string | null {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue;
    return (Array.isArray(value) ? value[0] : value) ?? null;
  }
  return null;
}

function lowerCased(headers: Headers): Headers {
  return Object.fromEntries(Object.entries(headers).map(([key, value]) => [key.toLowerCase(), value]));
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
