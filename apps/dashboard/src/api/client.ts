import type { ErrorResponse } from '@gw/contracts';

/** An error answer from the API, or a network failure (code 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** The request field the server blames, as a dotted path (`secret.region`). */
    readonly field: string | undefined,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

function isErrorResponse(value: unknown): value is ErrorResponse {
  if (typeof value !== 'object' || value === null || !('error' in value)) return false;
  const error = value.error;
  return typeof error === 'object' && error !== null && 'message' in error;
}

export interface RequestOptions {
  body?: unknown;
  /** A gateway key for /v1 calls; /api calls ride on the httpOnly session cookie. */
  bearer?: string;
  signal?: AbortSignal;
}

/** Sends a request and returns the raw response, or throws ApiError with the server's message. */
export async function send(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
  const headers: Record<string, string> = {};
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.bearer) headers['authorization'] = `Bearer ${options.bearer}`;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      credentials: 'same-origin',
      signal: options.signal,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(0, 'The gateway could not be reached. Check your connection and try again.', undefined);
  }
  if (!response.ok) {
    const text = await response.text();
    let parsed: unknown = null;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Not JSON (a proxy page, say): fall through to the generic message.
    }
    if (isErrorResponse(parsed)) {
      const field = parsed.error.metadata.field;
      throw new ApiError(response.status, parsed.error.message, typeof field === 'string' ? field : undefined);
    }
    throw new ApiError(response.status, `The request failed with HTTP ${response.status}.`, undefined);
  }
  return response;
}

/** JSON request; `T` is the contract type of the answer. 204 answers resolve to undefined. */
export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const response = await send(method, path, options);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

export const api = {
  get: <T>(path: string) => request<T>('GET', path),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, { body }),
  put: <T>(path: string, body: unknown) => request<T>('PUT', path, { body }),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, { body }),
  delete: (path: string) => request<undefined>('DELETE', path),
};

/** A query string from defined values only. */
export function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}
