import { kindOfStatus, retryAfter } from '../openai-compatible';
import type { FailureKind, JsonObject, UpstreamError } from '../provider.types';
import { isObject } from './chat-content.translate';

/**
 * google.rpc status names -> failure kinds. DEADLINE_EXCEEDED (504) is a timeout: Vertex gave up
 * waiting for the model, which the gateway treats like its own first-byte timeout. ABORTED and
 * CANCELLED are transient server-side outcomes. FAILED_PRECONDITION (billing off, model terms not
 * accepted) and other argument errors go back to the client as they are.
 */
const GOOGLE_STATUS: Readonly<Record<string, FailureKind>> = {
  INVALID_ARGUMENT: 'client',
  FAILED_PRECONDITION: 'client',
  OUT_OF_RANGE: 'client',
  ALREADY_EXISTS: 'client',
  UNAUTHENTICATED: 'auth',
  PERMISSION_DENIED: 'auth',
  NOT_FOUND: 'not_found',
  UNIMPLEMENTED: 'not_found',
  RESOURCE_EXHAUSTED: 'rate_limited',
  DEADLINE_EXCEEDED: 'timeout',
  ABORTED: 'server',
  CANCELLED: 'server',
  INTERNAL: 'server',
  UNAVAILABLE: 'server',
  UNKNOWN: 'server',
  DATA_LOSS: 'server',
};

/** Anthropic error types, as Claude on Vertex relays model-side failures. */
const ANTHROPIC_TYPE: Readonly<Record<string, FailureKind>> = {
  invalid_request_error: 'client',
  request_too_large: 'client',
  authentication_error: 'auth',
  permission_error: 'auth',
  not_found_error: 'not_found',
  rate_limit_error: 'rate_limited',
  timeout_error: 'timeout',
  api_error: 'server',
  overloaded_error: 'server',
};

/** The error object of a body: google.rpc `{error:{code,message,status}}` (possibly inside an array) or Anthropic's `{type:"error",error:{type,message}}`. */
function errorObject(body: unknown): JsonObject | null {
  const top = Array.isArray(body) ? (body as unknown[])[0] : body;
  if (!isObject(top)) return null;
  const error = top['error'];
  return isObject(error) ? error : null;
}

/**
 * Classifies a non-2xx Vertex answer. The body's own status (google.rpc `status` or Anthropic
 * `error.type`) decides when it is known, the HTTP status otherwise (504 meaning timeout).
 * `Retry-After`, or google.rpc.RetryInfo's `retryDelay`, gives the wait.
 */
export function classifyVertexError(
  status: number,
  body: unknown,
  headers: Record<string, string | string[] | undefined>,
): UpstreamError {
  const error = errorObject(body);
  const googleStatus = typeof error?.['status'] === 'string' ? GOOGLE_STATUS[error['status']] : undefined;
  const anthropicType = typeof error?.['type'] === 'string' ? ANTHROPIC_TYPE[error['type']] : undefined;
  const kind = googleStatus ?? anthropicType ?? (status === 504 ? 'timeout' : kindOfStatus(status));
  return {
    kind,
    status,
    message: errorMessage(error, body),
    retryAfterSeconds: retryAfter(headers) ?? retryDelay(error),
    ...(kind === 'client' ? { body } : {}),
  };
}

function errorMessage(error: JsonObject | null, body: unknown): string {
  if (error !== null && typeof error['message'] === 'string') return error['message'].slice(0, 500);
  if (typeof body === 'string' && body.trim() !== '') return body.slice(0, 200);
  return 'upstream error';
}

/** google.rpc.RetryInfo `{"@type":"…RetryInfo","retryDelay":"30s"}`, rounded up to whole seconds. */
function retryDelay(error: JsonObject | null): number | null {
  const details = error?.['details'];
  if (!Array.isArray(details)) return null;
  for (const detail of details as unknown[]) {
    if (!isObject(detail)) continue;
    const type = detail['@type'];
    const delay = detail['retryDelay'];
    if (typeof type !== 'string' || !type.endsWith('google.rpc.RetryInfo') || typeof delay !== 'string') continue;
    const match = /^(\d+(?:\.\d+)?)s$/.exec(delay);
    if (match?.[1] !== undefined) return Math.ceil(Number(match[1]));
  }
  return null;
}
