import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import type { JsonObject, StreamDecoder, StreamEvent } from '../provider.types';
import {
  bedrockFinishReason,
  newCompletionIdentity,
  usageFromConverse,
  type CompletionIdentity,
} from './bedrock-response.translate';

/** Prelude (total length, headers length, prelude CRC) plus the trailing message CRC. */
const FRAME_OVERHEAD = 16;
/** The event-stream format caps a message at 16 MiB; anything larger is a corrupt length. */
const MAX_FRAME_BYTES = 16 * 1024 * 1024 + FRAME_OVERHEAD;

/** HTTP statuses of ConverseStream's modeled exceptions, for the error chunk's `code`. */
const EXCEPTION_STATUS: Readonly<Record<string, number>> = {
  validationException: 400,
  modelTimeoutException: 408,
  modelStreamErrorException: 424,
  throttlingException: 429,
  internalServerException: 500,
  serviceUnavailableException: 503,
};

type DecodedMessage = ReturnType<EventStreamCodec['decode']>;

/**
 * ConverseStream's binary `application/vnd.amazon.eventstream` -> OpenAI `chat.completion.chunk`s.
 * Frames may arrive split at any byte or several to a chunk; each is checked (both CRCs) by the
 * codec once complete. Usage comes last, on a chunk with empty `choices`, followed by `done`.
 * An exception frame becomes a chunk carrying `error` (and `finish_reason: "error"`), after which
 * the decoder stops, as the service does.
 */
export class BedrockStreamDecoder implements StreamDecoder {
  private readonly codec = new EventStreamCodec(toUtf8, fromUtf8);
  private pending: Buffer = Buffer.alloc(0);
  /** contentBlockIndex -> the OpenAI tool-call index (tool calls counted from 0). */
  private readonly toolIndex = new Map<number, number>();
  /** messageStop arrived: the answer is complete even if metadata never does. */
  private stopped = false;
  /** Done, failed or ended: later bytes are ignored. */
  private closed = false;

  constructor(private readonly identity: CompletionIdentity = newCompletionIdentity()) {}

  push(bytes: Buffer): StreamEvent[] {
    if (this.closed) return [];
    this.pending = this.pending.length === 0 ? bytes : Buffer.concat([this.pending, bytes]);
    const events: StreamEvent[] = [];
    // Events and failures may close the decoder mid-loop; `isOpen()` reads the field afresh.
    while (this.isOpen() && this.pending.length >= 4) {
      const total = this.pending.readUInt32BE(0);
      if (total < FRAME_OVERHEAD || total > MAX_FRAME_BYTES) {
        events.push(this.fail(`event-stream frame length ${total} is out of range`));
        break;
      }
      if (this.pending.length < total) break;
      const frame = this.pending.subarray(0, total);
      this.pending = this.pending.subarray(total);
      let message: DecodedMessage;
      try {
        message = this.codec.decode(frame);
      } catch {
        events.push(this.fail('event-stream frame failed its checksum'));
        break;
      }
      events.push(...this.onMessage(message));
    }
    return events;
  }

  end(): StreamEvent[] {
    if (this.closed) return [];
    this.closed = true;
    // Without messageStop the stream was cut: no `done`, so the caller reports an early end.
    return this.stopped ? [{ type: 'done' }] : [];
  }

  private isOpen(): boolean {
    return !this.closed;
  }

  private onMessage(message: DecodedMessage): StreamEvent[] {
    const messageType = stringHeader(message, ':message-type');
    switch (messageType) {
      case 'event': {
        const payload = parsePayload(message.body);
        if (payload === null) return [this.fail('event payload is not a JSON object')];
        return this.onEvent(stringHeader(message, ':event-type') ?? '', payload);
      }
      case 'exception': {
        const type = stringHeader(message, ':exception-type') ?? 'unknownException';
        const payload = parsePayload(message.body);
        const text = payload !== null && typeof payload['message'] === 'string' ? payload['message'] : type;
        return [this.errorChunk(type, EXCEPTION_STATUS[type] ?? 500, text)];
      }
      case 'error': {
        const code = stringHeader(message, ':error-code') ?? 'UnknownError';
        return [this.errorChunk(code, 500, stringHeader(message, ':error-message') ?? code)];
      }
      case null:
      default:
        return [this.fail(`unknown event-stream message type ${String(messageType)}`)];
    }
  }

  private onEvent(eventType: string, payload: JsonObject): StreamEvent[] {
    switch (eventType) {
      case 'messageStart':
        return [this.chunk({ role: 'assistant', content: '' })];
      case 'contentBlockStart': {
        const start = payload['start'];
        const toolUse = isObject(start) ? start['toolUse'] : undefined;
        const blockIndex = payload['contentBlockIndex'];
        if (!isObject(toolUse) || typeof blockIndex !== 'number') return [];
        const { toolUseId, name } = toolUse;
        if (typeof toolUseId !== 'string' || typeof name !== 'string') return [this.fail('toolUse start lacks an id or name')];
        const index = this.toolIndex.size;
        this.toolIndex.set(blockIndex, index);
        return [this.chunk({ tool_calls: [{ index, id: toolUseId, type: 'function', function: { name, arguments: '' } }] })];
      }
      case 'contentBlockDelta':
        return this.onDelta(payload);
      case 'messageStop': {
        this.stopped = true;
        const stopReason = typeof payload['stopReason'] === 'string' ? payload['stopReason'] : 'end_turn';
        return [this.chunk({}, bedrockFinishReason(stopReason), stopReason)];
      }
      case 'metadata': {
        this.closed = true;
        const usage = usageFromConverse(payload['usage']);
        const events: StreamEvent[] = [];
        if (usage !== null) events.push({ type: 'chunk', chunk: { ...this.envelope(), choices: [], usage: usage.json } });
        events.push({ type: 'done' });
        return events;
      }
      default:
        // contentBlockStop and events added later carry nothing an OpenAI client needs.
        return [];
    }
  }

  private onDelta(payload: JsonObject): StreamEvent[] {
    const delta = payload['delta'];
    if (!isObject(delta)) return [];
    if (typeof delta['text'] === 'string') return delta['text'] === '' ? [] : [this.chunk({ content: delta['text'] })];
    const toolUse = delta['toolUse'];
    if (isObject(toolUse) && typeof toolUse['input'] === 'string') {
      const blockIndex = payload['contentBlockIndex'];
      const index = typeof blockIndex === 'number' ? this.toolIndex.get(blockIndex) : undefined;
      if (index === undefined) return [this.fail('toolUse delta for a block that never started')];
      return [this.chunk({ tool_calls: [{ index, function: { arguments: toolUse['input'] } }] })];
    }
    const reasoning = delta['reasoningContent'];
    if (isObject(reasoning) && typeof reasoning['text'] === 'string' && reasoning['text'] !== '') {
      return [this.chunk({ reasoning: reasoning['text'] })];
    }
    return [];
  }

  private envelope(): JsonObject {
    return {
      id: this.identity.id,
      object: 'chat.completion.chunk',
      created: this.identity.created,
      model: this.identity.model,
    };
  }

  private chunk(delta: JsonObject, finishReason: string | null = null, nativeFinishReason?: string): StreamEvent {
    const choice: JsonObject = { index: 0, delta, finish_reason: finishReason, logprobs: null };
    if (nativeFinishReason !== undefined) choice['native_finish_reason'] = nativeFinishReason;
    return { type: 'chunk', chunk: { ...this.envelope(), choices: [choice] } };
  }

  /** The mid-stream error shape OpenRouter uses: a chunk with `error` and `finish_reason: "error"`. */
  private errorChunk(type: string, code: number, message: string): StreamEvent {
    this.closed = true;
    return {
      type: 'chunk',
      chunk: {
        ...this.envelope(),
        error: { code, type, message: message.slice(0, 500) },
        choices: [{ index: 0, delta: {}, finish_reason: 'error' }],
      },
    };
  }

  private fail(reason: string): StreamEvent {
    this.closed = true;
    return { type: 'malformed', reason };
  }
}

function stringHeader(message: DecodedMessage, name: string): string | null {
  const header = message.headers[name];
  return header?.type === 'string' ? header.value : null;
}

function parsePayload(body: Uint8Array): JsonObject | null {
  try {
    const parsed: unknown = JSON.parse(toUtf8(body));
    return isObject(parsed) ? parsed : null;
  } catch {
    return null;
  }
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
