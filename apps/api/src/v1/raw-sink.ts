import type { ServerResponse } from 'node:http';
import type { ResponseSink } from '@gw/gateway';

/**
 * Writes the gateway's answer straight to the socket. Streams are never held back, but what is
 * written in one turn of the event loop (the events of one upstream read, the usage chunk and the
 * sentinel) leaves in one socket write: the response is corked at the turn's first write and
 * uncorked right after (process.nextTick), the pattern Node documents for batching writes.
 */
export class RawResponseSink implements ResponseSink {
  private headersSent = false;
  private extraHeaders: Record<string, string> | null = null;
  private corked = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly requestId: string,
  ) {}

  get started(): boolean {
    return this.headersSent;
  }

  setHeader(name: string, value: string): void {
    (this.extraHeaders ??= {})[name] = value;
  }

  json(status: number, body: unknown, headers?: Record<string, string>): void {
    this.headersSent = true;
    const payload = JSON.stringify(body);
    const head: Record<string, string | number> = {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(payload),
      'x-request-id': this.requestId,
    };
    if (this.extraHeaders) Object.assign(head, this.extraHeaders);
    if (headers) Object.assign(head, headers);
    this.res.writeHead(status, head);
    this.res.end(payload);
  }

  startStream(): void {
    this.headersSent = true;
    this.batchTurn();
    this.res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-request-id': this.requestId,
      ...this.extraHeaders,
    });
    // Sent with whatever this turn writes next, or on its own when the turn ends.
    this.res.flushHeaders();
  }

  write(text: string): void {
    if (this.res.writableEnded || this.res.destroyed) return;
    this.batchTurn();
    this.res.write(text);
  }

  end(): void {
    if (!this.res.writableEnded) this.res.end();
  }

  private batchTurn(): void {
    if (this.corked) return;
    this.corked = true;
    this.res.cork();
    process.nextTick(this.uncork);
  }

  private readonly uncork = (): void => {
    this.corked = false;
    this.res.uncork();
  };
}
