import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { SignatureV4 } from '@smithy/signature-v4';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { assertNever, planAnswer, splitText, type Answer } from './answer';
import type { Behaviour, OkOptions, UsageScript } from './behaviour';
import { isRecord, type ChatRequestView, type ToolChoice } from './chat-request';
import {
  bearerToken,
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
import type { Reply } from './upstream-dialect';

/** AWS credentials the fake knows; a session token, when set, must ride in `x-amz-security-token`. */
export interface FakeBedrockAccessKey {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** Accepted by default (the access key id has the shape `bedrockSecret` requires). */
export const FAKE_BEDROCK_ACCESS_KEY: FakeBedrockAccessKey = {
  accessKeyId: 'AKIAFAKEBEDROCK00001',
  secretAccessKey: 'fake/BedrockSecretAccessKey/000000000001',
};

/** A Bedrock API key (Bearer) accepted by default. */
export const FAKE_BEDROCK_API_KEY = 'ABSKZmFrZS1iZWRyb2NrLWFwaS1rZXktMDAwMQ==';

export interface FakeBedrockOptions {
  /** Default: `[FAKE_BEDROCK_ACCESS_KEY]`. */
  readonly accessKeys?: readonly FakeBedrockAccessKey[];
  /** Default: `[FAKE_BEDROCK_API_KEY]`. */
  readonly apiKeys?: readonly string[];
  /** When given, other model ids get Bedrock's 400 "The provided model identifier is invalid." */
  readonly models?: readonly string[];
  /** When given, signatures scoped to another region are refused; by default any region signs. */
  readonly region?: string;
  /** The clock `X-Amz-Date` is checked against (milliseconds). */
  readonly now?: () => number;
}

/** ConverseStream's modeled exceptions, as `:exception-type` names them. */
export type BedrockStreamException =
  | 'throttlingException'
  | 'modelStreamErrorException'
  | 'internalServerException'
  | 'serviceUnavailableException'
  | 'validationException'
  | 'modelTimeoutException';

/**
 * The shared behaviours, plus an exception frame after `afterEvents` events (default 0: before the
 * first). Shared ones read as: `malformed-sse` = one good frame, then one whose CRC fails;
 * `error-chunk` = a few events, then `modelStreamErrorException` (non-streaming: a 424);
 * `drop-mid-stream` counts event frames. `keepalive` is refused: Bedrock sends none.
 */
export type FakeBedrockBehaviour =
  | Behaviour
  | {
      readonly kind: 'stream-exception';
      readonly exception: BedrockStreamException;
      readonly afterEvents?: number;
      readonly message?: string;
    };

export type BedrockOperation = 'converse' | 'converse-stream';

/** One request as the fake saw it; `path` still has the model id percent-encoded. */
export interface BedrockRecordedRequest extends ReceivedRequest {
  /** The access key id (SigV4) or API key (Bearer) the request named, verified or not. */
  readonly credential: string | null;
  readonly auth: 'sigv4' | 'apiKey' | null;
  /** The fake accepted the credential (and, for SigV4, the signature). */
  readonly authorized: boolean;
  readonly operation: BedrockOperation | null;
  /** Decoded from the path. */
  readonly modelId: string | null;
  readonly receivedAt: number;
}

export interface BedrockDisconnect {
  readonly request: BedrockRecordedRequest;
  readonly at: number;
  readonly elapsedMs: number;
  /** Event frames written before the client went away. */
  readonly framesSent: number;
}

type Exchange = HttpExchange<BedrockRecordedRequest>;

/** One ConverseStream event: its `:event-type` and inner payload. */
interface StreamEvent {
  readonly type: string;
  readonly payload: Record<string, unknown>;
  /** Carries part of the answer (text or tool arguments). */
  readonly content: boolean;
}

const OK: FakeBedrockBehaviour = { kind: 'ok' };
const CONVERSE_PATH = /^\/model\/([^/]+)\/(converse|converse-stream)$/;
const AUTHORIZATION =
  /^AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})\s*$/;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const MAX_SKEW_MS = 5 * 60_000;
const ERROR_TYPE_SUFFIX = ':http://internal.amazon.com/coral/com.amazon.bedrock/';
const CORAL_SUFFIX = ':http://internal.amazon.com/coral/com.amazon.coral.service/';
const CONTENT_EVENTS_BEFORE_ERROR = 2;
const BLOCK_KEYS = new Set([
  'text',
  'image',
  'document',
  'video',
  'audio',
  'toolUse',
  'toolResult',
  'reasoningContent',
  'cachePoint',
  'guardContent',
  'citationsContent',
]);

/** Bedrock's error name and message for each status the fakes script. */
const ERRORS: Readonly<Record<number, readonly [string, string]>> = {
  400: ['ValidationException', 'Malformed input request, please reformat your input and try again.'],
  403: ['AccessDeniedException', "You don't have access to the model with the specified model ID."],
  404: ['ResourceNotFoundException', 'The requested resource could not be found.'],
  408: ['ModelTimeoutException', 'Model has timed out in processing the request. Try your request again.'],
  424: ['ModelErrorException', 'The system encountered an unexpected error during processing. Try your request again.'],
  429: ['ThrottlingException', 'Too many requests, please wait before trying again.'],
  500: ['InternalServerException', 'The system encountered an unexpected error during processing. Try your request again.'],
  503: ['ServiceUnavailableException', 'Bedrock is unable to process your request.'],
};

const STREAM_EXCEPTION_MESSAGES: Readonly<Record<BedrockStreamException, string>> = {
  throttlingException: 'Too many tokens, please wait before trying again.',
  modelStreamErrorException: 'The model stream was interrupted by an error.',
  internalServerException: 'The system encountered an unexpected error during processing. Try your request again.',
  serviceUnavailableException: 'Bedrock is unable to process your request.',
  validationException: 'The model returned an invalid stream.',
  modelTimeoutException: 'Model has timed out in processing the request.',
};

const HTTP_STATUS_OF_EXCEPTION: Readonly<Record<BedrockStreamException, number>> = {
  throttlingException: 429,
  modelStreamErrorException: 424,
  internalServerException: 500,
  serviceUnavailableException: 503,
  validationException: 400,
  modelTimeoutException: 408,
};

/**
 * A scriptable Bedrock Runtime on a bare `node:http` server: `POST /model/{modelId}/converse`
 * (JSON) and `/converse-stream` (binary event stream). It verifies real SigV4 signatures by
 * re-signing the request it received with `@smithy/signature-v4` and the secret of the named
 * access key, and Bearer API keys. Behaviours are scripted per credential (access key id or API
 * key), like the OpenAI-protocol fakes. `url` is the SDK's `endpoint`, or the gateway's
 * BEDROCK_ENDPOINT_URL.
 */
export class FakeBedrock extends ScriptedFake<FakeBedrockBehaviour, BedrockRecordedRequest, BedrockDisconnect> {
  private readonly accessKeys: ReadonlyMap<string, FakeBedrockAccessKey>;
  private readonly apiKeys: ReadonlySet<string>;
  private readonly models: ReadonlySet<string> | null;
  private readonly codec = new EventStreamCodec(toUtf8, fromUtf8);
  private sequence = 0;

  private constructor(private readonly options: FakeBedrockOptions) {
    super({
      label: 'fake Bedrock',
      ok: OK,
      disconnect: ({ request, at, elapsedMs, sent }) => ({ request, at, elapsedMs, framesSent: sent }),
    });
    this.accessKeys = new Map((options.accessKeys ?? [FAKE_BEDROCK_ACCESS_KEY]).map((key) => [key.accessKeyId, key]));
    this.apiKeys = new Set(options.apiKeys ?? [FAKE_BEDROCK_API_KEY]);
    this.models = options.models === undefined ? null : new Set(options.models);
  }

  static async start(options: FakeBedrockOptions = {}): Promise<FakeBedrock> {
    return new FakeBedrock(options).listen();
  }

  protected assertSupported(behaviour: FakeBedrockBehaviour): void {
    if (behaviour.kind === 'keepalive') throw new Error('Bedrock sends no keep-alives; script `ok` with `delayMs` instead');
  }

  protected async handle(req: IncomingMessage, exchange: Exchange): Promise<void> {
    const received = await receive(req);
    const { method, path, headers, rawBody } = received;
    const route = CONVERSE_PATH.exec(path.split('?')[0] ?? '');
    const modelId = route?.[1] === undefined ? null : safeDecode(route[1]);
    const operation = route?.[2] === 'converse' || route?.[2] === 'converse-stream' ? route[2] : null;
    const verdict = await this.authenticate(method, path, headers, rawBody);
    const request: BedrockRecordedRequest = {
      ...received,
      credential: verdict.credential,
      auth: verdict.auth,
      authorized: verdict.reply === null,
      operation,
      modelId,
      receivedAt: Date.now(),
    };
    this.requests.push(request);
    exchange.request = request;

    if (verdict.reply !== null) return send(exchange.res, verdict.reply);
    if (method !== 'POST' || operation === null || modelId === null || verdict.credential === null) {
      return send(exchange.res, awsError(404, 'UnknownOperationException', 'Unknown operation.'));
    }
    const read = readConverseRequest(request.body, operation === 'converse-stream');
    if (!read.ok) return send(exchange.res, awsError(400, 'ValidationException', read.message));
    if (this.models !== null && !this.models.has(modelId)) {
      return send(exchange.res, awsError(400, 'ValidationException', 'The provided model identifier is invalid.'));
    }
    this.sequence += 1;
    await this.perform(this.queues.take(verdict.credential), exchange, read.view);
  }

  private async perform(behaviour: FakeBedrockBehaviour, exchange: Exchange, view: ChatRequestView): Promise<void> {
    switch (behaviour.kind) {
      case 'ok':
        return this.complete(exchange, view, behaviour);
      case 'keepalive':
        throw new Error('Bedrock sends no keep-alives');
      case 'status':
        return this.fail(exchange, behaviour);
      case 'hang':
        return;
      case 'drop-mid-stream':
        return this.drop(exchange, view, behaviour.afterChunks, behaviour.chunkDelayMs ?? 0);
      case 'malformed-sse':
        return this.malformed(exchange, view, behaviour.chunkDelayMs ?? 0);
      case 'error-chunk':
        return this.streamException(exchange, view, 'modelStreamErrorException', null, undefined, behaviour.chunkDelayMs ?? 0);
      case 'stream-exception':
        return this.streamException(exchange, view, behaviour.exception, behaviour.afterEvents ?? 0, behaviour.message, 0);
      default:
        return assertNever(behaviour);
    }
  }

  private async complete(exchange: Exchange, view: ChatRequestView, ok: OkOptions): Promise<void> {
    const answer = planAnswer(view, ok, this.toolUseId());
    if (!(await pause(exchange.signal, ok.delayMs ?? 0))) return;
    if (!view.stream) return send(exchange.res, { status: 200, body: converseResponse(answer), headers: requestIdHeader() });
    await this.stream(exchange, this.eventFrames(streamEvents(answer), ok.chunkDelayMs ?? 0), 'end');
  }

  private async fail(exchange: Exchange, behaviour: Extract<Behaviour, { kind: 'status' }>): Promise<void> {
    if (!(await pause(exchange.signal, behaviour.delayMs ?? 0))) return;
    const [name, message] = ERRORS[behaviour.status] ?? [
      behaviour.status >= 500 ? 'InternalServerException' : 'ValidationException',
      'Error',
    ];
    send(exchange.res, scriptedReply(behaviour, awsError(behaviour.status, name, message)));
  }

  private async drop(exchange: Exchange, view: ChatRequestView, afterEvents: number, delayMs: number): Promise<void> {
    const answer = planAnswer(view, {}, this.toolUseId());
    if (!view.stream) {
      const body = JSON.stringify(converseResponse(answer));
      await sendHalfThenDrop(exchange, { ...requestIdHeader(), 'content-type': 'application/json' }, body);
      return;
    }
    const events = streamEvents(answer).slice(0, Math.max(0, afterEvents));
    await this.stream(exchange, this.eventFrames(events, delayMs), 'drop');
  }

  private async malformed(exchange: Exchange, view: ChatRequestView, delayMs: number): Promise<void> {
    if (!view.stream) {
      return send(exchange.res, {
        status: 200,
        body: '{not json',
        headers: { ...requestIdHeader(), 'content-type': 'application/json' },
      });
    }
    const [first, second] = streamEvents(planAnswer(view, {}, this.toolUseId()));
    if (first === undefined || second === undefined) throw new Error('an answer has at least two events');
    const corrupted = Buffer.from(this.eventFrame(second));
    // Flip a byte of the message CRC: the frame is complete but fails its checksum.
    const last = corrupted.length - 1;
    corrupted[last] = (corrupted[last] ?? 0) ^ 0xff;
    await this.stream(exchange, [...this.eventFrames([first], 0), { chunk: corrupted, delayMs, counted: true }], 'end');
  }

  /** `afterEvents` null: after the role event and a couple of content events (error-chunk). */
  private async streamException(
    exchange: Exchange,
    view: ChatRequestView,
    exception: BedrockStreamException,
    afterEvents: number | null,
    message: string | undefined,
    delayMs: number,
  ): Promise<void> {
    if (!view.stream) {
      // Converse fails the same way before answering: the exception's HTTP form.
      const status = HTTP_STATUS_OF_EXCEPTION[exception];
      const [name, text] = ERRORS[status] ?? ['ModelErrorException', STREAM_EXCEPTION_MESSAGES[exception]];
      return send(exchange.res, awsError(status, name, message ?? text));
    }
    const events = streamEvents(planAnswer(view, {}, this.toolUseId()));
    let sent = events.slice(0, Math.max(0, afterEvents ?? 0));
    if (afterEvents === null) {
      sent = [];
      let content = 0;
      for (const event of events) {
        if (content >= CONTENT_EVENTS_BEFORE_ERROR) break;
        sent.push(event);
        if (event.content) content += 1;
      }
    }
    const payload: Record<string, unknown> = { message: message ?? STREAM_EXCEPTION_MESSAGES[exception] };
    if (exception === 'modelStreamErrorException') {
      payload['originalStatusCode'] = 500;
      payload['originalMessage'] = 'Internal server error';
    }
    const frames = [
      ...this.eventFrames(sent, delayMs),
      { chunk: this.exceptionFrame(exception, payload), delayMs, counted: true },
    ];
    await this.stream(exchange, frames, 'end');
  }

  private async stream(exchange: Exchange, frames: readonly TimedChunk[], ending: 'end' | 'drop'): Promise<void> {
    await streamChunks(exchange, { ...requestIdHeader(), 'content-type': 'application/vnd.amazon.eventstream' }, frames, ending);
  }

  /** Event frames, the first at once and the rest `delayMs` apart; each counts in `framesSent`. */
  private eventFrames(events: readonly StreamEvent[], delayMs: number): TimedChunk[] {
    return events.map((event, i) => ({ chunk: this.eventFrame(event), delayMs: i === 0 ? 0 : delayMs, counted: true }));
  }

  private eventFrame(event: StreamEvent): Uint8Array {
    // Real events carry a random-length padding field `p`; clients must ignore it.
    const payload = {
      ...event.payload,
      p: 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJ'.slice(0, 4 + ((this.sequence * 7 + event.type.length) % 30)),
    };
    return this.codec.encode({
      headers: {
        ':event-type': { type: 'string', value: event.type },
        ':content-type': { type: 'string', value: 'application/json' },
        ':message-type': { type: 'string', value: 'event' },
      },
      body: fromUtf8(JSON.stringify(payload)),
    });
  }

  private exceptionFrame(exception: BedrockStreamException, payload: Record<string, unknown>): Uint8Array {
    return this.codec.encode({
      headers: {
        ':exception-type': { type: 'string', value: exception },
        ':content-type': { type: 'string', value: 'application/json' },
        ':message-type': { type: 'string', value: 'exception' },
      },
      body: fromUtf8(JSON.stringify(payload)),
    });
  }

  private toolUseId(): string {
    return `tooluse_fake${String(this.sequence).padStart(14, '0')}`;
  }

  /** Bearer API key or SigV4, checked as Bedrock does; a reply when refused. */
  private async authenticate(
    method: string,
    path: string,
    headers: Readonly<Record<string, string>>,
    rawBody: string,
  ): Promise<{ credential: string | null; auth: BedrockRecordedRequest['auth']; reply: Reply | null }> {
    const authorization = headers['authorization'] ?? '';
    const apiKey = bearerToken(headers);
    if (apiKey !== null) {
      return { credential: apiKey, auth: 'apiKey', reply: this.apiKeys.has(apiKey) ? null : unrecognizedClient() };
    }
    if (authorization === '')
      return {
        credential: null,
        auth: null,
        reply: coralError(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token'),
      };
    const match = AUTHORIZATION.exec(authorization);
    if (match === null) {
      return {
        credential: null,
        auth: 'sigv4',
        reply: coralError(
          403,
          'IncompleteSignatureException',
          `Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters.`,
        ),
      };
    }
    const [, accessKeyId = '', scopeDate = '', region = '', service = '', signedList = '', signature = ''] = match;
    const refuse = (reply: Reply) => ({ credential: accessKeyId, auth: 'sigv4' as const, reply });
    const key = this.accessKeys.get(accessKeyId);
    if (key === undefined) return refuse(unrecognizedClient());
    if (service !== 'bedrock') return refuse(invalidSignature(`Credential should be scoped to correct service: 'bedrock'.`));
    if (this.options.region !== undefined && region !== this.options.region) {
      return refuse(invalidSignature(`Credential should be scoped to a valid region, not '${region}'.`));
    }
    const amzDate = headers['x-amz-date'] ?? '';
    const signingDate = parseAmzDate(amzDate);
    if (signingDate === null)
      return refuse(invalidSignature(`Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.`));
    if (!amzDate.startsWith(scopeDate))
      return refuse(
        invalidSignature(
          `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scopeDate}' != '${amzDate.slice(0, 8)}'.`,
        ),
      );
    const now = (this.options.now ?? Date.now)();
    if (signingDate.getTime() < now - MAX_SKEW_MS) {
      return refuse(
        invalidSignature(
          `Signature expired: ${amzDate} is now earlier than ${amzFormat(now - MAX_SKEW_MS)} (${amzFormat(now)} - 5 min.)`,
        ),
      );
    }
    if (signingDate.getTime() > now + MAX_SKEW_MS) {
      return refuse(
        invalidSignature(
          `Signature not yet current: ${amzDate} is still later than ${amzFormat(now + MAX_SKEW_MS)} (${amzFormat(now)} + 5 min.)`,
        ),
      );
    }
    if ((headers['x-amz-security-token'] ?? null) !== (key.sessionToken ?? null)) return refuse(unrecognizedClient());
    const contentSha = headers['x-amz-content-sha256'];
    if (contentSha !== undefined && contentSha !== createHash('sha256').update(rawBody, 'utf8').digest('hex')) {
      return refuse(invalidSignature(`The provided 'x-amz-content-sha256' header does not match what was computed.`));
    }
    const signedNames = signedList.split(';');
    if (!signedNames.includes('host')) return refuse(invalidSignature(`'Host' must be a signed header.`));
    const signedHeaders: Record<string, string> = {};
    for (const name of signedNames) {
      const value = headers[name];
      if (value === undefined)
        return refuse(invalidSignature(`The request signature we calculated does not match the signature you provided.`));
      signedHeaders[name] = value;
    }
    const expected = await resign({ method, path, headers: signedHeaders, body: rawBody, region, key, signingDate, signedNames });
    const matches = expected.length === signature.length && timingSafeEqual(Buffer.from(expected), Buffer.from(signature));
    return matches
      ? { credential: accessKeyId, auth: 'sigv4', reply: null }
      : refuse(
          invalidSignature(
            'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
          ),
        );
  }
}

/**
 * The signature the client should have sent: the request as received (raw path, only the headers
 * it says it signed, its body and date) signed again with the key's secret. The path is passed
 * still encoded; the signer encodes it once more, as the client's did.
 */
async function resign(input: {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  region: string;
  key: FakeBedrockAccessKey;
  signingDate: Date;
  signedNames: readonly string[];
}): Promise<string> {
  const [pathname = '/', query = ''] = input.path.split('?');
  const signer = new SignatureV4({
    service: 'bedrock',
    region: input.region,
    // The token header, when signed, is already among the headers; adding it again would not change it.
    credentials: { accessKeyId: input.key.accessKeyId, secretAccessKey: input.key.secretAccessKey },
    sha256: Sha256,
    // Otherwise the signer would add and sign a payload hash the client may not have signed.
    applyChecksum: input.signedNames.includes('x-amz-content-sha256'),
  });
  const signed = await signer.sign(
    {
      method: input.method,
      protocol: 'http:',
      hostname: 'fake-bedrock',
      path: pathname,
      query: Object.fromEntries(new URLSearchParams(query)),
      headers: input.headers,
      body: input.body,
    },
    { signingDate: input.signingDate, signableHeaders: new Set(input.signedNames) },
  );
  const authorization = signed.headers['authorization'] ?? '';
  return /Signature=([0-9a-f]{64})/.exec(authorization)?.[1] ?? '';
}

type ConverseRead = { readonly ok: true; readonly view: ChatRequestView } | { readonly ok: false; readonly message: string };

/**
 * Checks what Bedrock certainly refuses (role order, blank text, tool blocks without toolConfig).
 * A conversation whose last turn returns tool results gets a text answer, so tool loops end.
 */
function readConverseRequest(body: unknown, stream: boolean): ConverseRead {
  if (!isRecord(body)) return { ok: false, message: 'Malformed input request, please reformat your input and try again.' };
  const messages = body['messages'];
  if (!Array.isArray(messages) || messages.length === 0) {
    return {
      ok: false,
      message: "1 validation error detected: Value null at 'messages' failed to satisfy constraint: Member must not be null",
    };
  }
  const toolConfig = body['toolConfig'];
  let promptChars = 0;
  let lastUserText = '';
  let answersTool = false;
  let previousRole: unknown = null;
  for (const [i, message] of messages.entries()) {
    if (!isRecord(message)) return { ok: false, message: `Malformed message at messages.${i}.` };
    const role = message['role'];
    if (role !== 'user' && role !== 'assistant') {
      return {
        ok: false,
        message: `1 validation error detected: Value '${String(role)}' at 'messages.${i + 1}.member.role' failed to satisfy constraint: Member must satisfy enum value set: [user, assistant]`,
      };
    }
    if (i === 0 && role !== 'user') {
      return {
        ok: false,
        message: 'A conversation must start with a user message. Try again with a conversation that starts with a user message.',
      };
    }
    if (role === previousRole) {
      return {
        ok: false,
        message:
          'A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.',
      };
    }
    previousRole = role;
    const content = message['content'];
    if (!Array.isArray(content) || content.length === 0)
      return {
        ok: false,
        message: `The content field in the Message object at messages.${i} is empty. Add a ContentBlock object to the content field and try again.`,
      };
    const texts: string[] = [];
    let toolResults = 0;
    for (const [j, block] of content.entries()) {
      const keys = isRecord(block) ? Object.keys(block) : [];
      const key = keys[0];
      if (!isRecord(block) || keys.length !== 1 || key === undefined || !BLOCK_KEYS.has(key)) {
        return {
          ok: false,
          message: `The ContentBlock object at messages.${i}.content.${j} must set exactly one of its fields.`,
        };
      }
      const value = block[key];
      if (key === 'text') {
        if (typeof value !== 'string' || value.trim() === '') {
          return {
            ok: false,
            message: `The text field in the ContentBlock object at messages.${i}.content.${j} is blank. Add text to the text field, and try again.`,
          };
        }
        texts.push(value);
      }
      if ((key === 'toolUse' || key === 'toolResult') && !isRecord(toolConfig)) {
        return { ok: false, message: 'The toolConfig field must be defined when using toolUse and toolResult content blocks.' };
      }
      if (key === 'toolResult') toolResults += 1;
    }
    answersTool = role === 'user' && toolResults > 0;
    const joined = texts.join(' ');
    promptChars += joined.length;
    if (role === 'user' && texts.length > 0) lastUserText = joined;
  }
  for (const block of Array.isArray(body['system']) ? (body['system'] as unknown[]) : []) {
    if (isRecord(block) && typeof block['text'] === 'string') promptChars += block['text'].length;
  }
  return {
    ok: true,
    view: {
      model: null,
      stream,
      includeUsage: true,
      lastUserText,
      promptChars,
      toolNames: toolNames(toolConfig),
      toolChoice: answersTool ? { kind: 'none' } : toolChoice(toolConfig),
      responseFormat: null,
    },
  };
}

function toolNames(toolConfig: unknown): string[] {
  const tools = isRecord(toolConfig) ? toolConfig['tools'] : undefined;
  if (!Array.isArray(tools)) return [];
  const names: string[] = [];
  for (const tool of tools) {
    const spec = isRecord(tool) ? tool['toolSpec'] : undefined;
    if (isRecord(spec) && typeof spec['name'] === 'string') names.push(spec['name']);
  }
  return names;
}

function toolChoice(toolConfig: unknown): ToolChoice {
  const choice = isRecord(toolConfig) ? toolConfig['toolChoice'] : undefined;
  if (!isRecord(choice)) return { kind: 'auto' };
  if (isRecord(choice['any'])) return { kind: 'required' };
  const tool = choice['tool'];
  if (isRecord(tool) && typeof tool['name'] === 'string') return { kind: 'named', name: tool['name'] };
  return { kind: 'auto' };
}

function usageJson(usage: UsageScript): Record<string, number> {
  return {
    inputTokens: usage.prompt_tokens,
    outputTokens: usage.completion_tokens,
    totalTokens: usage.prompt_tokens + usage.completion_tokens,
  };
}

function converseResponse(answer: Answer): unknown {
  return {
    metrics: { latencyMs: 42 },
    output: { message: { role: 'assistant', content: answerBlocks(answer) } },
    stopReason: stopReasonOf(answer),
    usage: usageJson(answer.usage),
  };
}

function answerBlocks(answer: Answer): unknown[] {
  switch (answer.kind) {
    case 'text':
      return [{ text: answer.content }];
    case 'tool': {
      const { id, name, arguments: args } = answer.toolCall;
      return [{ toolUse: { toolUseId: id, name, input: JSON.parse(args) as unknown } }];
    }
    default:
      return assertNever(answer);
  }
}

function stopReasonOf(answer: Answer): string {
  return answer.kind === 'tool' ? 'tool_use' : 'end_turn';
}

/** messageStart, one content block (text deltas, or a toolUse start and input fragments), messageStop, metadata. */
function streamEvents(answer: Answer): StreamEvent[] {
  const events: StreamEvent[] = [{ type: 'messageStart', payload: { role: 'assistant' }, content: false }];
  switch (answer.kind) {
    case 'text':
      for (const piece of splitText(answer.content)) {
        events.push({ type: 'contentBlockDelta', payload: { contentBlockIndex: 0, delta: { text: piece } }, content: true });
      }
      break;
    case 'tool': {
      const { id, name, arguments: args } = answer.toolCall;
      events.push({
        type: 'contentBlockStart',
        payload: { contentBlockIndex: 0, start: { toolUse: { toolUseId: id, name } } },
        content: false,
      });
      const size = Math.max(1, Math.ceil(args.length / 3));
      for (let i = 0; i < args.length; i += size) {
        events.push({
          type: 'contentBlockDelta',
          payload: { contentBlockIndex: 0, delta: { toolUse: { input: args.slice(i, i + size) } } },
          content: true,
        });
      }
      break;
    }
    default:
      return assertNever(answer);
  }
  events.push(
    { type: 'contentBlockStop', payload: { contentBlockIndex: 0 }, content: false },
    { type: 'messageStop', payload: { stopReason: stopReasonOf(answer) }, content: false },
    { type: 'metadata', payload: { usage: usageJson(answer.usage), metrics: { latencyMs: 42 } }, content: false },
  );
  return events;
}

function requestIdHeader(): Record<string, string> {
  return { 'x-amzn-requestid': randomUUID() };
}

function awsError(status: number, name: string, message: string, suffix = ERROR_TYPE_SUFFIX): Reply {
  return { status, body: { message }, headers: { ...requestIdHeader(), 'x-amzn-errortype': `${name}${suffix}` } };
}

function coralError(status: number, name: string, message: string): Reply {
  return awsError(status, name, message, CORAL_SUFFIX);
}

function unrecognizedClient(): Reply {
  return coralError(403, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
}

function invalidSignature(message: string): Reply {
  return coralError(403, 'InvalidSignatureException', message);
}

function parseAmzDate(value: string): Date | null {
  const match = AMZ_DATE.exec(value);
  if (match === null) return null;
  const [, y, mo, d, h, mi, s] = match.map(Number);
  if (y === undefined || mo === undefined || d === undefined || h === undefined || mi === undefined || s === undefined)
    return null;
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  return Number.isNaN(date.getTime()) ? null : date;
}

function amzFormat(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

function safeDecode(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}
