import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { errors as undiciErrors } from 'undici';
import { Cancellation, type StreamReceiver, type StreamStep, UpstreamTransport } from './upstream-transport';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A loopback server whose answer each test sets, counting the connections it accepts and sees close. */
class Upstream {
  handler: Handler = (_req, res) => res.end();
  accepted = 0;
  closed = 0;
  private readonly sockets = new Set<Socket>();
  private readonly server: Server = createServer((req, res) => {
    req.resume();
    req.once('end', () => this.handler(req, res));
  });

  async start(): Promise<string> {
    this.server.on('connection', (socket: Socket) => {
      this.accepted += 1;
      this.sockets.add(socket);
      socket.once('close', () => {
        this.closed += 1;
        this.sockets.delete(socket);
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('not listening on TCP');
    return `http://127.0.0.1:${String(address.port)}/chat`;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Records what it is handed and answers each piece with the next step (then `more`). */
class Recorder implements StreamReceiver {
  statuses: number[] = [];
  pieces: string[] = [];

  constructor(private readonly steps: StreamStep[] = []) {}

  onStatus(status: number): void {
    this.statuses.push(status);
  }

  onData(chunk: Buffer): StreamStep {
    this.pieces.push(chunk.toString('utf8'));
    return this.steps.shift() ?? 'more';
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await sleep(5);
  }
}

describe('UpstreamTransport.sendStream', () => {
  const upstream = new Upstream();
  let url = '';
  let sut: UpstreamTransport;
  const request = (untrustedUrl = false) => ({ url, headers: { 'content-type': 'application/json' }, body: '{}', untrustedUrl });

  beforeAll(async () => {
    url = await upstream.start();
  });
  afterAll(async () => {
    await upstream.stop();
  });
  beforeEach(() => {
    sut = new UpstreamTransport({
      firstByteTimeoutMs: 2000,
      idleTimeoutMs: 300,
      connectTimeoutMs: 2000,
      maxResponseBytes: 1024,
      allowPrivate: true,
    });
  });
  afterEach(async () => {
    await sut.close();
  });

  /** Answers 200 with the pieces `gap` ms apart, then ends after `endDelayMs` (or never). */
  const streamPieces =
    (pieces: string[], gap = 20, endDelayMs: number | null = 0): Handler =>
    (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.flushHeaders();
      void (async () => {
        for (const piece of pieces) {
          await sleep(gap);
          if (res.destroyed) return;
          res.write(piece);
        }
        if (endDelayMs === null) return;
        await sleep(endDelayMs);
        if (!res.destroyed) res.end();
      })();
    };

  it.each([
    ['the pool', false],
    ['a tenant URL’s pinned dispatcher', true],
  ])('hands each piece over as it arrives and reports the end of the body (%s)', async (_name, untrusted) => {
    upstream.handler = streamPieces(['one ', 'two ', 'three']);
    const receiver = new Recorder();
    const response = await sut.sendStream(request(untrusted), new Cancellation(), receiver);
    expect(response).toMatchObject({ status: 200, errorBody: null, end: 'ended' });
    expect(response.headers['content-type']).toBe('text/event-stream');
    expect(receiver.statuses).toEqual([200]);
    expect(receiver.pieces.join('')).toBe('one two three');
    expect(receiver.pieces.length).toBeGreaterThan(1);
  });

  it('resolves at the receiver’s done without waiting for the body’s end, and keeps the connection', async () => {
    upstream.handler = streamPieces(['answer', 'data: [DONE]'], 10, 200);
    const before = upstream.accepted;
    for (let round = 0; round < 3; round++) {
      const receiver = new Recorder(['more', 'done']);
      const response = await sut.sendStream(request(), new Cancellation(), receiver);
      expect(response.end).toBe('done');
      expect(receiver.pieces).toEqual(['answer', 'data: [DONE]']);
      // The rest of the body is read (and dropped) before the connection is free again.
      await sleep(300);
    }
    expect(upstream.accepted - before).toBe(1);
  });

  it('closes the connection when the receiver stops', async () => {
    upstream.handler = streamPieces(['garbage', 'more', 'more'], 10, null);
    const closedBefore = upstream.closed;
    const receiver = new Recorder(['stop']);
    const response = await sut.sendStream(request(), new Cancellation(), receiver);
    expect(response.end).toBe('stop');
    expect(receiver.pieces).toEqual(['garbage']);
    await until(() => upstream.closed > closedBefore);
  });

  it('closes the connection of an upstream that keeps sending after the receiver’s done', async () => {
    const flood = Array.from({ length: 40 }, () => 'x'.repeat(4096));
    upstream.handler = streamPieces(['data: [DONE]', ...flood], 1, null);
    const closedBefore = upstream.closed;
    const response = await sut.sendStream(request(), new Cancellation(), new Recorder(['done']));
    expect(response.end).toBe('done');
    await until(() => upstream.closed > closedBefore);
  });

  it('rejects a tenant URL the SSRF check refuses without calling it', async () => {
    const strict = new UpstreamTransport({
      firstByteTimeoutMs: 2000,
      idleTimeoutMs: 300,
      connectTimeoutMs: 2000,
      maxResponseBytes: 1024,
      allowPrivate: false,
    });
    const before = upstream.accepted;
    try {
      await expect(strict.sendStream(request(true), new Cancellation(), new Recorder())).rejects.toThrow(/upstream URL/);
    } finally {
      await strict.close();
    }
    expect(upstream.accepted).toBe(before);
  });

  it('reads a non-2xx body whole instead of handing it over', async () => {
    upstream.handler = (_req, res) => {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '3' });
      res.end('{"error":{"message":"slow down"}}');
    };
    const receiver = new Recorder();
    const response = await sut.sendStream(request(), new Cancellation(), receiver);
    expect(response.status).toBe(429);
    expect(response.headers['retry-after']).toBe('3');
    expect(response.errorBody?.toString('utf8')).toBe('{"error":{"message":"slow down"}}');
    expect(receiver.pieces).toEqual([]);
  });

  it('answers a non-2xx whose body exceeds maxResponseBytes with its status and no body', async () => {
    upstream.handler = (_req, res) => {
      res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '7' });
      res.end('e'.repeat(4096));
    };
    const response = await sut.sendStream(request(), new Cancellation(), new Recorder());
    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('7');
    expect(response.errorBody?.length).toBe(0);
  });

  it('rejects and closes the connection when cancelled before or during the body', async () => {
    upstream.handler = streamPieces(['first', 'second'], 200, null);
    const early = new Cancellation();
    early.abort();
    await expect(sut.sendStream(request(), early, new Recorder())).rejects.toBeInstanceOf(undiciErrors.RequestAbortedError);

    const closedBefore = upstream.closed;
    const cancel = new Cancellation();
    const receiver = new Recorder();
    const pending = sut.sendStream(request(), cancel, {
      onStatus: (status) => receiver.onStatus(status),
      onData: (chunk) => {
        cancel.abort();
        return receiver.onData(chunk);
      },
    });
    await expect(pending).rejects.toBeInstanceOf(undiciErrors.RequestAbortedError);
    expect(receiver.pieces).toEqual(['first']);
    await until(() => upstream.closed > closedBefore);
  });

  it('rejects with what the receiver threw, and with a timeout when the body goes silent', async () => {
    upstream.handler = streamPieces(['first'], 10, null);
    const throwing: StreamReceiver = {
      onStatus: () => undefined,
      onData: () => {
        throw new Error('receiver broke');
      },
    };
    await expect(sut.sendStream(request(), new Cancellation(), throwing)).rejects.toThrow('receiver broke');
    // idleTimeoutMs is 300: the piece arrives, then nothing.
    await expect(sut.sendStream(request(), new Cancellation(), new Recorder())).rejects.toBeInstanceOf(
      undiciErrors.BodyTimeoutError,
    );
  });
});
