/**
 * Every failure the product can report, as a domain code. Domain code throws these; only the error
 * table below knows about HTTP.
 */
export const ERROR_TABLE = {
  bad_request: { status: 400, message: 'The request is malformed.' },
  invalid_json: { status: 400, message: 'The request body is not valid JSON.' },
  validation_failed: { status: 400, message: 'A field is missing or has the wrong value.' },
  weak_password: { status: 400, message: 'The password is too weak.' },
  unauthenticated: { status: 401, message: 'Sign in to continue.' },
  invalid_credentials: { status: 401, message: 'The email or password is wrong.' },
  invalid_api_key: { status: 401, message: 'The gateway key is missing, malformed, revoked or disabled.' },
  insufficient_credits: { status: 402, message: 'The balance cannot cover this request.' },
  forbidden: { status: 403, message: 'You are not allowed to do this.' },
  tenant_disabled: { status: 403, message: 'This account is disabled.' },
  key_limit_exceeded: { status: 403, message: 'The key has reached its credit limit.' },
  vault_access_denied: { status: 403, message: 'The vault access proof is wrong.' },
  not_found: { status: 404, message: 'Not found.' },
  route_not_found: { status: 404, message: 'No such route.' },
  method_not_allowed: { status: 405, message: 'This method is not allowed on this route.' },
  request_timeout: { status: 408, message: 'The request took too long to arrive.' },
  upstream_timeout: { status: 408, message: 'The upstream provider did not answer in time.' },
  email_taken: { status: 409, message: 'An account with this email already exists.' },
  conflict: { status: 409, message: 'The request conflicts with the current state.' },
  payload_too_large: { status: 413, message: 'The request body is too large.' },
  headers_too_large: { status: 431, message: 'The request headers are too large.' },
  unsupported_media_type: { status: 415, message: 'Send the body as application/json.' },
  rate_limited: { status: 429, message: 'Too many requests. Retry later.' },
  internal: { status: 500, message: 'Something went wrong on our side.' },
  upstream_failed: { status: 502, message: 'The upstream provider failed.' },
  /** An upstream's own 4xx refusal, passed on with the upstream's status (see DomainError's `status` option). */
  upstream_refused: { status: 400, message: 'The upstream provider refused the request.' },
  no_provider_available: { status: 503, message: 'No provider is available for this request.' },
  unavailable: { status: 503, message: 'A backing service is unavailable.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_TABLE;

export function isErrorCode(value: string): value is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ERROR_TABLE, value);
}
