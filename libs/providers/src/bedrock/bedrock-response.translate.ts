import { randomUUID } from 'node:crypto';
import { assertNever } from '@gw/kernel';
import type { JsonObject, Usage } from '../provider.types';
import { CONVERSE_STOP_REASONS, type ConverseStopReason } from './bedrock-wire.types';

export type OpenAiFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

const STOP_REASONS: ReadonlySet<string> = new Set(CONVERSE_STOP_REASONS);

function isStopReason(value: string): value is ConverseStopReason {
  return STOP_REASONS.has(value);
}

/**
 * Converse `stopReason` -> OpenAI `finish_reason`. Malformed model output has no OpenAI
 * equivalent: it reads as `stop`, and the native value rides along as `native_finish_reason`.
 */
export function bedrockFinishReason(stopReason: string): OpenAiFinishReason {
  if (!isStopReason(stopReason)) return 'stop';
  switch (stopReason) {
    case 'end_turn':
    case 'stop_sequence':
    case 'malformed_model_output':
    case 'malformed_tool_use':
      return 'stop';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'guardrail_intervened':
    case 'content_filtered':
      return 'content_filter';
    default:
      return assertNever(stopReason, 'stop reason');
  }
}

/** Converse usage -> OpenAI usage JSON and the gateway's token counts; null when absent. */
export function usageFromConverse(value: unknown): { readonly json: JsonObject; readonly usage: Usage } | null {
  if (!isObject(value)) return null;
  const input = value['inputTokens'];
  const output = value['outputTokens'];
  if (typeof input !== 'number' || typeof output !== 'number') return null;
  const cacheRead = numberOr0(value['cacheReadInputTokens']);
  const cacheWrite = numberOr0(value['cacheWriteInputTokens']);
  const total = value['totalTokens'];
  // Converse does not say whether inputTokens counts cached tokens; totalTokens does: when it
  // covers them on top of input + output, input excludes them (as in Anthropic's own API).
  const cacheExcluded = typeof total !== 'number' || total >= input + output + cacheRead + cacheWrite;
  const prompt = cacheExcluded ? input + cacheRead + cacheWrite : input;
  return {
    json: {
      prompt_tokens: prompt,
      completion_tokens: output,
      total_tokens: prompt + output,
      prompt_tokens_details: { cached_tokens: cacheRead, cache_write_tokens: cacheWrite },
    },
    usage: { promptTokens: prompt, completionTokens: output, upstreamCostUsd: null },
  };
}

/** Identity fields of a translated completion or chunk (the gateway replaces id and model). */
export interface CompletionIdentity {
  readonly id: string;
  readonly created: number;
  readonly model: string;
}

export function newCompletionIdentity(model = ''): CompletionIdentity {
  return { id: `chatcmpl-bedrock-${randomUUID()}`, created: Math.floor(Date.now() / 1000), model };
}

/**
 * Converse response -> OpenAI `chat.completion`: text blocks joined into `content`, `toolUse`
 * blocks as `tool_calls` with JSON-string arguments, reasoning text as `reasoning`.
 */
export function fromConverseResponse(
  body: unknown,
  identity: CompletionIdentity = newCompletionIdentity(),
): { completion: JsonObject; usage: Usage | null } {
  const root = isObject(body) ? body : {};
  const output = root['output'];
  const message = isObject(output) ? output['message'] : undefined;
  const blocks = isObject(message) && Array.isArray(message['content']) ? (message['content'] as unknown[]) : [];

  let text = '';
  let reasoning = '';
  const toolCalls: JsonObject[] = [];
  for (const block of blocks) {
    if (!isObject(block)) continue;
    if (typeof block['text'] === 'string') text += block['text'];
    const toolUse = block['toolUse'];
    if (isObject(toolUse) && typeof toolUse['toolUseId'] === 'string' && typeof toolUse['name'] === 'string') {
      toolCalls.push({
        id: toolUse['toolUseId'],
        type: 'function',
        function: { name: toolUse['name'], arguments: JSON.stringify(toolUse['input'] ?? {}) },
      });
    }
    const reasoningContent = block['reasoningContent'];
    const reasoningText = isObject(reasoningContent) ? reasoningContent['reasoningText'] : undefined;
    if (isObject(reasoningText) && typeof reasoningText['text'] === 'string') reasoning += reasoningText['text'];
  }

  const stopReason = typeof root['stopReason'] === 'string' ? root['stopReason'] : 'end_turn';
  const assistant: JsonObject = {
    role: 'assistant',
    // OpenAI sends null content beside tool calls when there is no text.
    content: text === '' && toolCalls.length > 0 ? null : text,
    refusal: null,
  };
  if (toolCalls.length > 0) assistant['tool_calls'] = toolCalls;
  if (reasoning !== '') assistant['reasoning'] = reasoning;

  const usage = usageFromConverse(root['usage']);
  const completion: JsonObject = {
    id: identity.id,
    object: 'chat.completion',
    created: identity.created,
    model: identity.model,
    choices: [
      {
        index: 0,
        message: assistant,
        finish_reason: bedrockFinishReason(stopReason),
        native_finish_reason: stopReason,
        logprobs: null,
      },
    ],
  };
  if (usage !== null) completion['usage'] = usage.json;
  return { completion, usage: usage?.usage ?? null };
}

function numberOr0(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
