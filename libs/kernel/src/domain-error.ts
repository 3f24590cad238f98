import { ERROR_TABLE, type ErrorCode } from './error-codes';

export type ErrorMetadata = Readonly<Record<string, unknown>>;

/**
 * A failure with a domain code. `message` overrides the table's public message and must be safe to
 * show to the caller: never put a secret or an internal detail in it.
 */
export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly metadata: ErrorMetadata;
  /** Extra response headers such as Retry-After. */
  readonly headers: Readonly<Record<string, string>>;
  /** A status other than the table's, for `upstream_refused` (the upstream's own 4xx). */
  private readonly statusOverride: number | undefined;

  constructor(
    code: ErrorCode,
    options: { message?: string; metadata?: ErrorMetadata; headers?: Record<string, string>; status?: number } = {},
  ) {
    super(options.message ?? ERROR_TABLE[code].message);
    this.name = 'DomainError';
    this.code = code;
    this.metadata = options.metadata ?? {};
    this.headers = options.headers ?? {};
    this.statusOverride = options.status;
  }

  get status(): number {
    return this.statusOverride ?? ERROR_TABLE[this.code].status;
  }

  static validation(field: string, message: string): DomainError {
    return new DomainError('validation_failed', { message, metadata: { field } });
  }
}

export interface ErrorBody {
  error: { code: number; message: string; metadata: ErrorMetadata };
}

export function renderError(error: DomainError): ErrorBody {
  return { error: { code: error.status, message: error.message, metadata: { type: error.code, ...error.metadata } } };
}
