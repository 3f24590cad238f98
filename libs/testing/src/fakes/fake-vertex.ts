import type { IncomingMessage, ServerResponse } from 'node:http';
import { text } from 'node:stream/consumers';
import { assertNever, planAnswer } from './answer';
import { ANY_CREDENTIAL, type Behaviour, type OkOptions } from './behaviour';
import type { ChatRequestView } from './chat-request';
import type { FakeGoogleToken, IssuedToken } from './fake-google-token';
import { bearerToken, FakeHttpServer, flattenHeaders, parseJson, pause, sendReply, writeChunk } from './fake-vertex-http';
import {
  googleError,
  parseVertexPath,
  readClaudeRequest,
  readGeminiRequest,
  type VertexFamily,
  type VertexRoute,
  type VertexWire,
  type WireContext,
  type WireFrame,
  type WireRead,
  wireOf,
} from './fake-vertex-wire';
import type { RecordedRequest, UpstreamDisconnect } from './fake-upstream';
import type { Reply } from './upstream-dialect';

export type { VertexFamily } from './fake-vertex-wire';

export interface FakeVertexOptions {
  /** The token endpoint whose tokens this fake accepts; any other bearer gets 401 UNAUTHENTICATED. */
  readonly tokens: FakeGoogleToken;
  /** When given, other models get 404 NOT_FOUND; by default every model exists. */
  readonly models?: readonly string[];
}

/** One request as the Vertex fake saw it; `credential` is the bearer token. */
export interface VertexRecordedRequest extends RecordedRequest {
  readonly family: VertexFamily | null;
  readonly model: string | null;
  readonly project: string | null;
  readonly location: string | null;
  readonly apiVersion: string | null;
  /** The URL's verb: generateContent, streamGenerateContent, rawPredict or streamRawPredict. */
  readonly rpc: string | null;
  readonly stream: boolean;
  /** The service account the token was issued to; null when the token was not accepted. */
  readonly clientEmail: string | null;
}

export interface VertexDisconnect extends UpstreamDisconnect {
  readonly request: VertexRecordedRequest;
}

interface Exchange {
  readonly res: ServerResponse;
  readonly signal: AbortSignal;
  readonly startedAt: number;
  request: VertexRecordedRequest | null;
  chunksSent: number;
  droppedBySelf: boolean;
}

interface Served {
  readonly family: VertexFamily;
  readonly wire: VertexWire;
  readonly view: ChatRequestView;
  readonly context: WireContext;
  readonly toolCallId: string;
}

const OK: Behaviour = { kind: 'ok' };
/** Content events an `error-chunk` stream sends before its error event. */
const CONTENT_BEFORE_ERROR = 2;

/**
 * A fake Vertex AI endpoint serving Gemini (`…/publishers/google/models/{m}:generateContent`,
 * `:streamGenerateContent?alt=sse`) and Claude (`…/publishers/anthropic/models/{m}:rawPredict`,
 * `:streamRawPredict`) under `/v1` and `/v1beta1`. It accepts only bearer tokens its
 * FakeGoogleToken issued (401 UNAUTHENTICATED otherwise) and only the project of the token's
 * service account (403 PERMISSION_DENIED). Answers are planned like the other fakes' (echo, a
 * tool call for weather questions, JSON in JSON mode) and scripted per service account
 * (client_email), per access token or for any (`'*'`) with the shared behaviours.
 * Use `url` as VERTEX_API_ENDPOINT.
 */
export class FakeVertex {
  /** Every request since start or `reset()`, in arrival order. */
  readonly requests: VertexRecordedRequest[] = [];
  /** Clients that went away before the fake finished answering. */
  readonly disconnects: VertexDisconnect[] = [];

  private readonly http: FakeHttpServer;
  private readonly queues = new Map<string, Behaviour[]>();
  private readonly models: ReadonlySet<string> | null;
  private readonly disconnectWaiters: ((disconnect: VertexDisconnect) => void)[] = [];
  private fallback: Behaviour = OK;
  private sequence = 0;
  private observedDisconnects = 0;

  private constructor(private readonly options: FakeVertexOptions) {
    this.models = options.models === undefined ? null : new Set(options.models);
    this.http = new FakeHttpServer((req, res, signal) => this.handle(req, res, signal));
  }

  static async start(options: FakeVertexOptions): Promise<FakeVertex> {
    const fake = new FakeVertex(options);
    await fake.http.listen();
    return fake;
  }

  /** Scheme + host + port, e.g. `http://127.0.0.1:40123`: the value for VERTEX_API_ENDPOINT. */
  get url(): string {
    return this.http.url;
  }

  get openConnections(): number {
    return this.http.openConnections;
  }

  /**
   * Queues behaviours for requests authorised by `key`: a service account's client_email, one
   * access token, or `'*'` for requests with nothing queued under their own token or account.
   * Each request consumes one; an empty queue means `ok`. `keepalive` is OpenRouter's and refused.
   */
  script(key: string, ...behaviours: readonly Behaviour[]): this {
    for (const behaviour of behaviours) assertSupported(behaviour);
    const queue = this.queues.get(key) ?? [];
    queue.push(...behaviours);
    this.queues.set(key, queue);
    return this;
  }

  /** What requests get once the queues are empty (`ok` until changed or `reset()`). */
  setDefault(behaviour: Behaviour): this {
    assertSupported(behaviour);
    this.fallback = behaviour;
    return this;
  }

  pending(key: string = ANY_CREDENTIAL): number {
    return this.queues.get(key)?.length ?? 0;
  }

  /** Requests that reached a model route with a valid token. */
  get modelRequests(): VertexRecordedRequest[] {
    return this.requests.filter((request) => request.clientEmail !== null && request.family !== null);
  }

  /** Forgets recorded requests, disconnects and scripts. */
  reset(): void {
    this.requests.length = 0;
    this.disconnects.length = 0;
    this.observedDisconnects = 0;
    this.queues.clear();
    this.fallback = OK;
  }

  /** The next client disconnect not yet returned (one that already happened counts); rejects after `timeoutMs`. */
  waitForDisconnect(timeoutMs = 1000): Promise<VertexDisconnect> {
    const ready = this.disconnects[this.observedDisconnects];
    if (ready !== undefined) {
      this.observedDisconnects += 1;
      return Promise.resolve(ready);
    }
    return new Promise((resolve, reject) => {
      const waiter = (disconnect: VertexDisconnect): void => {
        clearTimeout(timer);
        resolve(disconnect);
      };
      const timer = setTimeout(() => {
        const index = this.disconnectWaiters.indexOf(waiter);
        if (index >= 0) this.disconnectWaiters.splice(index, 1);
        reject(new Error(`No client disconnected from the fake Vertex within ${timeoutMs} ms`));
      }, timeoutMs);
      this.disconnectWaiters.push(waiter);
    });
  }

  close(): Promise<void> {
    return this.http.close();
  }

  private async handle(req: IncomingMessage, res: ServerResponse, signal: AbortSignal): Promise<void> {
    const exchange: Exchange = { res, signal, startedAt: Date.now(), request: null, chunksSent: 0, droppedBySelf: false };
    res.on('close', () => {
      const request = exchange.request;
      if (!res.writableFinished && !exchange.droppedBySelf && !this.http.isClosed && request !== null) {
        this.recordDisconnect(exchange, request);
      }
    });
    const rawBody = await text(req);
    const headers = flattenHeaders(req.headers);
    const token = bearerToken(headers);
    const issued = token === null ? null : this.options.tokens.lookup(token);
    const url = new URL(req.url ?? '/', 'http://fake.invalid');
    const route = parseVertexPath(url.pathname);
    const stream = route !== null && (route.method === 'streamGenerateContent' || route.method === 'streamRawPredict');
    const request: VertexRecordedRequest = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers,
      body: parseJson(rawBody),
      rawBody,
      credential: token,
      receivedAt: Date.now(),
      family: route?.family ?? null,
      model: route?.model ?? null,
      project: route?.project ?? null,
      location: route?.location ?? null,
      apiVersion: route?.apiVersion ?? null,
      rpc: route?.method ?? null,
      stream,
      clientEmail: issued?.clientEmail ?? null,
    };
    this.requests.push(request);
    exchange.request = request;

    if (issued === null) {
      sendReply(res, googleError(401));
      return;
    }
    if (req.method !== 'POST' || route === null) {
      sendReply(res, googleError(404, `The requested URL ${url.pathname} was not found on this server.`));
      return;
    }
    const served = this.serve(route, url, issued, request.body, stream);
    if ('reply' in served) {
      sendReply(res, served.reply);
      return;
    }
    await this.perform(this.take(token, issued.clientEmail), exchange, served);
  }

  /** Checks what Vertex checks before the model runs: project, method, model, body. */
  private serve(
    route: VertexRoute,
    url: URL,
    issued: IssuedToken,
    body: unknown,
    stream: boolean,
  ): Served | { readonly reply: Reply } {
    const resource = `projects/${route.project}/locations/${route.location}/publishers/${route.family === 'claude' ? 'anthropic' : 'google'}/models/${route.model}`;
    if (issued.projectId !== null && issued.projectId !== route.project) {
      return {
        reply: googleError(
          403,
          `Permission 'aiplatform.endpoints.predict' denied on resource '//aiplatform.googleapis.com/${resource}' (or it may not exist).`,
        ),
      };
    }
    const methods = route.family === 'gemini' ? ['generateContent', 'streamGenerateContent'] : ['rawPredict', 'streamRawPredict'];
    if (!methods.includes(route.method)) {
      return { reply: googleError(400, `Method ${route.method} is not supported for ${resource}.`) };
    }
    if (route.method === 'streamGenerateContent' && url.searchParams.get('alt') !== 'sse') {
      // Without alt=sse Vertex streams one JSON array; the gateway and the SDKs use SSE.
      return { reply: googleError(400, 'This fake serves streamGenerateContent with alt=sse only.') };
    }
    if (this.models !== null && !this.models.has(route.model)) {
      return {
        reply: googleError(404, `Publisher Model \`${resource}\` was not found or your project does not have access to it.`),
      };
    }
    const read: WireRead =
      route.family === 'gemini' ? readGeminiRequest(body, route.model, stream) : readClaudeRequest(body, route.model, stream);
    if (!read.ok) return { reply: read.reply };
    this.sequence += 1;
    const wire = wireOf(route.family);
    return {
      family: route.family,
      wire,
      view: read.view,
      context: wire.newContext(this.sequence, route.model),
      toolCallId: wire.toolCallId(this.sequence),
    };
  }

  private take(token: string | null, clientEmail: string): Behaviour {
    const byToken = token === null ? undefined : this.queues.get(token)?.shift();
    return byToken ?? this.queues.get(clientEmail)?.shift() ?? this.queues.get(ANY_CREDENTIAL)?.shift() ?? this.fallback;
  }

  private async perform(behaviour: Behaviour, exchange: Exchange, served: Served): Promise<void> {
    switch (behaviour.kind) {
      case 'ok':
        return this.complete(exchange, served, behaviour);
      case 'status': {
        if (!(await pause(exchange.signal, behaviour.delayMs ?? 0))) return;
        const standard = served.wire.error(behaviour.status);
        const headers = new Map(Object.entries(standard.headers));
        for (const [name, value] of Object.entries(behaviour.headers ?? {})) {
          if (value === null) headers.delete(name.toLowerCase());
          else headers.set(name.toLowerCase(), value);
        }
        sendReply(exchange.res, {
          status: behaviour.status,
          body: behaviour.body ?? standard.body,
          headers: Object.fromEntries(headers),
        });
        return;
      }
      case 'hang':
        return;
      case 'drop-mid-stream':
        return this.drop(exchange, served, behaviour.afterChunks, behaviour.chunkDelayMs ?? 0);
      case 'malformed-sse':
        return this.malformed(exchange, served, behaviour.chunkDelayMs ?? 0);
      case 'error-chunk':
        return this.errorMidStream(exchange, served, behaviour.chunkDelayMs ?? 0);
      case 'keepalive':
        throw new Error('Vertex sends no keep-alive comments');
      default:
        return assertNever(behaviour);
    }
  }

  private async complete(exchange: Exchange, served: Served, ok: OkOptions): Promise<void> {
    const answer = planAnswer(served.view, ok, served.toolCallId);
    if (!(await pause(exchange.signal, ok.delayMs ?? 0))) return;
    if (!served.view.stream) {
      sendReply(exchange.res, { status: 200, body: served.wire.completion(answer, served.context), headers: {} });
      return;
    }
    await this.stream(exchange, served.wire.streamFrames(answer, served.context), ok.chunkDelayMs ?? 0, 'end');
  }

  private async drop(exchange: Exchange, served: Served, afterChunks: number, chunkDelayMs: number): Promise<void> {
    const answer = planAnswer(served.view, {}, served.toolCallId);
    if (!served.view.stream) {
      const body = JSON.stringify(served.wire.completion(answer, served.context));
      exchange.res.writeHead(200, {
        'content-type': 'application/json; charset=UTF-8',
        'content-length': String(Buffer.byteLength(body)),
      });
      await writeChunk(exchange.res, body.slice(0, Math.floor(body.length / 2)), exchange.signal);
      exchange.droppedBySelf = true;
      exchange.res.destroy();
      return;
    }
    const frames = served.wire.streamFrames(answer, served.context).slice(0, Math.max(0, afterChunks));
    await this.stream(exchange, frames, chunkDelayMs, 'drop');
  }

  private async malformed(exchange: Exchange, served: Served, chunkDelayMs: number): Promise<void> {
    if (!served.view.stream) {
      sendReply(exchange.res, { status: 200, body: '{not json', headers: { 'content-type': 'application/json; charset=UTF-8' } });
      return;
    }
    const first = served.wire.streamFrames(planAnswer(served.view, {}, served.toolCallId), served.context).slice(0, 1);
    await this.stream(exchange, [...first, served.wire.malformedFrame()], chunkDelayMs, 'end');
  }

  private async errorMidStream(exchange: Exchange, served: Served, chunkDelayMs: number): Promise<void> {
    if (!served.view.stream) {
      sendReply(exchange.res, served.wire.error(served.family === 'claude' ? 529 : 500));
      return;
    }
    const frames: WireFrame[] = [];
    let content = 0;
    for (const frame of served.wire.streamFrames(planAnswer(served.view, {}, served.toolCallId), served.context)) {
      if (content >= CONTENT_BEFORE_ERROR) break;
      frames.push(frame);
      if (frame.content) content += 1;
    }
    await this.stream(exchange, [...frames, served.wire.streamError()], chunkDelayMs, 'end');
  }

  /** Writes SSE frames, waiting `chunkDelayMs` between them; `drop` destroys the socket instead of ending. */
  private async stream(
    exchange: Exchange,
    frames: readonly WireFrame[],
    chunkDelayMs: number,
    ending: 'end' | 'drop',
  ): Promise<void> {
    const { res, signal } = exchange;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.flushHeaders();
    for (const [index, frame] of frames.entries()) {
      if (index > 0 && !(await pause(signal, chunkDelayMs))) return;
      await writeChunk(res, frame.text, signal);
      if (signal.aborted) return;
      exchange.chunksSent += 1;
    }
    if (ending === 'drop') {
      exchange.droppedBySelf = true;
      res.destroy();
    } else {
      res.end();
    }
  }

  private recordDisconnect(exchange: Exchange, request: VertexRecordedRequest): void {
    const at = Date.now();
    const disconnect: VertexDisconnect = { request, at, elapsedMs: at - exchange.startedAt, chunksSent: exchange.chunksSent };
    this.disconnects.push(disconnect);
    const waiter = this.disconnectWaiters.shift();
    if (waiter !== undefined) {
      this.observedDisconnects += 1;
      waiter(disconnect);
    }
  }
}

function assertSupported(behaviour: Behaviour): void {
  if (behaviour.kind === 'keepalive')
    throw new Error('Vertex sends no SSE keep-alive comments; script `ok` with `delayMs` instead');
}
