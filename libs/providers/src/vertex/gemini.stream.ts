import type { JsonObject, StreamEvent } from '../provider.types';
import { isObject } from './chat-content.translate';
import {
  createdSeconds,
  geminiFinishReason,
  geminiUsage,
  randomToolCallId,
  readGeminiParts,
  type TranslateOptions,
} from './gemini.translate';
import { type ChunkIdentity, errorChunk, openAiChunk, type StreamTranslator, usageChunk } from './vertex.stream';

/**
 * Gemini `streamGenerateContent?alt=sse` -> OpenAI chunks. Each event is a whole
 * GenerateContentResponse holding only the new text; a function call arrives whole, so it becomes
 * one complete tool-call delta. `usageMetadata` is cumulative: the last one seen is sent on a
 * final chunk with empty `choices`. Gemini sends no end sentinel, so `done` is reported when the
 * stream closes after a `finishReason`; a stream cut before one ends without `done`.
 */
export class GeminiStreamTranslator implements StreamTranslator {
  private identity: ChunkIdentity | null = null;
  private roleSent = false;
  private toolCalls = 0;
  private finished = false;
  private failed = false;
  private usage: JsonObject | null = null;
  private readonly newToolCallId: () => string;

  constructor(private readonly options: TranslateOptions = {}) {
    this.newToolCallId = options.newToolCallId ?? randomToolCallId;
  }

  translate(data: JsonObject): StreamEvent[] {
    const identity = this.identityOf(data);
    const error = data['error'];
    if (error !== undefined) {
      this.failed = true;
      return [{ type: 'chunk', chunk: errorChunk(identity, googleError(error)) }];
    }
    const usage = geminiUsage(data['usageMetadata']);
    if (usage !== null) this.usage = usage.json;

    const candidates = Array.isArray(data['candidates']) ? (data['candidates'] as unknown[]) : [];
    const candidate = isObject(candidates[0]) ? candidates[0] : null;
    const view = readGeminiParts(candidate?.['content'], this.newToolCallId);
    const delta: JsonObject = {};
    if (view.text !== '') delta['content'] = view.text;
    if (view.reasoning !== '') delta['reasoning'] = view.reasoning;
    if (view.toolCalls.length > 0) {
      delta['tool_calls'] = view.toolCalls.map((call) => ({ index: this.toolCalls++, ...call }));
    }
    if (Object.keys(delta).length > 0 && !this.roleSent) {
      this.roleSent = true;
      delta['role'] = 'assistant';
    }

    let finishReason: string | null = null;
    const blocked = isObject(data['promptFeedback']) && data['promptFeedback']['blockReason'] !== undefined;
    if (candidate?.['finishReason'] !== undefined) {
      finishReason = geminiFinishReason(candidate['finishReason'], this.toolCalls > 0);
    } else if (candidate === null && blocked) {
      finishReason = 'content_filter';
    }
    if (finishReason !== null) this.finished = true;
    if (Object.keys(delta).length === 0 && finishReason === null) return [];
    return [{ type: 'chunk', chunk: openAiChunk(identity, delta, finishReason) }];
  }

  finish(): StreamEvent[] {
    if (!this.finished || this.failed) return [];
    const identity = this.identity ?? this.identityOf({});
    return [
      ...(this.usage === null ? [] : [{ type: 'chunk' as const, chunk: usageChunk(identity, this.usage) }]),
      { type: 'done' },
    ];
  }

  private identityOf(data: JsonObject): ChunkIdentity {
    this.identity ??= {
      id: typeof data['responseId'] === 'string' ? data['responseId'] : '',
      model: typeof data['modelVersion'] === 'string' ? data['modelVersion'] : '',
      created: createdSeconds(data['createTime'], this.options),
    };
    return this.identity;
  }
}

/** A google.rpc.Status as an error object: code, message, status. */
function googleError(error: unknown): JsonObject {
  if (!isObject(error)) return { message: 'upstream error' };
  const out: JsonObject = { message: typeof error['message'] === 'string' ? error['message'].slice(0, 500) : 'upstream error' };
  if (typeof error['code'] === 'number') out['code'] = error['code'];
  if (typeof error['status'] === 'string') out['status'] = error['status'];
  return out;
}
