import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { text } from 'node:stream/consumers';
import { setTimeout as sleep } from 'node:timers/promises';
import { assertNever, planAnswer } from './answer';
import { ANY_CREDENTIAL, type Behaviour, type OkOptions } from './behaviour';
import { readChatRequest, type ChatRequestView } from './chat-request';
import type { CompletionContext, Reply, StreamEvent, UpstreamDialect } from './upstream-dialect';

/** One request as the fake saw it. */
export interface RecordedRequest {
  readonly method: string;
  /** Path plus query string, as sent. */
  readonly path: string;
  /** Lower-cased names; repeated headers joined with `, `. */
  readonly headers: Readonly<Record<string, string>>;
  /** The parsed JSON body; undefined when empty or not JSON (see `rawBody`). */
  readonly body: unknown;
  readonly rawBody: string;
  /** The bearer token or Azure `api-key` the request carried, null when none. */
  readonly credential: string | null;
  readonly receivedAt: number;
}

/** A client that went away before the fake finished its response. */
export interface UpstreamDisconnect {
  readonly request: RecordedRequest;
  /** `Date.now()` when the fake noticed the closed connection. */
  readonly at: number;
  /** Milliseconds from the request's arrival to the disconnect. */
  readonly elapsedMs: number;
  /** SSE data events written before the disconnect. */
  readonly chunksSent: number;
}

export interface FakeUpstreamOptions {
  readonly dialect: UpstreamDialect;
  /** When given, any other credential gets the provider's 401; by default every credential is accepted. */
  readonly validKeys?: readonly string[];
}

/** The state of one request/response pair. */
interface Exchange {
  readonly res: ServerResponse;
  readonly signal: AbortSignal;
  readonly startedAt: number;
  request: RecordedRequest | null;
  chunksSent: number;
  /** The fake cut the connection itself (drop-mid-stream): not a client disconnect. */
  droppedBySelf: boolean;
}

interface SseFrame {
  readonly text: string;
  readonly delayMs: number;
  readonly data: boolean;
}

const OK: Behaviour = { kind: 'ok' };
const DONE = 'data: [DONE]\n\n';
const MALFORMED = 'data: {not json\n\n';
/** Chunks an `error-chunk` stream sends before its error event. */
const CONTENT_BEFORE_ERROR = 2;

/**
 * A scriptable OpenAI-protocol upstream on a bare `node:http` server, for tests. The provider's
 * URLs, credentials and wire quirks come from its `UpstreamDialect`; behaviours come from scripts.
 */
export class FakeUpstream {
  /** Every request received since start or the last `reset()`, in arrival order. */
  readonly requests: RecordedRequest[] = [];
  /** Every client disconnect since start or the last `reset()`. */
  readonly disconnects: UpstreamDisconnect[] = [];

  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly inFlight = new Set<AbortController>();
  private readonly queues = new Map<string, Behaviour[]>();
  private readonly validKeys: ReadonlySet<string> | null;
  private readonly disconnectWaiters: ((disconnect: UpstreamDisconnect) => void)[] = [];
  private fallback: Behaviour = OK;
  private listeningUrl: string | null = null;
  private closed = false;
  private sequence = 0;
  private observedDisconnects = 0;

  protected constructor(
    private readonly dialect: UpstreamDialect,
    validKeys?: readonly string[],
  ) {
    this.validKeys = validKeys === undefined ? null : new Set(validKeys);
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  static async start(options: FakeUpstreamOptions): Promise<FakeUpstream> {
    return new FakeUpstream(options.dialect, options.validKeys).listen();
  }

  protected async listen(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('The fake upstream is not listening on TCP');
    this.listeningUrl = `http://127.0.0.1:${address.port}`;
    return this;
  }

  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:40123`. */
  get url(): string {
    if (this.listeningUrl === null) throw new Error('The fake upstream has not started');
    return this.listeningUrl;
  }

  /** TCP connections currently open, idle keep-alive ones included. */
  get openConnections(): number {
    return this.sockets.size;
  }

  /**
   * Queues behaviours for chat requests carrying `credential` (`ANY_CREDENTIAL` = `'*'` for
   * requests whose own queue is empty). Each request consumes one; an empty queue means `ok`.
   */
  script(credential: string, ...behaviours: readonly Behaviour[]): this {
    for (const behaviour of behaviours) this.assertSupported(behaviour);
    const queue = this.queues.get(credential) ?? [];
    queue.push(...behaviours);
    this.queues.set(credential, queue);
    return this;
  }

  /** What requests get once the queues are empty (`ok` until changed or `reset()`). */
  setDefault(behaviour: Behaviour): this {
    this.assertSupported(behaviour);
    this.fallback = behaviour;
    return this;
  }

  /** Scripted behaviours not yet consumed for `credential`. */
  pending(credential: string = ANY_CREDENTIAL): number {
    return this.queues.get(credential)?.length ?? 0;
  }

  /** Forgets recorded requests, disconnects and scripts; open connections are left alone. */
  reset(): void {
    this.requests.length = 0;
    this.disconnects.length = 0;
    this.observedDisconnects = 0;
    this.queues.clear();
    this.fallback = OK;
  }

  /**
   * Resolves with the next client disconnect not yet returned by an earlier call (one that already
   * happened counts), so a test may start waiting after it aborted. Rejects after `timeoutMs`.
   */
  waitForDisconnect(timeoutMs = 1000): Promise<UpstreamDisconnect> {
    const ready = this.disconnects[this.observedDisconnects];
    if (ready !== undefined) {
      this.observedDisconnects += 1;
      return Promise.resolve(ready);
    }
    return new Promise((resolve, reject) => {
      const waiter = (disconnect: UpstreamDisconnect): void => {
        clearTimeout(timer);
        resolve(disconnect);
      };
      const timer = setTimeout(() => {
        const index = this.disconnectWaiters.indexOf(waiter);
        if (index >= 0) this.disconnectWaiters.splice(index, 1);
        reject(new Error(`No client disconnected from the fake upstream within ${timeoutMs} ms`));
      }, timeoutMs);
      this.disconnectWaiters.push(waiter);
    });
  }

  /** Stops listening and destroys every connection at once, hung and streaming ones included. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const controller of this.inFlight) controller.abort();
    const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Waiting for each socket's own 'close' makes `openConnections` read 0 once this resolves.
    const socketsClosed = [...this.sockets].map(
      (socket) => new Promise<void>((resolve) => socket.once('close', () => resolve())),
    );
    for (const socket of this.sockets) socket.destroy();
    await Promise.all([stopped, ...socketsClosed]);
  }

  private assertSupported(behaviour: Behaviour): void {
    if (behaviour.kind === 'keepalive' && this.dialect.keepaliveComment === null) {
      throw new Error('This provider sends no SSE keep-alive comments; script `ok` with `delayMs` instead');
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const controller = new AbortController();
    this.inFlight.add(controller);
    const exchange: Exchange = {
      res,
      signal: controller.signal,
      startedAt: Date.now(),
      request: null,
      chunksSent: 0,
      droppedBySelf: false,
    };
    // Resets after a client aborts are expected; the 'close' listener below is what reports them.
    req.on('error', ignore);
    res.on('error', ignore);
    res.on('close', () => {
      this.inFlight.delete(controller);
      controller.abort();
      if (!res.writableFinished && !exchange.droppedBySelf && !this.closed && exchange.request !== null) {
        this.recordDisconnect(exchange, exchange.request);
      }
    });
    try {
      await this.serve(req, exchange);
    } catch (error) {
      // A bug in the fake must fail the test visibly, not look like an upstream outage.
      const message = error instanceof Error ? error.message : String(error);
      if (res.headersSent) {
        exchange.droppedBySelf = true;
        res.destroy();
      } else {
        send(res, { status: 500, body: `fake upstream failure: ${message}`, headers: {} });
      }
    }
  }

  private async serve(req: IncomingMessage, exchange: Exchange): Promise<void> {
    const { res } = exchange;
    const rawBody = await text(req);
    const headers = flattenHeaders(req.headers);
    const credential = this.dialect.credential(headers);
    const request: RecordedRequest = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers,
      body: parseJson(rawBody),
      rawBody,
      credential,
      receivedAt: Date.now(),
    };
    this.requests.push(request);
    exchange.request = request;

    const route = this.dialect.route(request.method, new URL(request.path, 'http://fake.invalid'));
    const authorized = credential !== null && (this.validKeys === null || this.validKeys.has(credential));
    if (route.kind === 'respond') {
      send(res, route.requiresCredential && !authorized ? this.dialect.unauthorized(credential) : route.reply);
      return;
    }
    if (credential === null || !authorized) {
      send(res, this.dialect.unauthorized(credential));
      return;
    }
    const read = readChatRequest(request.body);
    if (!read.ok) {
      send(res, this.dialect.error(400, read.message));
      return;
    }
    const served = this.dialect.servedModel(route.deployment, read.view.model);
    if (!served.ok) {
      send(res, served.reply);
      return;
    }

    this.sequence += 1;
    const created = Math.floor(Date.now() / 1000);
    const context: CompletionContext = {
      id: this.dialect.completionId(this.sequence, created),
      created,
      model: served.model,
      includeUsage: read.view.includeUsage,
    };
    await this.perform(this.take(credential), exchange, read.view, context);
  }

  private take(credential: string): Behaviour {
    return this.queues.get(credential)?.shift() ?? this.queues.get(ANY_CREDENTIAL)?.shift() ?? this.fallback;
  }

  private async perform(
    behaviour: Behaviour,
    exchange: Exchange,
    view: ChatRequestView,
    context: CompletionContext,
  ): Promise<void> {
    switch (behaviour.kind) {
      case 'ok':
        return this.complete(exchange, view, context, behaviour, { comments: 0, intervalMs: 0 });
      case 'keepalive':
        return this.complete(exchange, view, context, behaviour, behaviour);
      case 'status':
        return this.fail(exchange, behaviour);
      case 'hang':
        return;
      case 'drop-mid-stream':
        return this.drop(exchange, view, context, behaviour.afterChunks, behaviour.chunkDelayMs ?? 0);
      case 'malformed-sse':
        return this.malformed(exchange, view, context, behaviour.chunkDelayMs ?? 0);
      case 'error-chunk':
        return this.errorMidStream(exchange, view, context, behaviour.chunkDelayMs ?? 0);
      default:
        return assertNever(behaviour);
    }
  }

  private async complete(
    exchange: Exchange,
    view: ChatRequestView,
    context: CompletionContext,
    ok: OkOptions,
    keepalive: { readonly comments: number; readonly intervalMs: number },
  ): Promise<void> {
    const answer = planAnswer(view, ok, this.toolCallId());
    if (!view.stream) {
      // A non-streamed answer has no comment lines to carry: the processing time is just a wait.
      if (!(await pause(exchange, (ok.delayMs ?? 0) + keepalive.comments * keepalive.intervalMs))) return;
      send(exchange.res, {
        status: 200,
        body: this.dialect.completion(answer, context),
        headers: this.dialect.responseHeaders(context),
      });
      return;
    }
    if (!(await pause(exchange, ok.delayMs ?? 0))) return;
    const comment = this.dialect.keepaliveComment;
    const comments: SseFrame[] = [];
    for (let i = 0; comment !== null && i < keepalive.comments; i++) {
      comments.push({ text: `${comment}\n\n`, delayMs: i === 0 ? 0 : keepalive.intervalMs, data: false });
    }
    const events = this.dialect.streamEvents(answer, context);
    const firstDelayMs = comments.length > 0 ? keepalive.intervalMs : 0;
    const frames = [...comments, ...dataFrames(events, ok.chunkDelayMs ?? 0, firstDelayMs), doneFrame()];
    await this.stream(exchange, context, frames, 'end');
  }

  private async fail(exchange: Exchange, behaviour: Extract<Behaviour, { kind: 'status' }>): Promise<void> {
    if (!(await pause(exchange, behaviour.delayMs ?? 0))) return;
    const standard = this.dialect.error(behaviour.status);
    const overrides = new Map(Object.entries(behaviour.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(standard.headers)) if (!overrides.has(name)) headers[name] = value;
    for (const [name, value] of overrides) if (value !== null) headers[name] = value;
    send(exchange.res, { status: behaviour.status, body: behaviour.body ?? standard.body, headers });
  }

  private async drop(
    exchange: Exchange,
    view: ChatRequestView,
    context: CompletionContext,
    afterChunks: number,
    chunkDelayMs: number,
  ) {
    const answer = planAnswer(view, {}, this.toolCallId());
    if (!view.stream) {
      const body = JSON.stringify(this.dialect.completion(answer, context));
      const headers = {
        ...this.dialect.responseHeaders(context),
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
      };
      exchange.res.writeHead(200, headers);
      await write(exchange.res, body.slice(0, Math.floor(body.length / 2)), exchange.signal);
      exchange.droppedBySelf = true;
      exchange.res.destroy();
      return;
    }
    const events = this.dialect.streamEvents(answer, context).slice(0, Math.max(0, afterChunks));
    await this.stream(exchange, context, dataFrames(events, chunkDelayMs, 0), 'drop');
  }

  private async malformed(exchange: Exchange, view: ChatRequestView, context: CompletionContext, chunkDelayMs: number) {
    if (!view.stream) {
      send(exchange.res, {
        status: 200,
        body: '{not json',
        headers: { ...this.dialect.responseHeaders(context), 'content-type': 'application/json' },
      });
      return;
    }
    const events = this.dialect.streamEvents(planAnswer(view, {}, this.toolCallId()), context).slice(0, 1);
    const frames = [...dataFrames(events, chunkDelayMs, 0), { text: MALFORMED, delayMs: chunkDelayMs, data: true }, doneFrame()];
    await this.stream(exchange, context, frames, 'end');
  }

  private async errorMidStream(exchange: Exchange, view: ChatRequestView, context: CompletionContext, chunkDelayMs: number) {
    if (!view.stream) {
      send(exchange.res, this.dialect.error(502));
      return;
    }
    const events = this.dialect.streamEvents(planAnswer(view, {}, this.toolCallId()), context);
    const sent: StreamEvent[] = [];
    let contentSent = 0;
    for (const event of events) {
      if (contentSent >= CONTENT_BEFORE_ERROR) break;
      sent.push(event);
      if (event.content) contentSent += 1;
    }
    sent.push({ payload: this.dialect.streamError(context), content: false });
    await this.stream(exchange, context, [...dataFrames(sent, chunkDelayMs, 0), doneFrame()], 'end');
  }

  /** Writes an SSE response frame by frame; `drop` destroys the socket instead of ending it. */
  private async stream(exchange: Exchange, context: CompletionContext, frames: readonly SseFrame[], ending: 'end' | 'drop') {
    const { res, signal } = exchange;
    res.writeHead(200, {
      ...this.dialect.responseHeaders(context),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
    });
    res.flushHeaders();
    for (const frame of frames) {
      if (!(await pause(exchange, frame.delayMs))) return;
      await write(res, frame.text, signal);
      if (signal.aborted) return;
      if (frame.data) exchange.chunksSent += 1;
    }
    if (ending === 'drop') {
      exchange.droppedBySelf = true;
      res.destroy();
    } else {
      res.end();
    }
  }

  private toolCallId(): string {
    return `call_fake${String(this.sequence).padStart(8, '0')}`;
  }

  private recordDisconnect(exchange: Exchange, request: RecordedRequest): void {
    const at = Date.now();
    const disconnect: UpstreamDisconnect = { request, at, elapsedMs: at - exchange.startedAt, chunksSent: exchange.chunksSent };
    this.disconnects.push(disconnect);
    const waiter = this.disconnectWaiters.shift();
    if (waiter !== undefined) {
      this.observedDisconnects += 1;
      waiter(disconnect);
    }
  }
}

function ignore(): void {
  // Intentionally empty: see the caller.
}

function dataFrames(events: readonly StreamEvent[], chunkDelayMs: number, firstDelayMs: number): SseFrame[] {
  return events.map((event, i) => ({
    text: `data: ${JSON.stringify(event.payload)}\n\n`,
    delayMs: i === 0 ? firstDelayMs : chunkDelayMs,
    data: true,
  }));
}

function doneFrame(): SseFrame {
  return { text: DONE, delayMs: 0, data: false };
}

/** Waits `ms`; false when the exchange ended meanwhile (client gone or fake closed). */
async function pause(exchange: Exchange, ms: number): Promise<boolean> {
  if (exchange.signal.aborted) return false;
  if (ms <= 0) return true;
  try {
    await sleep(ms, undefined, { signal: exchange.signal });
    return true;
  } catch {
    return false;
  }
}

/** Resolves once `text` is handed to the socket, or when the exchange ends (a dead socket never calls back). */
function write(res: ServerResponse, chunk: string, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || res.destroyed) {
      resolve();
      return;
    }
    const done = (): void => {
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
    res.write(chunk, done);
  });
}

function send(res: ServerResponse, reply: Reply): void {
  if (res.headersSent || res.destroyed) return;
  const payload = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
  const contentType = typeof reply.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json';
  res.writeHead(reply.status, { 'content-type': contentType, ...reply.headers });
  res.end(payload);
}

function flattenHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function parseJson(raw: string): unknown {
  if (raw.trim() === '') return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}
