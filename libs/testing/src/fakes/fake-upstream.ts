import type { IncomingMessage } from 'node:http';
import { assertNever, planAnswer } from './answer';
import type { Behaviour, OkOptions } from './behaviour';
import { readChatRequest, type ChatRequestView } from './chat-request';
import {
  type HttpExchange,
  pause,
  receive,
  type ReceivedRequest,
  scriptedReply,
  sendHalfThenDrop,
  sendReply as send,
  streamChunks,
  type TimedChunk,
} from './fake-http';
import { ScriptedFake } from './scripted-fake';
import type { CompletionContext, StreamEvent, UpstreamDialect } from './upstream-dialect';

/** One request as the fake saw it. */
export interface RecordedRequest extends ReceivedRequest {
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

type Exchange = HttpExchange<RecordedRequest>;

const OK: Behaviour = { kind: 'ok' };
const DONE = 'data: [DONE]\n\n';
const MALFORMED = 'data: {not json\n\n';
/** Chunks an `error-chunk` stream sends before its error event. */
const CONTENT_BEFORE_ERROR = 2;

/**
 * A scriptable OpenAI-protocol upstream on a bare `node:http` server, for tests. The provider's
 * URLs, credentials and wire quirks come from its `UpstreamDialect`; behaviours come from scripts.
 */
export class FakeUpstream extends ScriptedFake<Behaviour, RecordedRequest, UpstreamDisconnect> {
  private readonly validKeys: ReadonlySet<string> | null;
  private sequence = 0;

  protected constructor(
    private readonly dialect: UpstreamDialect,
    validKeys?: readonly string[],
  ) {
    super({
      label: 'fake upstream',
      ok: OK,
      disconnect: ({ request, at, elapsedMs, sent }) => ({ request, at, elapsedMs, chunksSent: sent }),
    });
    this.validKeys = validKeys === undefined ? null : new Set(validKeys);
  }

  static async start(options: FakeUpstreamOptions): Promise<FakeUpstream> {
    return new FakeUpstream(options.dialect, options.validKeys).listen();
  }

  protected assertSupported(behaviour: Behaviour): void {
    if (behaviour.kind === 'keepalive' && this.dialect.keepaliveComment === null) {
      throw new Error('This provider sends no SSE keep-alive comments; script `ok` with `delayMs` instead');
    }
  }

  protected async handle(req: IncomingMessage, exchange: Exchange): Promise<void> {
    const { res } = exchange;
    const received = await receive(req);
    const credential = this.dialect.credential(received.headers);
    const request: RecordedRequest = { ...received, credential, receivedAt: Date.now() };
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
    await this.perform(this.queues.take(credential), exchange, read.view, context);
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
      if (!(await pause(exchange.signal, (ok.delayMs ?? 0) + keepalive.comments * keepalive.intervalMs))) return;
      send(exchange.res, {
        status: 200,
        body: this.dialect.completion(answer, context),
        headers: this.dialect.responseHeaders(context),
      });
      return;
    }
    if (!(await pause(exchange.signal, ok.delayMs ?? 0))) return;
    const comment = this.dialect.keepaliveComment;
    const comments: TimedChunk[] = [];
    for (let i = 0; comment !== null && i < keepalive.comments; i++) {
      comments.push({ chunk: `${comment}\n\n`, delayMs: i === 0 ? 0 : keepalive.intervalMs, counted: false });
    }
    const events = this.dialect.streamEvents(answer, context);
    const firstDelayMs = comments.length > 0 ? keepalive.intervalMs : 0;
    const frames = [...comments, ...dataFrames(events, ok.chunkDelayMs ?? 0, firstDelayMs), doneFrame()];
    await this.stream(exchange, context, frames, 'end', ok.endDelayMs ?? 0);
  }

  private async fail(exchange: Exchange, behaviour: Extract<Behaviour, { kind: 'status' }>): Promise<void> {
    if (!(await pause(exchange.signal, behaviour.delayMs ?? 0))) return;
    send(exchange.res, scriptedReply(behaviour, this.dialect.error(behaviour.status)));
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
      const headers = { ...this.dialect.responseHeaders(context), 'content-type': 'application/json' };
      await sendHalfThenDrop(exchange, headers, body);
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
    const frames = [
      ...dataFrames(events, chunkDelayMs, 0),
      { chunk: MALFORMED, delayMs: chunkDelayMs, counted: true },
      doneFrame(),
    ];
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
  private async stream(
    exchange: Exchange,
    context: CompletionContext,
    frames: readonly TimedChunk[],
    ending: 'end' | 'drop',
    endDelayMs = 0,
  ) {
    const headers = {
      ...this.dialect.responseHeaders(context),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
    };
    await streamChunks(exchange, headers, frames, ending, endDelayMs);
  }

  private toolCallId(): string {
    return `call_fake${String(this.sequence).padStart(8, '0')}`;
  }
}

function dataFrames(events: readonly StreamEvent[], chunkDelayMs: number, firstDelayMs: number): TimedChunk[] {
  return events.map((event, i) => ({
    chunk: `data: ${JSON.stringify(event.payload)}\n\n`,
    delayMs: i === 0 ? firstDelayMs : chunkDelayMs,
    counted: true,
  }));
}

function doneFrame(): TimedChunk {
  return { chunk: DONE, delayMs: 0, counted: false };
}
