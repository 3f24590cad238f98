import type { IncomingMessage, ServerResponse } from 'node:http';
import { assertNever, planAnswer } from './answer';
import type { Behaviour, OkOptions } from './behaviour';
import type { ChatRequestView } from './chat-request';
import type { FakeGoogleToken, IssuedToken } from './fake-google-token';
import {
  bearerToken,
  type HttpExchange,
  pause,
  receive,
  scriptedReply,
  sendHalfThenDrop,
  sendReply,
  streamChunks,
} from './fake-http';
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
import { ScriptedFake } from './scripted-fake';
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

type Exchange = HttpExchange<VertexRecordedRequest>;

interface Served {
  readonly family: VertexFamily;
  readonly wire: VertexWire;
  readonly view: ChatRequestView;
  readonly context: WireContext;
  readonly toolCallId: string;
}

const OK: Behaviour = { kind: 'ok' };
const JSON_TYPE = 'application/json; charset=UTF-8';
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
export class FakeVertex extends ScriptedFake<Behaviour, VertexRecordedRequest, VertexDisconnect> {
  private readonly models: ReadonlySet<string> | null;
  private sequence = 0;

  private constructor(private readonly options: FakeVertexOptions) {
    super({
      label: 'fake Vertex',
      ok: OK,
      disconnect: ({ request, at, elapsedMs, sent }) => ({ request, at, elapsedMs, chunksSent: sent }),
    });
    this.models = options.models === undefined ? null : new Set(options.models);
  }

  static async start(options: FakeVertexOptions): Promise<FakeVertex> {
    return new FakeVertex(options).listen();
  }

  /** Requests that reached a model route with a valid token. */
  get modelRequests(): VertexRecordedRequest[] {
    return this.requests.filter((request) => request.clientEmail !== null && request.family !== null);
  }

  protected assertSupported(behaviour: Behaviour): void {
    if (behaviour.kind === 'keepalive')
      throw new Error('Vertex sends no SSE keep-alive comments; script `ok` with `delayMs` instead');
  }

  protected async handle(req: IncomingMessage, exchange: Exchange): Promise<void> {
    const { res } = exchange;
    const received = await receive(req);
    const token = bearerToken(received.headers);
    const issued = token === null ? null : this.options.tokens.lookup(token);
    const url = new URL(received.path, 'http://fake.invalid');
    const route = parseVertexPath(url.pathname);
    const stream = route !== null && (route.method === 'streamGenerateContent' || route.method === 'streamRawPredict');
    const request: VertexRecordedRequest = {
      ...received,
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
      send(res, googleError(401));
      return;
    }
    if (req.method !== 'POST' || route === null) {
      send(res, googleError(404, `The requested URL ${url.pathname} was not found on this server.`));
      return;
    }
    const served = this.serve(route, url, issued, request.body, stream);
    if ('reply' in served) {
      send(res, served.reply);
      return;
    }
    await this.perform(this.queues.take(token, issued.clientEmail), exchange, served);
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

  private async perform(behaviour: Behaviour, exchange: Exchange, served: Served): Promise<void> {
    switch (behaviour.kind) {
      case 'ok':
        return this.complete(exchange, served, behaviour);
      case 'status': {
        if (!(await pause(exchange.signal, behaviour.delayMs ?? 0))) return;
        send(exchange.res, scriptedReply(behaviour, served.wire.error(behaviour.status)));
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
      send(exchange.res, { status: 200, body: served.wire.completion(answer, served.context), headers: {} });
      return;
    }
    await this.stream(exchange, served.wire.streamFrames(answer, served.context), ok.chunkDelayMs ?? 0, 'end');
  }

  private async drop(exchange: Exchange, served: Served, afterChunks: number, chunkDelayMs: number): Promise<void> {
    const answer = planAnswer(served.view, {}, served.toolCallId);
    if (!served.view.stream) {
      const body = JSON.stringify(served.wire.completion(answer, served.context));
      await sendHalfThenDrop(exchange, { 'content-type': JSON_TYPE }, body);
      return;
    }
    const frames = served.wire.streamFrames(answer, served.context).slice(0, Math.max(0, afterChunks));
    await this.stream(exchange, frames, chunkDelayMs, 'drop');
  }

  private async malformed(exchange: Exchange, served: Served, chunkDelayMs: number): Promise<void> {
    if (!served.view.stream) {
      send(exchange.res, { status: 200, body: '{not json', headers: { 'content-type': JSON_TYPE } });
      return;
    }
    const first = served.wire.streamFrames(planAnswer(served.view, {}, served.toolCallId), served.context).slice(0, 1);
    await this.stream(exchange, [...first, served.wire.malformedFrame()], chunkDelayMs, 'end');
  }

  private async errorMidStream(exchange: Exchange, served: Served, chunkDelayMs: number): Promise<void> {
    if (!served.view.stream) {
      send(exchange.res, served.wire.error(served.family === 'claude' ? 529 : 500));
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
    const chunks = frames.map((frame, i) => ({ chunk: frame.text, delayMs: i === 0 ? 0 : chunkDelayMs, counted: true }));
    await streamChunks(exchange, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' }, chunks, ending);
  }
}

/** Google spells the JSON content type with a charset. */
function send(res: ServerResponse, reply: Reply): void {
  sendReply(res, reply, JSON_TYPE);
}
