import { Agent, type Dispatcher, errors as undiciErrors, request, util as undiciUtil } from 'undici';
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

/** What the transport needs of an abort signal: AbortSignal is one, a cheaper object will do. */
export interface CancelSignal {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/**
 * A cancellation for requests and streams that most often never fires: a plain object rather than
 * an AbortController (whose signal and event machinery cost more per request than the rest of the
 * cancellation path).
 */
export class Cancellation implements CancelSignal {
  aborted = false;
  private listeners: (() => void)[] | null = null;

  addEventListener(_type: 'abort', listener: () => void): void {
    if (this.aborted) return;
    (this.listeners ??= []).push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const index = this.listeners?.indexOf(listener) ?? -1;
    if (index !== -1) this.listeners?.splice(index, 1);
  }

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    for (const listener of this.listeners?.splice(0) ?? []) listener();
  }
}

/** A response read to its end (non-streamed answers). */
export interface WholeResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

export interface UpstreamResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Dispatcher.ResponseData['body'];
}

/**
 * What sendStream does after each piece of a 2xx body: read on; `done`, the answer is complete and
 * the rest of the body (normally only the end of the chunked encoding) is read and dropped so the
 * connection stays in the pool; `stop`, the response is abandoned and its connection closed.
 */
export type StreamStep = 'more' | 'done' | 'stop';

/** Where sendStream hands a response as it arrives. */
export interface StreamReceiver {
  /** The final status arrived (a non-2xx body is then read whole, not handed over). */
  onStatus(status: number): void;
  /** One piece of a 2xx body, called synchronously as it is read from the socket. */
  onData(chunk: Buffer): StreamStep;
}

export interface StreamedResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  /** A non-2xx answer's body, read whole (empty when it exceeds maxResponseBytes); null for a 2xx. */
  readonly errorBody: Buffer | null;
  /** How a 2xx body ended: the upstream finished it, or the receiver's `done` or `stop`. */
  readonly end: 'ended' | 'done' | 'stop';
}

const PINNED_TTL_MS = 5 * 60_000;
/** Parsed upstream URLs kept (tenants' Azure deployments and Vertex models vary the path). */
const MAX_TARGETS = 1_000;
/** What is read and dropped after a receiver's `done` before the response is abandoned instead. */
const DRAIN_LIMIT_BYTES = 64 * 1024;

/**
 * One keep-alive pool for the operator's upstreams and, for tenant-supplied URLs, dispatchers
 * pinned to the address the SSRF check approved (re-checked every few minutes). Redirects are
 * never followed: a 3xx is an upstream failure.
 */
export class UpstreamTransport {
  private readonly agent: Agent;
  private readonly pinned = new Map<string, { dispatcher: Promise<Dispatcher>; expiresAt: number }>();
  private readonly targets = new Map<string, { origin: string; path: string }>();

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

  /**
   * Sends a request and reads its whole body (bounded by maxResponseBytes) without a stream in
   * between: the non-streamed path's answer is one buffer. No headers in time is a
   * HeadersTimeoutError, a silent body a BodyTimeoutError, an abort of `signal` an AbortError.
   */
  sendWhole(upstream: UpstreamRequest, signal: CancelSignal): Promise<WholeResponse> {
    return new Promise<WholeResponse>((resolve, reject) => {
      this.dispatch(upstream, reject, () => new WholeBodyHandler(this.options.maxResponseBytes, signal, resolve, reject));
    });
  }

  /**
   * Sends a request whose 2xx body is handed to `receiver` piece by piece, synchronously as undici
   * reads it (no stream or async iterator in between). Resolves when the body ended or the
   * receiver said `done` or `stop`, or, for a non-2xx, with its whole body. Rejects on an abort of
   * `signal` (RequestAbortedError), a timeout (no headers in UPSTREAM_TIMEOUT_MS, silence inside the
   * body beyond UPSTREAM_IDLE_TIMEOUT_MS), a connection failure, or an error the receiver threw.
   */
  sendStream(upstream: UpstreamRequest, signal: CancelSignal, receiver: StreamReceiver): Promise<StreamedResponse> {
    return new Promise<StreamedResponse>((resolve, reject) => {
      this.dispatch(upstream, reject, () => new StreamHandler(this.options.maxResponseBytes, signal, receiver, resolve, reject));
    });
  }

  /** POSTs through the pool (or a tenant URL's pinned dispatcher) to a dispatch handler. */
  private dispatch(upstream: UpstreamRequest, reject: (error: unknown) => void, handler: () => Dispatcher.DispatchHandler): void {
    const target = this.targetOf(upstream.url);
    const options: Dispatcher.DispatchOptions = {
      origin: target.origin,
      path: target.path,
      method: 'POST',
      headers: upstream.headers,
      body: upstream.body,
      headersTimeout: this.options.firstByteTimeoutMs,
      bodyTimeout: this.options.idleTimeoutMs,
    };
    if (!upstream.untrustedUrl) {
      this.agent.dispatch(options, handler());
      return;
    }
    this.pinnedFor(upstream.url).then((dispatcher) => dispatcher.dispatch(options, handler()), reject);
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
    return parseJsonBody(Buffer.concat(chunks));
  }

  async close(): Promise<void> {
    await this.agent.close();
    for (const { dispatcher } of this.pinned.values()) await (await dispatcher.catch(() => null))?.close();
    this.pinned.clear();
  }

  /** An upstream URL's origin and path; the few distinct URLs a gateway calls are parsed once. */
  private targetOf(url: string): { origin: string; path: string } {
    let target = this.targets.get(url);
    if (!target) {
      const parsed = new URL(url);
      target = { origin: parsed.origin, path: parsed.pathname + parsed.search };
      if (this.targets.size >= MAX_TARGETS) this.targets.clear();
      this.targets.set(url, target);
    }
    return target;
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

/** Collects one response into a buffer (undici's dispatch handler protocol). */
class WholeBodyHandler implements Dispatcher.DispatchHandler {
  private readonly link: RequestLink;
  private status = 0;
  private rawHeaders: Buffer[] = [];
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private settled = false;

  constructor(
    private readonly maxBytes: number,
    signal: CancelSignal,
    private readonly resolve: (response: WholeResponse) => void,
    private readonly reject: (error: unknown) => void,
  ) {
    this.link = new RequestLink(signal);
  }

  onConnect(abort: (error?: Error) => void): void {
    this.link.connect(abort);
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[]): boolean {
    if (statusCode < 200) return true;
    this.status = statusCode;
    this.rawHeaders = rawHeaders;
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.size += chunk.length;
    if (this.size > this.maxBytes) {
      this.link.abort(
        new TransportFailure({
          kind: 'server',
          status: this.status,
          message: 'upstream response too large',
          retryAfterSeconds: null,
        }),
      );
      return false;
    }
    this.chunks.push(chunk);
    return true;
  }

  onComplete(): void {
    if (this.finish()) {
      const body = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks, this.size);
      this.resolve({ status: this.status, headers: undiciUtil.parseHeaders(this.rawHeaders), body });
    }
  }

  onError(error: Error): void {
    if (this.finish()) this.reject(error);
  }

  private finish(): boolean {
    if (this.settled) return false;
    this.settled = true;
    this.link.release();
    return true;
  }
}

/** Hands a 2xx body to a StreamReceiver as it arrives; reads a non-2xx body whole. */
class StreamHandler implements Dispatcher.DispatchHandler {
  private readonly link: RequestLink;
  private status = 0;
  private headers: Record<string, string | string[] | undefined> = {};
  private errorChunks: Buffer[] | null = null;
  private size = 0;
  // Bytes dropped after the receiver's `done`; null while the receiver still reads.
  private drained: number | null = null;
  private settled = false;

  constructor(
    private readonly maxErrorBytes: number,
    signal: CancelSignal,
    private readonly receiver: StreamReceiver,
    private readonly resolve: (response: StreamedResponse) => void,
    private readonly reject: (error: unknown) => void,
  ) {
    this.link = new RequestLink(signal);
  }

  onConnect(abort: (error?: Error) => void): void {
    this.link.connect(abort);
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[]): boolean {
    if (statusCode < 200) return true;
    this.status = statusCode;
    this.headers = undiciUtil.parseHeaders(rawHeaders);
    if (statusCode >= 300) this.errorChunks = [];
    return this.call(() => this.receiver.onStatus(statusCode)) !== null;
  }

  onData(chunk: Buffer): boolean {
    if (this.drained !== null) {
      this.drained += chunk.length;
      if (this.drained <= DRAIN_LIMIT_BYTES) return true;
      // An upstream that keeps sending after the end of its answer: its connection is not worth keeping.
      this.link.abort(abortError());
      return false;
    }
    if (this.errorChunks) {
      this.size += chunk.length;
      if (this.size > this.maxErrorBytes) {
        // An error is told by its status; a body this large is not read on (nor is its connection kept).
        this.errorChunks = [];
        this.size = 0;
        this.finish('ended');
        this.link.abort(abortError());
        return false;
      }
      this.errorChunks.push(chunk);
      return true;
    }
    const step = this.call(() => this.receiver.onData(chunk));
    if (step === null) return false;
    if (step === 'more') return true;
    this.finish(step);
    if (step === 'done') {
      this.drained = 0;
      return true;
    }
    this.link.abort(abortError());
    return false;
  }

  onComplete(): void {
    if (this.drained !== null || this.settled) return;
    this.finish('ended');
  }

  onError(error: Error): void {
    this.fail(error);
  }

  private fail(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.link.release();
    this.reject(error);
  }

  /** Runs a receiver callback; what it throws fails the request (and closes its connection): null. */
  private call<T>(callback: () => T): T | null {
    try {
      return callback();
    } catch (error) {
      this.fail(error instanceof Error ? error : new Error(String(error)));
      this.link.abort(abortError());
      return null;
    }
  }

  private finish(end: StreamedResponse['end']): void {
    if (this.settled) return;
    this.settled = true;
    this.link.release();
    const chunks = this.errorChunks;
    const errorBody = chunks ? (chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, this.size)) : null;
    this.resolve({ status: this.status, headers: this.headers, errorBody, end });
  }
}

/**
 * Ties one dispatched request to a cancellation: an abort before the request is connected stops it
 * at connect, one after aborts it; released once the request's outcome is decided.
 */
class RequestLink {
  private abortRequest: ((error?: Error) => void) | null = null;
  private readonly onCancel = () => this.abort(abortError());

  constructor(private readonly signal: CancelSignal) {
    signal.addEventListener('abort', this.onCancel);
  }

  connect(abort: (error?: Error) => void): void {
    if (this.signal.aborted) abort(abortError());
    else this.abortRequest = abort;
  }

  abort(error: Error): void {
    this.abortRequest?.(error);
  }

  release(): void {
    this.signal.removeEventListener('abort', this.onCancel);
  }
}

function abortError(): Error {
  return new undiciErrors.RequestAbortedError();
}

/** A buffered body as JSON (null when empty, the text when it is not JSON). */
export function parseJsonBody(body: Buffer): unknown {
  if (body.length === 0) return null;
  const text = body.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
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
