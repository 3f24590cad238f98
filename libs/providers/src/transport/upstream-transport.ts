import { Agent, type Dispatcher, errors as undiciErrors, request } from 'undici';
import { checkUpstreamUrl, createPinnedDispatcher, UnsafeUrlError } from '@gw/net';
import type { UpstreamError, UpstreamRequest } from '../provider.types';

export interface TransportOptions {
  /** No response headers in time: the attempt fails as a timeout (UPSTREAM_TIMEOUT_MS). */
  readonly firstByteTimeoutMs: number;
  /** Longest silence inside a response body (UPSTREAM_IDLE_TIMEOUT_MS). */
  readonly idleTimeoutMs: number;
  readonly connectTimeoutMs: number;
  /** Largest non-streamed response body accepted. */
  readonly maxResponseBytes: number;
  /** ALLOW_PRIVATE_UPSTREAMS: tenant URLs may point at loopback/private addresses (tests). */
  readonly allowPrivate: boolean;
}

export interface UpstreamResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Dispatcher.ResponseData['body'];
}

const PINNED_TTL_MS = 5 * 60_000;

/**
 * One keep-alive pool for the operator's upstreams and, for tenant-supplied URLs, dispatchers
 * pinned to the address the SSRF check approved (re-checked every few minutes). Redirects are
 * never followed: a 3xx is an upstream failure.
 */
export class UpstreamTransport {
  private readonly agent: Agent;
  private readonly pinned = new Map<string, { dispatcher: Promise<Dispatcher>; expiresAt: number }>();

  constructor(private readonly options: TransportOptions) {
    this.agent = new Agent({
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 10 * 60_000,
      connections: 256,
      connect: { timeout: options.connectTimeoutMs },
    });
  }

  async send(upstream: UpstreamRequest, signal: AbortSignal): Promise<UpstreamResponse> {
    const dispatcher = upstream.untrustedUrl ? await this.pinnedFor(upstream.url) : this.agent;
    const response = await request(upstream.url, {
      method: 'POST',
      headers: upstream.headers,
      body: upstream.body,
      dispatcher,
      signal,
      headersTimeout: this.options.firstByteTimeoutMs,
      bodyTimeout: this.options.idleTimeoutMs,
    });
    return { status: response.statusCode, headers: response.headers, body: response.body };
  }

  /** Reads a whole (non-streamed) body, bounded by maxResponseBytes. */
  async readJson(response: UpstreamResponse): Promise<unknown> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body) {
      const buffer = chunk as Buffer;
      size += buffer.length;
      if (size > this.options.maxResponseBytes) {
        response.body.destroy();
        throw new TransportFailure({
          kind: 'server',
          status: response.status,
          message: 'upstream response too large',
          retryAfterSeconds: null,
        });
      }
      chunks.push(buffer);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    try {
      return text ? (JSON.parse(text) as unknown) : null;
    } catch {
      return text;
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
    for (const { dispatcher } of this.pinned.values()) await (await dispatcher.catch(() => null))?.close();
    this.pinned.clear();
  }

  private pinnedFor(url: string): Promise<Dispatcher> {
    const origin = new URL(url).origin;
    const cached = this.pinned.get(origin);
    if (cached && cached.expiresAt > Date.now()) return cached.dispatcher;
    const dispatcher = checkUpstreamUrl(url, { allowPrivate: this.options.allowPrivate }).then(
      (checked) => createPinnedDispatcher(checked, { connectTimeoutMs: this.options.connectTimeoutMs }),
      (error: unknown) => {
        this.pinned.delete(origin);
        const reason = error instanceof UnsafeUrlError ? error.reason : 'could not be checked';
        throw new TransportFailure({
          kind: 'connection',
          status: null,
          message: `upstream URL ${reason}`,
          retryAfterSeconds: null,
        });
      },
    );
    this.pinned.set(origin, { dispatcher, expiresAt: Date.now() + PINNED_TTL_MS });
    return dispatcher;
  }
}

/** An attempt that failed before or while talking to the upstream. */
export class TransportFailure extends Error {
  constructor(readonly failure: UpstreamError) {
    super(failure.message);
    this.name = 'TransportFailure';
  }
}

/** Maps what undici throws (timeouts, refused connections, resets) onto failure kinds. */
export function classifyTransportError(error: unknown): UpstreamError {
  if (error instanceof TransportFailure) return error.failure;
  if (
    error instanceof undiciErrors.HeadersTimeoutError ||
    error instanceof undiciErrors.BodyTimeoutError ||
    error instanceof undiciErrors.ConnectTimeoutError
  ) {
    return { kind: 'timeout', status: null, message: 'upstream timed out', retryAfterSeconds: null };
  }
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return {
    kind: 'connection',
    status: null,
    message: typeof code === 'string' ? `upstream connection failed (${code})` : 'upstream connection failed',
    retryAfterSeconds: null,
  };
}
