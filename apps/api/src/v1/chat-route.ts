import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { KeyAuthService } from '@gw/accounts';
import { type ChatRequestBody, chatRequestBody } from '@gw/contracts';
import type { ChatService } from '@gw/gateway';
import { Cancellation } from '@gw/providers';
import { DomainError, renderError } from '@gw/kernel';
import { requestIdOf } from '../http/request-id';
import { assertJsonDepth, parseJsonText } from '../http/json-body';
import { toValidationError } from '../http/zod.pipe';
import { RawResponseSink } from './raw-sink';

const PATH = '/v1/chat/completions';
export interface ChatRouteOptions {
  /** MAX_BODY_BYTES. */
  readonly maxBodyBytes: number;
  readonly logger: Logger;
  readonly keys: KeyAuthService;
  readonly chat: ChatService;
}

/**
 * `POST /v1/chat/completions`, served on the bare HTTP server ahead of the framework: the request
 * path is the product's hot path, and it needs nothing the framework adds per request (routing
 * tables, guards, pipes, interceptors). It keeps the framework's contract: the same body limit,
 * JSON-only bodies with prototype-poisoning protection, request ids, one log line per request and
 * the SPEC error shape for every failure.
 */
export class ChatRoute {
  private closing = false;

  constructor(private readonly options: ChatRouteOptions) {}

  matches(req: IncomingMessage): boolean {
    const url = req.url ?? '';
    return req.method === 'POST' && url.startsWith(PATH) && (url.length === PATH.length || url.charCodeAt(PATH.length) === 63);
  }

  /** The server is shutting down: new requests get 503, as the framework's routes do. */
  close(): void {
    this.closing = true;
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    const id = requestIdOf(req);
    const { logger } = this.options;
    if (logger.isLevelEnabled('info')) {
      const started = process.hrtime.bigint();
      res.once('close', () => {
        logger.info(
          {
            reqId: id,
            method: 'POST',
            path: PATH,
            status: res.statusCode,
            ms: Math.round(Number(process.hrtime.bigint() - started) / 10_000) / 100,
            aborted: !res.writableFinished,
          },
          'request',
        );
      });
    }
    if (this.closing) {
      res.setHeader('connection', 'close');
      this.fail(res, id, new DomainError('unavailable', { message: 'The server is shutting down; retry.' }));
      req.resume();
      return;
    }
    const failure = mediaTypeFailure(req);
    if (failure) {
      this.fail(res, id, failure);
      req.resume();
      return;
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > this.options.maxBodyBytes) {
      this.refuseLargeBody(req, res, id);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > this.options.maxBodyBytes) {
        req.removeListener('data', onData);
        req.removeListener('end', onEnd);
        this.refuseLargeBody(req, res, id);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      const raw = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
      this.serve(req, res, id, raw).catch((error: unknown) => this.fail(res, id, error));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', () => res.destroy());
  }

  private async serve(req: IncomingMessage, res: ServerResponse, id: string, raw: Buffer): Promise<void> {
    const body = parseBody(req, raw);
    const key = await this.options.keys.authenticate(req.headers.authorization);
    assertJsonDepth(body);
    if (body === undefined || body === null) throw DomainError.validation('', 'The body must be a JSON object.');
    const parsed = chatRequestBody.safeParse(withoutNullFields(body));
    if (!parsed.success) throw toValidationError(parsed.error);
    const request: ChatRequestBody = parsed.data;
    if (!request.model && !request.models) throw DomainError.validation('model', 'model: is required');
    // Made for every request, fired for few.
    const hangup = new Cancellation();
    // The client hung up before the answer was complete: stop the upstream at once.
    res.once('close', () => {
      if (!res.writableFinished) hangup.abort();
    });
    // Gone while the key was checked: nothing is called upstream.
    if (res.destroyed) hangup.abort();
    const sink = new RawResponseSink(res, id);
    try {
      await this.options.chat.complete(
        key,
        request,
        {
          requestId: id,
          appReferer: header(req, 'http-referer') ?? header(req, 'referer'),
          appTitle: header(req, 'x-openrouter-title') ?? header(req, 'x-title'),
        },
        sink,
        hangup,
      );
    } catch (error) {
      if (!sink.started) throw error;
      // The answer already started: it cannot become an error response any more.
      if (!(error instanceof DomainError)) this.options.logger.error({ reqId: id, err: error }, 'unhandled error');
      sink.end();
    }
  }

  private refuseLargeBody(req: IncomingMessage, res: ServerResponse, id: string): void {
    // The rest of the body is not read: the connection closes after the answer.
    res.setHeader('connection', 'close');
    this.fail(res, id, new DomainError('payload_too_large'));
    req.resume();
  }

  /** Every failure before the answer started, in the SPEC error shape; anything unexpected is a logged 500. */
  private fail(res: ServerResponse, id: string, error: unknown): void {
    let domain: DomainError;
    if (error instanceof DomainError) domain = error;
    else {
      this.options.logger.error({ reqId: id, err: error }, 'unhandled error');
      domain = new DomainError('internal', { metadata: { request_id: id } });
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    const payload = JSON.stringify(renderError(domain));
    res.writeHead(domain.status, {
      ...domain.headers,
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(payload),
      'x-request-id': id,
    });
    res.end(payload);
  }
}

/** JSON bodies only: another declared media type is a 415, as is a body with none. */
function mediaTypeFailure(req: IncomingMessage): DomainError | null {
  const type = req.headers['content-type'];
  if (type === undefined) {
    const empty = req.headers['transfer-encoding'] === undefined && (req.headers['content-length'] ?? '0') === '0';
    return empty ? null : new DomainError('unsupported_media_type');
  }
  const end = type.indexOf(';');
  const media = (end === -1 ? type : type.slice(0, end)).trim().toLowerCase();
  return media === 'application/json' ? null : new DomainError('unsupported_media_type');
}

function parseBody(req: IncomingMessage, raw: Buffer): unknown {
  if (req.headers['content-type'] === undefined) return undefined;
  if (raw.length === 0) throw new DomainError('invalid_json', { message: 'The body is empty; send a JSON object.' });
  return parseJsonText(raw.toString('utf8'));
}

/**
 * A top-level field sent as `null` is a field not sent, as OpenAI's and OpenRouter's APIs read it
 * (clients serialise unset options as null: `"temperature": null`, `"tools": null`).
 */
function withoutNullFields(body: unknown): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const fields = body as Record<string, unknown>;
  let hasNull = false;
  for (const key in fields) {
    if (fields[key] === null) {
      hasNull = true;
      break;
    }
  }
  if (!hasNull) return body;
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== null));
}

function header(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text ? text.slice(0, 512) : null;
}
