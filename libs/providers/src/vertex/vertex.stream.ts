import { assertNever } from '@gw/kernel';
import type { JsonObject, StreamDecoder, StreamEvent } from '../provider.types';
import { SseDecoder } from '../sse/sse-decoder';
import type { VertexFamily } from './vertex.url';

/** Turns one upstream SSE data object into gateway stream events (OpenAI chunks, comments, done). */
export interface StreamTranslator {
  translate(data: JsonObject): StreamEvent[];
  /** Called once the upstream closed the stream cleanly. */
  finish(): StreamEvent[];
}

/** What every chunk of one answer shares. */
export interface ChunkIdentity {
  id: string;
  model: string;
  created: number;
}

export function openAiChunk(identity: ChunkIdentity, delta: JsonObject, finishReason: string | null): JsonObject {
  return {
    id: identity.id,
    object: 'chat.completion.chunk',
    created: identity.created,
    model: identity.model,
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  };
}

/** The usage chunk closing a stream, with empty `choices` as OpenAI's `include_usage` sends it. */
export function usageChunk(identity: ChunkIdentity, usage: JsonObject): JsonObject {
  return {
    id: identity.id,
    object: 'chat.completion.chunk',
    created: identity.created,
    model: identity.model,
    choices: [],
    usage,
  };
}

/** An upstream failure after the stream started: the gateway turns it into its mid-stream error chunk. */
export function errorChunk(identity: ChunkIdentity, error: JsonObject): JsonObject {
  return {
    id: identity.id,
    object: 'chat.completion.chunk',
    created: identity.created,
    model: identity.model,
    choices: [],
    error,
  };
}

/**
 * Decodes a Vertex stream: SSE framing by SseDecoder, each data object translated by the model
 * family's translator. Without a family (the ProviderAdapter interface creates decoders without
 * context) the first data object tells: Anthropic events carry a string `type`, Gemini responses
 * never do.
 */
export class VertexStreamDecoder implements StreamDecoder {
  private readonly sse = new SseDecoder();
  private translator: StreamTranslator | null;

  constructor(
    family: VertexFamily | null,
    private readonly translators: { readonly gemini: () => StreamTranslator; readonly claude: () => StreamTranslator },
  ) {
    this.translator = family === null ? null : this.create(family);
  }

  push(bytes: Buffer): StreamEvent[] {
    return this.sse.push(bytes).flatMap((event) => this.handle(event));
  }

  end(): StreamEvent[] {
    const events = this.sse.end().flatMap((event) => this.handle(event));
    return [...events, ...(this.translator?.finish() ?? [])];
  }

  private handle(event: StreamEvent): StreamEvent[] {
    if (event.type !== 'chunk') return [event];
    this.translator ??= this.create(typeof event.chunk['type'] === 'string' ? 'claude' : 'gemini');
    return this.translator.translate(event.chunk);
  }

  private create(family: VertexFamily): StreamTranslator {
    switch (family) {
      case 'gemini':
        return this.translators.gemini();
      case 'claude':
        return this.translators.claude();
      default:
        return assertNever(family, 'Vertex family');
    }
  }
}
