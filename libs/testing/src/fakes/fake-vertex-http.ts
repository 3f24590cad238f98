import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Reply } from './upstream-dialect';

/**
 * The node:http plumbing the Google fakes share: listen on a free loopback port, track sockets so
 * `close()` also ends hung and streaming exchanges, and abort in-flight handlers on close.
 */
export class FakeHttpServer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly inFlight = new Set<AbortController>();
  private listeningUrl: string | null = null;
  private closed = false;

  constructor(handler: (req: IncomingMessage, res: ServerResponse, signal: AbortSignal) => Promise<void>) {
    this.server = createServer((req, res) => {
      const controller = new AbortController();
      this.inFlight.add(controller);
      req.on('error', ignore);
      res.on('error', ignore);
      res.on('close', () => {
        this.inFlight.delete(controller);
        controller.abort();
      });
      handler(req, res, controller.signal).catch((error: unknown) => {
        // A bug in a fake must fail the test visibly, not look like an upstream outage.
        const message = error instanceof Error ? error.message : String(error);
        if (res.headersSent) res.destroy();
        else sendReply(res, { status: 500, body: `fake upstream failure: ${message}`, headers: {} });
      });
    });
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
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
    if (address === null || typeof address === 'string') throw new Error('The fake is not listening on TCP');
    this.listeningUrl = `http://127.0.0.1:${address.port}`;
    return this.listeningUrl;
  }

  get url(): string {
    if (this.listeningUrl === null) throw new Error('The fake has not started');
    return this.listeningUrl;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get openConnections(): number {
    return this.sockets.size;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const controller of this.inFlight) controller.abort();
    const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const socketsClosed = [...this.sockets].map(
      (socket) => new Promise<void>((resolve) => socket.once('close', () => resolve())),
    );
    for (const socket of this.sockets) socket.destroy();
    await Promise.all([stopped, ...socketsClosed]);
  }
}

function ignore(): void {
  // Resets after a client aborts are expected; the exchange's abort signal reports them.
}

/** A JSON reply (a string body goes as text/plain), unless the response already started. */
export function sendReply(res: ServerResponse, reply: Reply): void {
  if (res.headersSent || res.destroyed) return;
  const payload = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
  const contentType = typeof reply.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=UTF-8';
  res.writeHead(reply.status, { 'content-type': contentType, ...reply.headers });
  res.end(payload);
}

/** Waits `ms`; false when the exchange ended meanwhile. */
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
export function writeChunk(res: ServerResponse, chunk: string, signal: AbortSignal): Promise<void> {
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
