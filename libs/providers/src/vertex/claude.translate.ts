import type { ChatRequestBody } from '@gw/contracts';
import { assertNever } from '@gw/kernel';
import type { JsonObject, Usage } from '../provider.types';
import {
  type ContentPart,
  contentParts,
  functionTools,
  isObject,
  maxOutputTokens,
  namedToolChoice,
  stopSequences,
  textContent,
  tokenCount,
  toolArguments,
  UnsupportedRequestError,
} from './chat-content.translate';

/** The Messages API version Vertex serves Claude under; it rides in the body, not a header. */
export const VERTEX_ANTHROPIC_VERSION = 'vertex-2023-10-16';

/**
 * Claude requires `max_tokens`. 4096 is the output cap of the smallest Claude still on Vertex
 * (claude-3-haiku), so the default is valid for every model; clients wanting more say so.
 */
export const CLAUDE_DEFAULT_MAX_TOKENS = 4096;

type ImageSource = { type: 'base64'; media_type: string; data: string };

export type ClaudeBlock =
  | { type: 'text'; text: string }
  | { type: 'image'; source: ImageSource }
  | { type: 'document'; source: ImageSource }
  | { type: 'tool_use'; id: string; name: string; input: JsonObject }
  | { type: 'tool_result'; tool_use_id: string; content: string };

export interface ClaudeMessage {
  role: 'user' | 'assistant';
  content: ClaudeBlock[];
}

export interface ClaudeTool {
  name: string;
  description?: string;
  input_schema: JsonObject;
}

export type ClaudeToolChoice =
  | { type: 'auto' | 'any'; disable_parallel_tool_use?: boolean }
  | { type: 'tool'; name: string; disable_parallel_tool_use?: boolean }
  | { type: 'none' };

/** The body of `rawPredict` / `streamRawPredict`: the Messages API without `model` (it is in the URL). */
export interface ClaudeRequest {
  anthropic_version: typeof VERTEX_ANTHROPIC_VERSION;
  max_tokens: number;
  messages: ClaudeMessage[];
  system?: string | { type: 'text'; text: string }[];
  stream?: boolean;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  stop_sequences?: string[];
  tools?: ClaudeTool[];
  tool_choice?: ClaudeToolChoice;
}

// Claude's image blocks take these only; PDFs go as document blocks.
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

/**
 * OpenAI chat request -> Anthropic Messages body for Claude on Vertex. System and developer
 * messages become `system`; tool calls are `tool_use` blocks and tool results `tool_result`
 * blocks in a user turn; adjacent turns of one role are merged (Claude wants alternating turns).
 * Temperature is clamped to Claude's 0..1. Images must be base64 `data:` URLs: Vertex refuses
 * URL sources.
 */
export function toClaudeRequest(request: ChatRequestBody): ClaudeRequest {
  const system: string[] = [];
  const messages: ClaudeMessage[] = [];
  const push = (role: ClaudeMessage['role'], blocks: ClaudeBlock[]): void => {
    if (blocks.length === 0) return;
    const last = messages.at(-1);
    if (last?.role === role) last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  };

  request.messages.forEach((message, index) => {
    const field = `messages[${index}]`;
    switch (message.role) {
      case 'system':
      case 'developer': {
        const text = textContent(message.content, `${field}.content`);
        if (text !== '') system.push(text);
        return;
      }
      case 'user':
        push(
          'user',
          contentParts(message.content, `${field}.content`).map((part, i) => claudeBlock(part, `${field}.content[${i}]`)),
        );
        return;
      case 'assistant': {
        const blocks = contentParts(message.content, `${field}.content`).map((part, i) =>
          claudeBlock(part, `${field}.content[${i}]`),
        );
        (message.tool_calls ?? []).forEach((call, i) => {
          const input = toolArguments(call.function.arguments, `${field}.tool_calls[${i}].function.arguments`);
          blocks.push({ type: 'tool_use', id: call.id, name: call.function.name, input });
        });
        push('assistant', blocks);
        return;
      }
      case 'tool':
        push('user', [
          {
            type: 'tool_result',
            tool_use_id: message.tool_call_id,
            content: textContent(message.content, `${field}.content`),
          },
        ]);
        return;
      default:
        return assertNever(message, 'message role');
    }
  });
  if (messages.length === 0) throw new UnsupportedRequestError('messages', 'must contain a user or assistant message');

  const body: ClaudeRequest = {
    anthropic_version: VERTEX_ANTHROPIC_VERSION,
    max_tokens: maxOutputTokens(request) ?? CLAUDE_DEFAULT_MAX_TOKENS,
    messages,
  };
  if (system.length === 1 && system[0] !== undefined) body.system = system[0];
  else if (system.length > 1) body.system = system.map((text) => ({ type: 'text' as const, text }));
  if (request.stream === true) body.stream = true;
  if (request.temperature !== undefined) body.temperature = Math.min(1, request.temperature);
  if (request.top_p !== undefined) body.top_p = request.top_p;
  if (request.top_k !== undefined && request.top_k > 0) body.top_k = request.top_k;
  const stop = stopSequences(request.stop);
  if (stop !== undefined) body.stop_sequences = stop;

  const tools = functionTools(request.tools).map((tool): ClaudeTool => {
    const out: ClaudeTool = { name: tool.name, input_schema: tool.parameters ?? { type: 'object', properties: {} } };
    if (tool.description !== undefined) out.description = tool.description;
    return out;
  });
  if (tools.length > 0) {
    body.tools = tools;
    const choice = claudeToolChoice(request.tool_choice, request.parallel_tool_calls);
    if (choice !== undefined) body.tool_choice = choice;
  }
  return body;
}

function claudeBlock(part: ContentPart, field: string): ClaudeBlock {
  switch (part.kind) {
    case 'text':
      return { type: 'text', text: part.text };
    case 'inline': {
      const source: ImageSource = { type: 'base64', media_type: part.media.mimeType, data: part.media.data };
      if (IMAGE_TYPES.has(part.media.mimeType)) return { type: 'image', source };
      if (part.media.mimeType === 'application/pdf') return { type: 'document', source };
      throw new UnsupportedRequestError(field, `has a media type Claude does not take (${part.media.mimeType.slice(0, 50)})`);
    }
    case 'url':
      throw new UnsupportedRequestError(`${field}.image_url.url`, 'must be a base64 data: URL for Claude on Vertex');
    default:
      return assertNever(part, 'content part');
  }
}

function claudeToolChoice(choice: ChatRequestBody['tool_choice'], parallel: boolean | undefined): ClaudeToolChoice | undefined {
  const single = parallel === false ? { disable_parallel_tool_use: true } : {};
  switch (choice) {
    case undefined:
      return parallel === false ? { type: 'auto', ...single } : undefined;
    case 'auto':
      return { type: 'auto', ...single };
    case 'required':
      return { type: 'any', ...single };
    case 'none':
      return { type: 'none' };
    default: {
      const name = namedToolChoice(choice);
      if (name === null) throw new UnsupportedRequestError('tool_choice.function.name', 'must be a string');
      return { type: 'tool', name, ...single };
    }
  }
}

/**
 * Anthropic `stop_reason` -> OpenAI `finish_reason`. `pause_turn` (a server tool paused) reads as
 * `stop`; `refusal` as `content_filter`.
 */
export function claudeFinishReason(reason: unknown): string {
  switch (reason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      return 'stop';
  }
}

/** Anthropic usage counts cache reads and writes apart from `input_tokens`; OpenAI's prompt count includes them. */
export function claudeUsage(usage: unknown): { readonly json: JsonObject; readonly usage: Usage } | null {
  if (!isObject(usage)) return null;
  const input = tokenCount(usage['input_tokens']);
  const cacheRead = tokenCount(usage['cache_read_input_tokens']);
  const cacheWrite = tokenCount(usage['cache_creation_input_tokens']);
  const output = tokenCount(usage['output_tokens']);
  return claudeUsageOf(input + cacheRead + cacheWrite, output, cacheRead);
}

export function claudeUsageOf(prompt: number, completion: number, cached: number): { json: JsonObject; usage: Usage } {
  return {
    json: {
      prompt_tokens: prompt,
      completion_tokens: completion,
      total_tokens: prompt + completion,
      prompt_tokens_details: { cached_tokens: cached },
    },
    usage: { promptTokens: prompt, completionTokens: completion, upstreamCostUsd: null },
  };
}

/** Anthropic `message` -> OpenAI `chat.completion`; thinking text is exposed as `reasoning`. */
export function fromClaudeResponse(
  body: unknown,
  nowSeconds: () => number = () => Math.floor(Date.now() / 1000),
): {
  completion: JsonObject;
  usage: Usage | null;
} {
  const response = isObject(body) ? body : {};
  const blocks = Array.isArray(response['content']) ? (response['content'] as unknown[]) : [];
  let text = '';
  let reasoning = '';
  const toolCalls: JsonObject[] = [];
  for (const block of blocks) {
    if (!isObject(block)) continue;
    switch (block['type']) {
      case 'text':
        if (typeof block['text'] === 'string') text += block['text'];
        break;
      case 'thinking':
        if (typeof block['thinking'] === 'string') reasoning += block['thinking'];
        break;
      case 'tool_use':
        toolCalls.push({
          id: typeof block['id'] === 'string' ? block['id'] : '',
          type: 'function',
          function: {
            name: typeof block['name'] === 'string' ? block['name'] : '',
            arguments: JSON.stringify(isObject(block['input']) ? block['input'] : {}),
          },
        });
        break;
      default:
        break;
    }
  }
  const message: JsonObject = { role: 'assistant', content: text === '' && toolCalls.length > 0 ? null : text };
  if (reasoning !== '') message['reasoning'] = reasoning;
  if (toolCalls.length > 0) message['tool_calls'] = toolCalls;
  const usage = claudeUsage(response['usage']);
  const completion: JsonObject = {
    id: typeof response['id'] === 'string' ? response['id'] : '',
    object: 'chat.completion',
    created: nowSeconds(),
    model: typeof response['model'] === 'string' ? response['model'] : '',
    choices: [{ index: 0, message, logprobs: null, finish_reason: claudeFinishReason(response['stop_reason']) }],
  };
  if (usage !== null) completion['usage'] = usage.json;
  return { completion, usage: usage?.usage ?? null };
}
