import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { Socket } from 'node:net';
import { text } from 'node:stream/consumers';
import { setTimeout as sleep } from 'node:timers/promises';
import { ANY_CREDENTIAL, type Behaviour } from './behaviour';
import type { Reply } from './upstream-dialect';

/** One request/response pair on a fake server; `R` is the fake's record of the request. */
export class HttpExchange<R> {
  readonly startedAt = Date.now();
  /** Set once the fake recorded the request; a client that leaves earlier is not reported. */
  request: R | null = null;
  /** Data chunks or frames written so far. */
  sent = 0;
  /** The fake cut the connection itself (drop-mid-stream): not a client disconnect. */
  droppedBySelf = false;

  constructor(
    readonly res: ServerResponse,
    /** Aborted when the response closes or the fake closes. */
    readonly signal: AbortSignal,
  ) {}

  /** Destroys the socket on purpose, so it is not reported as a client disconnect. */
  drop(): void {
    this.droppedBySelf = true;
    this.res.destroy();
  }
}

/** A client that went away before the fake finished its response, as the server saw it. */
export interface ClientGone<R> {
  readonly request: R;
  /** `Date.now()` when the fake noticed the closed connection. */
  readonly at: number;
  /** Milliseconds from the request's arrival to the disconnect. */
  readonly elapsedMs: number;
  /** `HttpExchange.sent` at that moment. */
  readonly sent: number;
}

export interface FakeHttpServerOptions<R> {
  /** Names the fake in its errors, e.g. `fake Bedrock`. */
  readonly label: string;
  readonly handle: (req: IncomingMessage, exchange: HttpExchange<R>) => Promise<void>;
  readonly onDisconnect?: (gone: ClientGone<R>) => void;
}

/**
 * The node:http plumbing every fake shares: listen on a free loopback port, track sockets so
 * `close()` also ends hung and streaming exchanges, abort in-flight handlers on close, and report
 * clients that leave mid-response.
 */
export class FakeHttpServer<R = unknown> {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly inFlight = new Set<AbortController>();
  private listeningUrl: string | null = null;
  private closed = false;
  private accepted = 0;

  constructor(private readonly options: FakeHttpServerOptions<R>) {
    this.server = createServer((req, res) => void this.exchange(req, res));
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      this.accepted += 1;
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error(`The ${this.options.label} is not listening on TCP`);
    this.listeningUrl = `http://127.0.0.1:${address.port}`;
    return this.listeningUrl;
  }

  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:40123`. */
  get url(): string {
    if (this.listeningUrl === null) throw new Error(`The ${this.options.label} has not started`);
    return this.listeningUrl;
  }

  /** TCP connections currently open, idle keep-alive ones included. */
  get openConnections(): number {
    return this.sockets.size;
  }

  /** TCP connections accepted since the fake started. */
  get acceptedConnections(): number {
    return this.accepted;
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

  private async exchange(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const controller = new AbortController();
    this.inFlight.add(controller);
    const exchange = new HttpExchange<R>(res, controller.signal);
    // Resets after a client aborts are expected; the 'close' listener below is what reports them.
    req.on('error', ignore);
    res.on('error', ignore);
    res.on('close', () => {
      this.inFlight.delete(controller);
      controller.abort();
      const { request } = exchange;
      if (!res.writableFinished && !exchange.droppedBySelf && !this.closed && request !== null) {
        const at = Date.now();
        this.options.onDisconnect?.({ request, at, elapsedMs: at - exchange.startedAt, sent: exchange.sent });
      }
    });
    try {
      await this.options.handle(req, exchange);
    } catch (error) {
      // A bug in a fake must fail the test visibly, not look like an upstream outage.
      const message = error instanceof Error ? error.message : String(error);
      if (res.headersSent) exchange.drop();
      else sendReply(res, { status: 500, body: `${this.options.label} failure: ${message}`, headers: {} });
    }
  }
}

function ignore(): void {
  // Intentionally empty: see the caller.
}

/** Client disconnects in arrival order, and waiting for the next one. */
export class DisconnectLog<D> {
  readonly entries: D[] = [];
  private readonly waiters: ((disconnect: D) => void)[] = [];
  private observed = 0;

  /** `label` names the fake in the timeout error, e.g. `fake Vertex`. */
  constructor(private readonly label: string) {}

  record(disconnect: D): void {
    this.entries.push(disconnect);
    const waiter = this.waiters.shift();
    if (waiter !== undefined) {
      this.observed += 1;
      waiter(disconnect);
    }
  }

  /**
   * Resolves with the next disconnect not yet returned by an earlier call (one that already
   * happened counts), so a test may start waiting after it aborted. Rejects after `timeoutMs`.
   */
  next(timeoutMs: number): Promise<D> {
    const ready = this.entries[this.observed];
    if (ready !== undefined) {
      this.observed += 1;
      return Promise.resolve(ready);
    }
    return new Promise((resolve, reject) => {
      const waiter = (disconnect: D): void => {
        clearTimeout(timer);
        resolve(disconnect);
      };
      const timer = setTimeout(() => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(new Error(`No client disconnected from the ${this.label} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Forgets recorded disconnects; pending waiters keep waiting. */
  reset(): void {
    this.entries.length = 0;
    this.observed = 0;
  }
}

/**
 * Scripted behaviours queued per key (a credential, an account, …); `ANY_CREDENTIAL` serves
 * requests whose own keys have nothing queued, and the default serves once all are empty.
 */
export class ScriptQueues<B> {
  private readonly queues = new Map<string, B[]>();
  private fallback: B;

  constructor(private readonly initial: B) {
    this.fallback = initial;
  }

  add(key: string, behaviours: readonly B[]): void {
    const queue = this.queues.get(key) ?? [];
    queue.push(...behaviours);
    this.queues.set(key, queue);
  }

  setDefault(behaviour: B): void {
    this.fallback = behaviour;
  }

  pending(key: string): number {
    return this.queues.get(key)?.length ?? 0;
  }

  /** The next behaviour queued under the first of `keys` that has one, then `ANY_CREDENTIAL`, then the default. */
  take(...keys: readonly (string | null)[]): B {
    for (const key of [...keys, ANY_CREDENTIAL]) {
      const behaviour = key === null ? undefined : this.queues.get(key)?.shift();
      if (behaviour !== undefined) return behaviour;
    }
    return this.fallback;
  }

  /** Empties every queue and restores the default given at construction. */
  reset(): void {
    this.queues.clear();
    this.fallback = this.initial;
  }
}

/** A request as read off the wire, before a fake adds what it makes of it. */
export interface ReceivedRequest {
  readonly method: string;
  /** Path plus query string, as sent. */
  readonly path: string;
  /** Lower-cased names; repeated headers joined with `, `. */
  readonly headers: Readonly<Record<string, string>>;
  /** The parsed JSON body; undefined when empty or not JSON (see `rawBody`). */
  readonly body: unknown;
  readonly rawBody: string;
}

/** Reads the whole request body. */
export async function receive(req: IncomingMessage): Promise<ReceivedRequest> {
  const rawBody = await text(req);
  return {
    method: req.method ?? 'GET',
    path: req.url ?? '/',
    headers: flattenHeaders(req.headers),
    body: parseJson(rawBody),
    rawBody,
  };
}

/**
 * A reply as JSON (a string body goes as text/plain), unless the response already started.
 * `jsonContentType` is the provider's spelling of the JSON content type.
 */
export function sendReply(res: ServerResponse, reply: Reply, jsonContentType = 'application/json'): void {
  if (res.headersSent || res.destroyed) return;
  const payload = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
  const contentType = typeof reply.body === 'string' ? 'text/plain; charset=utf-8' : jsonContentType;
  res.writeHead(reply.status, { 'content-type': contentType, ...reply.headers });
  res.end(payload);
}

/** What a scripted `status` behaviour sends: the provider's `standard` reply with the script's body and headers over it. */
export function scriptedReply(behaviour: Extract<Behaviour, { kind: 'status' }>, standard: Reply): Reply {
  const overrides = new Map(Object.entries(behaviour.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(standard.headers)) if (!overrides.has(name)) headers[name] = value;
  for (const [name, value] of overrides) if (value !== null) headers[name] = value;
  return { status: behaviour.status, body: behaviour.body ?? standard.body, headers };
}

/** Waits `ms`; false when the exchange ended meanwhile (client gone or fake closed). */
export async function pause(signal: AbortSignal, ms: number): Promise<boolean> {
  if (signal.aborted) return false;
  if (ms <= 0) return true;
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

/** Resolves once `chunk` is handed to the socket, or when the exchange ends (a dead socket never calls back). */
export function writeChunk(res: ServerResponse, chunk: string | Uint8Array, signal: AbortSignal): Promise<void> {
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

/** One piece of a streamed response and the wait before it. */
export interface TimedChunk {
  readonly chunk: string | Uint8Array;
  readonly delayMs: number;
  /** Counts in `HttpExchange.sent` (data events and frames do; SSE comments and `[DONE]` do not). */
  readonly counted: boolean;
}

/**
 * Writes a 200 with `headers` chunk by chunk; `drop` destroys the socket instead of ending the
 * response, `endDelayMs` waits between the last chunk and the end of the body.
 */
export async function streamChunks<R>(
  exchange: HttpExchange<R>,
  headers: OutgoingHttpHeaders,
  chunks: readonly TimedChunk[],
  ending: 'end' | 'drop',
  endDelayMs = 0,
): Promise<void> {
  const { res, signal } = exchange;
  res.writeHead(200, headers);
  res.flushHeaders();
  for (const { chunk, delayMs, counted } of chunks) {
    if (!(await pause(signal, delayMs))) return;
    await writeChunk(res, chunk, signal);
    if (signal.aborted) return;
    if (counted) exchange.sent += 1;
  }
  if (!(await pause(signal, endDelayMs))) return;
  if (ending === 'drop') exchange.drop();
  else res.end();
}

/** A 200 that announces all of `body` but sends only its first half before cutting the connection. */
export async function sendHalfThenDrop<R>(exchange: HttpExchange<R>, headers: OutgoingHttpHeaders, body: string): Promise<void> {
  exchange.res.writeHead(200, { ...headers, 'content-length': String(Buffer.byteLength(body)) });
  await writeChunk(exchange.res, body.slice(0, Math.floor(body.length / 2)), exchange.signal);
  exchange.drop();
}

export function flattenHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

export function parseJson(raw: string): unknown {
  if (raw.trim() === '') return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}

/** The token of an `Authorization: Bearer …` header, or null. */
export function bearerToken(headers: Readonly<Record<string, string>>): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(headers['authorization'] ?? '');
  return match?.[1] ?? null;
}
