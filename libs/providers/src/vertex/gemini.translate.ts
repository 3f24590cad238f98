import { randomBytes } from 'node:crypto';
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
  toolArguments,
  tokenCount,
  toolCallNames,
  UnsupportedRequestError,
} from './chat-content.translate';
import { toGeminiSchema } from './gemini-schema.translate';

export type GeminiPart =
  | { text: string; thought?: boolean }
  | { inlineData: { mimeType: string; data: string } }
  | { fileData: { mimeType: string; fileUri: string } }
  | { functionCall: { name: string; args: JsonObject } }
  | { functionResponse: { name: string; response: JsonObject } };

export interface GeminiContent {
  role: 'user' | 'model';
  parts: GeminiPart[];
}

export interface GeminiFunctionDeclaration {
  name: string;
  description?: string;
  parameters?: JsonObject;
}

export interface GeminiGenerationConfig {
  maxOutputTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  stopSequences?: string[];
  seed?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  responseMimeType?: string;
  responseSchema?: JsonObject;
}

/** The body of `generateContent` / `streamGenerateContent`. */
export interface GeminiRequest {
  contents: GeminiContent[];
  systemInstruction?: { parts: { text: string }[] };
  tools?: { functionDeclarations: GeminiFunctionDeclaration[] }[];
  toolConfig?: { functionCallingConfig: { mode: 'AUTO' | 'ANY' | 'NONE'; allowedFunctionNames?: string[] } };
  generationConfig?: GeminiGenerationConfig;
}

/**
 * OpenAI chat request -> Gemini `generateContent` body. System and developer messages become the
 * `systemInstruction`; assistant turns are `model` turns; tool results are `functionResponse`
 * parts in a `user` turn, named after the call they answer (Gemini matches results by name, not
 * id). Adjacent turns of one role are merged, so parallel tool results share one turn as Gemini
 * expects. Parameters Gemini lacks are left out (see GEMINI_PARAMS).
 */
export function toGeminiRequest(request: ChatRequestBody): GeminiRequest {
  const names = toolCallNames(request.messages);
  const system: { text: string }[] = [];
  const contents: GeminiContent[] = [];
  const push = (role: GeminiContent['role'], parts: GeminiPart[]): void => {
    if (parts.length === 0) return;
    const last = contents.at(-1);
    if (last?.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  };

  request.messages.forEach((message, index) => {
    const field = `messages[${index}]`;
    switch (message.role) {
      case 'system':
      case 'developer': {
        const text = textContent(message.content, `${field}.content`);
        if (text !== '') system.push({ text });
        return;
      }
      case 'user':
        push('user', contentParts(message.content, `${field}.content`).map(geminiPart));
        return;
      case 'assistant': {
        const parts = contentParts(message.content, `${field}.content`).map(geminiPart);
        (message.tool_calls ?? []).forEach((call, i) => {
          const args = toolArguments(call.function.arguments, `${field}.tool_calls[${i}].function.arguments`);
          parts.push({ functionCall: { name: call.function.name, args } });
        });
        push('model', parts);
        return;
      }
      case 'tool': {
        const name = names.get(message.tool_call_id);
        if (name === undefined) {
          throw new UnsupportedRequestError(
            `${field}.tool_call_id`,
            'does not match a tool call of an earlier assistant message',
          );
        }
        const response = functionResponse(textContent(message.content, `${field}.content`));
        push('user', [{ functionResponse: { name, response } }]);
        return;
      }
      default:
        return assertNever(message, 'message role');
    }
  });
  if (contents.length === 0) throw new UnsupportedRequestError('messages', 'must contain a user or assistant message');

  const body: GeminiRequest = { contents };
  if (system.length > 0) body.systemInstruction = { parts: system };
  const declarations = functionTools(request.tools).map((tool, i): GeminiFunctionDeclaration => {
    const declaration: GeminiFunctionDeclaration = { name: tool.name };
    if (tool.description !== undefined) declaration.description = tool.description;
    if (tool.parameters !== undefined) {
      declaration.parameters = toGeminiSchema(tool.parameters, `tools[${i}].function.parameters`);
    }
    return declaration;
  });
  if (declarations.length > 0) {
    body.tools = [{ functionDeclarations: declarations }];
    const toolConfig = geminiToolConfig(request.tool_choice);
    if (toolConfig !== undefined) body.toolConfig = toolConfig;
  }
  const generationConfig = geminiGenerationConfig(request);
  if (Object.keys(generationConfig).length > 0) body.generationConfig = generationConfig;
  return body;
}

function geminiPart(part: ContentPart): GeminiPart {
  switch (part.kind) {
    case 'text':
      return { text: part.text };
    case 'inline':
      return { inlineData: { mimeType: part.media.mimeType, data: part.media.data } };
    case 'url':
      return { fileData: { mimeType: part.mimeType, fileUri: part.url } };
    default:
      return assertNever(part, 'content part');
  }
}

/**
 * Gemini wants an object: a JSON object result goes as it is, anything else under `output` (the
 * key Google's docs use for function output).
 */
function functionResponse(text: string): JsonObject {
  try {
    const parsed: unknown = JSON.parse(text);
    return isObject(parsed) ? parsed : { output: parsed };
  } catch {
    return { output: text };
  }
}

function geminiToolConfig(choice: ChatRequestBody['tool_choice']): GeminiRequest['toolConfig'] {
  if (choice === undefined) return undefined;
  switch (choice) {
    case 'auto':
      return { functionCallingConfig: { mode: 'AUTO' } };
    case 'none':
      return { functionCallingConfig: { mode: 'NONE' } };
    case 'required':
      return { functionCallingConfig: { mode: 'ANY' } };
    default: {
      const name = namedToolChoice(choice);
      if (name === null) throw new UnsupportedRequestError('tool_choice.function.name', 'must be a string');
      return { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [name] } };
    }
  }
}

function geminiGenerationConfig(request: ChatRequestBody): GeminiGenerationConfig {
  const config: GeminiGenerationConfig = {};
  const maxTokens = maxOutputTokens(request);
  if (maxTokens !== undefined) config.maxOutputTokens = maxTokens;
  if (request.temperature !== undefined) config.temperature = request.temperature;
  if (request.top_p !== undefined) config.topP = request.top_p;
  // OpenRouter's top_k of 0 means "off"; Gemini would refuse it.
  if (request.top_k !== undefined && request.top_k > 0) config.topK = request.top_k;
  const stop = stopSequences(request.stop);
  if (stop !== undefined) config.stopSequences = stop;
  if (request.seed !== undefined) config.seed = request.seed;
  if (request.presence_penalty !== undefined) config.presencePenalty = request.presence_penalty;
  if (request.frequency_penalty !== undefined) config.frequencyPenalty = request.frequency_penalty;
  const format = request.response_format;
  if (format?.type === 'json_object' || format?.type === 'json_schema') config.responseMimeType = 'application/json';
  if (format?.type === 'json_schema') {
    const spec = format['json_schema'];
    const schema = isObject(spec) ? spec['schema'] : undefined;
    if (isObject(schema)) config.responseSchema = toGeminiSchema(schema, 'response_format.json_schema.schema');
  }
  return config;
}

/** Injectable sources of ids and time, so translations stay deterministic under test. */
export interface TranslateOptions {
  /** OpenAI tool-call ids for calls that come without one (Gemini's never have one). */
  readonly newToolCallId?: () => string;
  readonly nowSeconds?: () => number;
}

export function randomToolCallId(): string {
  return `call_${randomBytes(12).toString('base64url')}`;
}

const CONTENT_FILTER_REASONS = new Set([
  'SAFETY',
  'RECITATION',
  'BLOCKLIST',
  'PROHIBITED_CONTENT',
  'SPII',
  'MODEL_ARMOR',
  'IMAGE_SAFETY',
  'IMAGE_PROHIBITED_CONTENT',
  'IMAGE_RECITATION',
]);

/**
 * Gemini `finishReason` -> OpenAI `finish_reason`. A function call ends with `STOP` too, so the
 * parts decide `tool_calls`. Values with no OpenAI counterpart (OTHER, MALFORMED_FUNCTION_CALL,
 * LANGUAGE, unknown ones) read as `stop`.
 */
export function geminiFinishReason(reason: unknown, hasToolCalls: boolean): string {
  if (reason === 'MAX_TOKENS') return 'length';
  if (typeof reason === 'string' && CONTENT_FILTER_REASONS.has(reason)) return 'content_filter';
  return hasToolCalls ? 'tool_calls' : 'stop';
}

/** `usageMetadata` -> OpenAI usage and the gateway's Usage; thoughts are billed as output. */
export function geminiUsage(metadata: unknown): { readonly json: JsonObject; readonly usage: Usage } | null {
  if (!isObject(metadata)) return null;
  const prompt = tokenCount(metadata['promptTokenCount']);
  const candidates = tokenCount(metadata['candidatesTokenCount']);
  const thoughts = tokenCount(metadata['thoughtsTokenCount']);
  const completion = candidates + thoughts;
  const total = typeof metadata['totalTokenCount'] === 'number' ? metadata['totalTokenCount'] : prompt + completion;
  const json: JsonObject = {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: total,
    prompt_tokens_details: { cached_tokens: tokenCount(metadata['cachedContentTokenCount']) },
    completion_tokens_details: { reasoning_tokens: thoughts },
  };
  return { json, usage: { promptTokens: prompt, completionTokens: completion, upstreamCostUsd: null } };
}

/** What one candidate's parts say, split by kind. */
export interface GeminiPartsView {
  readonly text: string;
  /** Thought summaries of thinking models (`thought: true`), exposed as `reasoning`. */
  readonly reasoning: string;
  readonly toolCalls: { id: string; type: 'function'; function: { name: string; arguments: string } }[];
}

export function readGeminiParts(content: unknown, newToolCallId: () => string): GeminiPartsView {
  const parts = isObject(content) && Array.isArray(content['parts']) ? (content['parts'] as unknown[]) : [];
  let text = '';
  let reasoning = '';
  const toolCalls: GeminiPartsView['toolCalls'] = [];
  for (const part of parts) {
    if (!isObject(part)) continue;
    const call = part['functionCall'];
    if (isObject(call) && typeof call['name'] === 'string') {
      const id = typeof call['id'] === 'string' && call['id'] !== '' ? call['id'] : newToolCallId();
      const args = isObject(call['args']) ? call['args'] : {};
      toolCalls.push({ id, type: 'function', function: { name: call['name'], arguments: JSON.stringify(args) } });
    } else if (typeof part['text'] === 'string') {
      if (part['thought'] === true) reasoning += part['text'];
      else text += part['text'];
    }
  }
  return { text, reasoning, toolCalls };
}

/** Gemini `GenerateContentResponse` -> OpenAI `chat.completion`. */
export function fromGeminiResponse(
  body: unknown,
  options: TranslateOptions = {},
): { completion: JsonObject; usage: Usage | null } {
  const response = isObject(body) ? body : {};
  const candidates = Array.isArray(response['candidates']) ? (response['candidates'] as unknown[]) : [];
  const candidate = isObject(candidates[0]) ? candidates[0] : null;
  const view = readGeminiParts(candidate?.['content'], options.newToolCallId ?? randomToolCallId);
  const blocked =
    candidate === null && isObject(response['promptFeedback']) && response['promptFeedback']['blockReason'] !== undefined;
  const finishReason = blocked ? 'content_filter' : geminiFinishReason(candidate?.['finishReason'], view.toolCalls.length > 0);

  const message: JsonObject = { role: 'assistant', content: view.text === '' && view.toolCalls.length > 0 ? null : view.text };
  if (blocked) message['content'] = null;
  if (view.reasoning !== '') message['reasoning'] = view.reasoning;
  if (view.toolCalls.length > 0) message['tool_calls'] = view.toolCalls;

  const usage = geminiUsage(response['usageMetadata']);
  const completion: JsonObject = {
    id: typeof response['responseId'] === 'string' ? response['responseId'] : '',
    object: 'chat.completion',
    created: createdSeconds(response['createTime'], options),
    model: typeof response['modelVersion'] === 'string' ? response['modelVersion'] : '',
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason }],
  };
  if (usage !== null) completion['usage'] = usage.json;
  return { completion, usage: usage?.usage ?? null };
}

export function createdSeconds(createTime: unknown, options: TranslateOptions): number {
  const parsed = typeof createTime === 'string' ? Date.parse(createTime) : Number.NaN;
  if (!Number.isNaN(parsed)) return Math.floor(parsed / 1000);
  return options.nowSeconds?.() ?? Math.floor(Date.now() / 1000);
}
