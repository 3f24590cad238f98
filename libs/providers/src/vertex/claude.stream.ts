import type { JsonObject, StreamEvent } from '../provider.types';
import { isObject, tokenCount } from './chat-content.translate';
import { claudeFinishReason, claudeUsageOf } from './claude.translate';
import { type ChunkIdentity, errorChunk, openAiChunk, type StreamTranslator, usageChunk } from './vertex.stream';

/**
 * Anthropic Messages SSE (`streamRawPredict`) -> OpenAI chunks. Text and thinking deltas become
 * `content` / `reasoning`; a `tool_use` block becomes a tool-call head (id, name) and its
 * `input_json_delta`s argument fragments, indexed by tool call as OpenAI does. Input tokens come
 * with `message_start`, the output count with `message_delta`; the usage chunk and `done` follow
 * `message_stop`. Nothing is emitted for `message_start`, so an `error` event right after it can
 * still fall back to another provider.
 */
export class ClaudeStreamTranslator implements StreamTranslator {
  private identity: ChunkIdentity = { id: '', model: '', created: 0 };
  private roleSent = false;
  private readonly toolOfBlock = new Map<number, number>();
  private promptTokens = 0;
  private cachedTokens = 0;
  private outputTokens = 0;

  constructor(private readonly nowSeconds: () => number = () => Math.floor(Date.now() / 1000)) {}

  translate(data: JsonObject): StreamEvent[] {
    switch (data['type']) {
      case 'message_start':
        this.start(data['message']);
        return [];
      case 'content_block_start':
        return this.emit(this.blockStart(data['index'], data['content_block']), null);
      case 'content_block_delta':
        return this.emit(this.blockDelta(data['index'], data['delta']), null);
      case 'message_delta': {
        this.readUsage(data['usage']);
        const delta = isObject(data['delta']) ? data['delta'] : {};
        return delta['stop_reason'] === undefined || delta['stop_reason'] === null
          ? []
          : this.emit({}, claudeFinishReason(delta['stop_reason']));
      }
      case 'message_stop': {
        const usage = claudeUsageOf(this.promptTokens, this.outputTokens, this.cachedTokens);
        return [{ type: 'chunk', chunk: usageChunk(this.identity, usage.json) }, { type: 'done' }];
      }
      case 'ping':
        return [{ type: 'comment' }];
      case 'error':
        return [{ type: 'chunk', chunk: errorChunk(this.identity, anthropicError(data['error'])) }];
      default:
        // content_block_stop, and event types added after this was written.
        return [];
    }
  }

  finish(): StreamEvent[] {
    return [];
  }

  private start(message: unknown): void {
    const m = isObject(message) ? message : {};
    this.identity = {
      id: typeof m['id'] === 'string' ? m['id'] : '',
      model: typeof m['model'] === 'string' ? m['model'] : '',
      created: this.nowSeconds(),
    };
    this.readUsage(m['usage']);
  }

  private readUsage(usage: unknown): void {
    if (!isObject(usage)) return;
    if (usage['input_tokens'] !== undefined) {
      const cacheRead = tokenCount(usage['cache_read_input_tokens']);
      this.cachedTokens = cacheRead;
      this.promptTokens = tokenCount(usage['input_tokens']) + cacheRead + tokenCount(usage['cache_creation_input_tokens']);
    }
    // Cumulative: message_delta's count replaces message_start's.
    if (usage['output_tokens'] !== undefined) this.outputTokens = tokenCount(usage['output_tokens']);
  }

  private blockStart(index: unknown, block: unknown): JsonObject {
    if (!isObject(block) || typeof index !== 'number') return {};
    if (block['type'] === 'tool_use') {
      const toolIndex = this.toolOfBlock.size;
      this.toolOfBlock.set(index, toolIndex);
      const name = typeof block['name'] === 'string' ? block['name'] : '';
      const id = typeof block['id'] === 'string' ? block['id'] : '';
      return { tool_calls: [{ index: toolIndex, id, type: 'function', function: { name, arguments: '' } }] };
    }
    if (block['type'] === 'text' && typeof block['text'] === 'string' && block['text'] !== '') return { content: block['text'] };
    return {};
  }

  private blockDelta(index: unknown, delta: unknown): JsonObject {
    if (!isObject(delta)) return {};
    switch (delta['type']) {
      case 'text_delta':
        return typeof delta['text'] === 'string' && delta['text'] !== '' ? { content: delta['text'] } : {};
      case 'thinking_delta':
        return typeof delta['thinking'] === 'string' && delta['thinking'] !== '' ? { reasoning: delta['thinking'] } : {};
      case 'input_json_delta': {
        const toolIndex = typeof index === 'number' ? this.toolOfBlock.get(index) : undefined;
        const fragment = delta['partial_json'];
        if (toolIndex === undefined || typeof fragment !== 'string' || fragment === '') return {};
        return { tool_calls: [{ index: toolIndex, function: { arguments: fragment } }] };
      }
      default:
        // signature_delta and citations carry nothing an OpenAI client reads.
        return {};
    }
  }

  private emit(delta: JsonObject, finishReason: string | null): StreamEvent[] {
    const hasDelta = Object.keys(delta).length > 0;
    if (!hasDelta && finishReason === null) return [];
    if (hasDelta && !this.roleSent) {
      this.roleSent = true;
      delta['role'] = 'assistant';
    }
    return [{ type: 'chunk', chunk: openAiChunk(this.identity, delta, finishReason) }];
  }
}

function anthropicError(error: unknown): JsonObject {
  if (!isObject(error)) return { message: 'upstream error' };
  const out: JsonObject = { message: typeof error['message'] === 'string' ? error['message'].slice(0, 500) : 'upstream error' };
  if (typeof error['type'] === 'string') out['type'] = error['type'];
  return out;
}
