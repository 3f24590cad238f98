import type { FastifyReply } from 'fastify';
import type { ResponseSink } from '@gw/gateway';

/**
 * Writes the gateway's answer straight to the socket (streams must not be buffered). Fastify is
 * told to stand aside only when the first byte goes out, so errors raised before that still go
 * through the error filter.
 */
export class RawResponseSink implements ResponseSink {
  private hijacked = false;
  private readonly extraHeaders: Record<string, string> = {};

  constructor(
    private readonly reply: FastifyReply,
    private readonly requestId: string,
  ) {}

  get started(): boolean {
    return this.hijacked;
  }

  setHeader(name: string, value: string): void {
    this.extraHeaders[name] = value;
  }

  json(status: number, body: unknown, headers: Record<string, string> = {}): void {
    this.take();
    const payload = JSON.stringify(body);
    this.reply.raw.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(payload),
      'x-request-id': this.requestId,
      ...this.extraHeaders,
      ...headers,
    });
    this.reply.raw.end(payload);
  }

  startStream(): void {
    this.take();
    this.reply.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-request-id': this.requestId,
      ...this.extraHeaders,
    });
    this.reply.raw.flushHeaders();
  }

  write(text: string): void {
    if (!this.reply.raw.writableEnded && !this.reply.raw.destroyed) this.reply.raw.write(text);
  }

  end(): void {
    if (!this.reply.raw.writableEnded) this.reply.raw.end();
  }

  private take(): void {
    if (this.hijacked) return;
    this.hijacked = true;
    this.reply.hijack();
  }
}
