import { CHAT_PARAMS, type ChatMessage, type ChatParam, type ChatRequestBody } from '@gw/contracts';
import { assertNever, DomainError } from '@gw/kernel';
import type { JsonObject } from '../provider.types';
import type {
  ConverseContentBlock,
  ConverseDocumentFormat,
  ConverseImageFormat,
  ConverseInferenceConfig,
  ConverseMessage,
  ConverseRequest,
  ConverseTextBlock,
  ConverseToolChoice,
  ConverseToolResultContent,
  ConverseToolSpec,
} from './bedrock-wire.types';

/** A parameter the request set that Bedrock will not honour, and why (recorded by the caller). */
export interface BedrockDroppedParam {
  readonly param: ChatParam;
  readonly reason: string;
}

export interface ConverseTranslation {
  readonly body: ConverseRequest;
  readonly dropped: readonly BedrockDroppedParam[];
}

/** What Converse honours for every model: `inferenceConfig` and `toolConfig`. */
const CONVERSE_PARAMS: readonly ChatParam[] = [
  'max_tokens',
  'max_completion_tokens',
  'temperature',
  'top_p',
  'stop',
  'tools',
  'tool_choice',
];

const CONVERSE_SET: ReadonlySet<ChatParam> = new Set(CONVERSE_PARAMS);
// Anthropic's native request takes `top_k`, which Converse forwards through additionalModelRequestFields.
const ANTHROPIC_SET: ReadonlySet<ChatParam> = new Set<ChatParam>([...CONVERSE_PARAMS, 'top_k']);

/** Why Bedrock ignores each parameter; null for those Converse honours. */
const WHY_DROPPED: Readonly<Record<ChatParam, string | null>> = {
  max_tokens: null,
  max_completion_tokens: null,
  temperature: null,
  top_p: null,
  stop: null,
  tools: null,
  tool_choice: null,
  top_k: 'Converse has no top_k; it reaches Anthropic models only',
  top_a: 'Bedrock has no top_a',
  min_p: 'Bedrock has no min_p',
  repetition_penalty: 'Bedrock has no repetition_penalty',
  frequency_penalty: 'Converse has no frequency_penalty',
  presence_penalty: 'Converse has no presence_penalty',
  seed: 'Converse has no seed',
  logit_bias: 'Converse has no logit_bias',
  logprobs: 'Converse returns no log probabilities',
  top_logprobs: 'Converse returns no log probabilities',
  parallel_tool_calls: 'Converse cannot limit tool calls per turn',
  response_format: 'Converse has no JSON output mode; the model answers in free text',
  reasoning: 'reasoning settings are not passed to Bedrock',
  reasoning_effort: 'reasoning settings are not passed to Bedrock',
};

/** Anthropic Claude by model id, inference profile (`us.anthropic…`) or an ARN naming either. */
export function isBedrockAnthropicModel(modelId: string): boolean {
  return /(^|[.:/])anthropic\.claude/.test(modelId);
}

/** The parameters Bedrock honours for `modelId` (drives `provider.require_parameters`). */
export function bedrockSupportedParams(modelId: string): ReadonlySet<ChatParam> {
  return isBedrockAnthropicModel(modelId) ? ANTHROPIC_SET : CONVERSE_SET;
}

/** The parameters `request` sets that will not reach the model on Bedrock, each with its reason. */
export function bedrockDroppedParams(request: ChatRequestBody, modelId: string): BedrockDroppedParam[] {
  const supported = bedrockSupportedParams(modelId);
  const dropped: BedrockDroppedParam[] = [];
  for (const param of CHAT_PARAMS) {
    if (request[param] === undefined || supported.has(param)) continue;
    // `text` is what Converse answers in anyway.
    if (param === 'response_format' && request.response_format?.type === 'text') continue;
    dropped.push({ param, reason: WHY_DROPPED[param] ?? 'Bedrock does not take this parameter' });
  }
  // See convertTools: the toolConfig stays when the history holds tool blocks.
  if (request.tool_choice === 'none' && (request.tools?.length ?? 0) > 0 && hasToolBlocks(request.messages)) {
    dropped.push({ param: 'tool_choice', reason: 'Converse cannot forbid tool calls while the conversation holds tool calls' });
  }
  return dropped;
}

function hasToolBlocks(messages: readonly ChatMessage[]): boolean {
  return messages.some((m) => m.role === 'tool' || (m.role === 'assistant' && (m.tool_calls?.length ?? 0) > 0));
}

/**
 * OpenAI chat request -> Converse body, as a pure function. Content Bedrock cannot take (image or
 * file URLs that are not base64 `data:` URLs, audio, unknown part types) is refused with a 400
 * naming the field rather than silently left out: the model would answer without it.
 */
export function toConverseRequest(request: ChatRequestBody, modelId: string): ConverseTranslation {
  const supported = bedrockSupportedParams(modelId);
  const converted = convertMessages(request.messages);
  const toolConfig = convertTools(request, converted);

  const body: Mutable<ConverseRequest> = { messages: converted.messages };
  const system = converted.system;
  if (system.length > 0) body.system = system;
  const inferenceConfig = convertInference(request);
  if (Object.keys(inferenceConfig).length > 0) body.inferenceConfig = inferenceConfig;
  if (toolConfig !== null) body.toolConfig = toolConfig;
  // top_k 0 means "off" in OpenRouter's terms: sending nothing is the same.
  if (supported.has('top_k') && request.top_k !== undefined && request.top_k > 0) {
    body.additionalModelRequestFields = { top_k: request.top_k } satisfies JsonObject;
  }
  return { body, dropped: bedrockDroppedParams(request, modelId) };
}

function convertInference(request: ChatRequestBody): ConverseInferenceConfig {
  const config: Mutable<ConverseInferenceConfig> = {};
  const maxTokens = request.max_completion_tokens ?? request.max_tokens;
  if (maxTokens !== undefined) config.maxTokens = maxTokens;
  if (request.temperature !== undefined) config.temperature = request.temperature;
  if (request.top_p !== undefined) config.topP = request.top_p;
  const stop = typeof request.stop === 'string' ? [request.stop] : (request.stop ?? []);
  if (stop.length > 0) config.stopSequences = stop;
  return config;
}

interface ConvertedMessages {
  readonly system: ConverseTextBlock[];
  readonly messages: ConverseMessage[];
  /** Converse accepts toolUse and toolResult blocks only with a `toolConfig` present. */
  readonly hasToolBlocks: boolean;
  /** Names of tools the history calls: declared in `toolConfig` when the request does not. */
  readonly toolNamesInHistory: ReadonlySet<string>;
}

/**
 * System and developer messages go to `system`; tool results become `toolResult` blocks in a user
 * turn; consecutive turns of one role are merged, since Converse wants user and assistant to
 * alternate. Messages left without content are skipped: Converse refuses blank blocks.
 */
function convertMessages(input: readonly ChatMessage[]): ConvertedMessages {
  const system: ConverseTextBlock[] = [];
  const messages: { role: ConverseMessage['role']; content: ConverseContentBlock[] }[] = [];
  const toolNamesInHistory = new Set<string>();
  let hasToolBlocks = false;

  const append = (role: ConverseMessage['role'], blocks: ConverseContentBlock[]): void => {
    if (blocks.length === 0) return;
    const last = messages[messages.length - 1];
    if (last?.role === role) last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  };

  input.forEach((message, i) => {
    const field = `messages.${i}`;
    switch (message.role) {
      case 'system':
      case 'developer':
        system.push(...textOnly(message.content, field));
        return;
      case 'user':
        append('user', userBlocks(message.content, field));
        return;
      case 'assistant': {
        const blocks: ConverseContentBlock[] = message.content === undefined ? [] : textOnly(message.content, field);
        (message.tool_calls ?? []).forEach((call, j) => {
          toolNamesInHistory.add(call.function.name);
          hasToolBlocks = true;
          const input = parseArguments(call.function.arguments, `${field}.tool_calls.${j}.function.arguments`);
          blocks.push({ toolUse: { toolUseId: call.id, name: call.function.name, input } });
        });
        append('assistant', blocks);
        return;
      }
      case 'tool': {
        hasToolBlocks = true;
        const content = toolResultContent(message.content, field);
        append('user', [{ toolResult: { toolUseId: message.tool_call_id, content, status: 'success' } }]);
        return;
      }
      default:
        return assertNever(message, 'message role');
    }
  });
  return { system, messages, hasToolBlocks, toolNamesInHistory };
}

type Content = ChatMessage['content'];

function partsOf(content: Content | undefined): readonly JsonObject[] {
  if (content === null || content === undefined) return [];
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  return content;
}

/** System and assistant turns: text only (an assistant's `refusal` parts are its own text). */
function textOnly(content: Content | undefined, field: string): ConverseTextBlock[] {
  const blocks: ConverseTextBlock[] = [];
  partsOf(content).forEach((part, j) => {
    const text = partText(part);
    if (text === null) throw DomainError.validation(`${field}.content.${j}`, 'Bedrock takes only text parts in this message');
    if (text !== '') blocks.push({ text });
  });
  return blocks;
}

function partText(part: JsonObject): string | null {
  if (part['type'] === 'text' && typeof part['text'] === 'string') return part['text'];
  if (part['type'] === 'refusal' && typeof part['refusal'] === 'string') return part['refusal'];
  return null;
}

function userBlocks(content: Content, field: string): ConverseContentBlock[] {
  const blocks: ConverseContentBlock[] = [];
  partsOf(content).forEach((part, j) => {
    const block = userPart(part, `${field}.content.${j}`);
    if (block !== null) blocks.push(block);
  });
  return blocks;
}

function toolResultContent(content: Content, field: string): ConverseToolResultContent[] {
  const blocks: ConverseToolResultContent[] = [];
  partsOf(content).forEach((part, j) => {
    const partField = `${field}.content.${j}`;
    const text = partText(part);
    if (text !== null) {
      if (text !== '') blocks.push({ text });
      return;
    }
    if (part['type'] === 'image_url') {
      blocks.push(imageBlock(part, partField));
      return;
    }
    throw DomainError.validation(partField, 'Bedrock tool results take only text and image parts');
  });
  return blocks;
}

function userPart(part: JsonObject, field: string): ConverseContentBlock | null {
  const text = partText(part);
  if (text !== null) return text === '' ? null : { text };
  switch (part['type']) {
    case 'image_url':
      return imageBlock(part, field);
    case 'file':
      return documentBlock(part, field);
    default:
      throw DomainError.validation(`${field}.type`, `Bedrock does not take "${String(part['type'])}" content parts`);
  }
}

const IMAGE_FORMATS: Readonly<Record<string, ConverseImageFormat>> = {
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/jpg': 'jpeg',
  'image/gif': 'gif',
  'image/webp': 'webp',
};

const DOCUMENT_FORMATS: Readonly<Record<string, ConverseDocumentFormat>> = {
  'application/pdf': 'pdf',
  'text/csv': 'csv',
  'application/msword': 'doc',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/vnd.ms-excel': 'xls',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
  'text/html': 'html',
  'text/plain': 'txt',
  'text/markdown': 'md',
};

function imageBlock(part: JsonObject, field: string): ConverseContentBlock & ConverseToolResultContent {
  const imageUrl = part['image_url'];
  const url = isObject(imageUrl) ? imageUrl['url'] : imageUrl;
  const urlField = `${field}.image_url.url`;
  if (typeof url !== 'string') throw DomainError.validation(urlField, 'must be a string');
  const data = parseDataUrl(url);
  // Converse takes bytes only; fetching tenant-supplied URLs from the gateway is not offered.
  if (data === null) {
    throw DomainError.validation(urlField, 'Bedrock takes images only as base64 data: URLs (data:image/png;base64,...)');
  }
  const format = IMAGE_FORMATS[data.mimeType];
  if (format === undefined) throw DomainError.validation(urlField, 'Bedrock takes png, jpeg, gif and webp images only');
  return { image: { format, source: { bytes: data.base64 } } };
}

function documentBlock(part: JsonObject, field: string): ConverseContentBlock {
  const file = part['file'];
  const fileData = isObject(file) ? file['file_data'] : undefined;
  const dataField = `${field}.file.file_data`;
  const data = typeof fileData === 'string' ? parseDataUrl(fileData) : null;
  if (data === null) throw DomainError.validation(dataField, 'Bedrock takes files only as base64 data: URLs');
  const format = DOCUMENT_FORMATS[data.mimeType];
  if (format === undefined) throw DomainError.validation(dataField, `Bedrock does not take ${data.mimeType} documents`);
  const filename = isObject(file) ? file['filename'] : undefined;
  return {
    document: { format, name: documentName(typeof filename === 'string' ? filename : ''), source: { bytes: data.base64 } },
  };
}

/**
 * Converse allows letters, digits, single spaces, hyphens, parentheses and square brackets in a
 * document name (no dots): the extension is dropped and anything else becomes a hyphen.
 */
function documentName(filename: string): string {
  const stem = filename.replace(/\.[A-Za-z0-9]{1,8}$/, '');
  const cleaned = stem
    .replace(/[^A-Za-z0-9\s\-()[\]]/g, '-')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 200);
  return cleaned === '' ? 'document' : cleaned;
}

interface DataUrl {
  readonly mimeType: string;
  readonly base64: string;
}

export function parseDataUrl(url: string): DataUrl | null {
  const match = /^data:([^;,]*)((?:;[^;,]*)*),(.*)$/s.exec(url);
  if (match === null) return null;
  const mimeType = (match[1] ?? '').trim().toLowerCase();
  const params = (match[2] ?? '').toLowerCase().split(';');
  const payload = match[3] ?? '';
  if (params.includes('base64')) return { mimeType, base64: payload.replace(/\s+/g, '') };
  try {
    return { mimeType, base64: Buffer.from(decodeURIComponent(payload), 'utf8').toString('base64') };
  } catch {
    return null;
  }
}

function parseArguments(text: string, field: string): unknown {
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw DomainError.validation(field, 'must be a JSON-encoded object');
  }
}

/**
 * OpenAI tools -> `toolConfig`. `tool_choice: "auto"` is Converse's default and is not sent (some
 * models refuse any `toolChoice`). Converse has no "none": the config is left out, unless the
 * history holds tool blocks, which Converse only accepts with a `toolConfig` present.
 */
function convertTools(request: ChatRequestBody, history: ConvertedMessages): ConverseRequest['toolConfig'] | null {
  const declared: ConverseToolSpec[] = (request.tools ?? []).map((tool) => toolSpec(tool.function));
  const declaredNames = new Set(declared.map((spec) => spec.toolSpec.name));
  const historyOnly: ConverseToolSpec[] = [...history.toolNamesInHistory]
    .filter((name) => !declaredNames.has(name))
    .map((name) => ({ toolSpec: { name, inputSchema: { json: emptySchema() } } }));
  const needsConfig = history.hasToolBlocks;
  const tools = [...declared, ...historyOnly];

  // Tool results with no call and no declared tool leave nothing to declare: Bedrock will say so.
  if (declared.length === 0) return needsConfig && tools.length > 0 ? { tools } : null;
  const choice = request.tool_choice;
  if (choice === undefined || choice === 'auto') return { tools };
  // Reported as dropped by bedrockDroppedParams when the config has to stay.
  if (choice === 'none') return needsConfig ? { tools } : null;
  return { tools, toolChoice: toolChoice(choice) };
}

function toolChoice(choice: Exclude<ChatRequestBody['tool_choice'], undefined | 'auto' | 'none'>): ConverseToolChoice {
  if (choice === 'required') return { any: {} };
  const fn = choice['function'];
  const name = isObject(fn) ? fn['name'] : undefined;
  if (typeof name !== 'string' || name === '') throw DomainError.validation('tool_choice.function.name', 'must name a tool');
  return { tool: { name } };
}

function toolSpec(fn: JsonObject & { name: string }): ConverseToolSpec {
  const description = fn['description'];
  const parameters = fn['parameters'];
  return {
    toolSpec: {
      name: fn.name,
      // Converse refuses an empty description.
      ...(typeof description === 'string' && description !== '' ? { description } : {}),
      inputSchema: { json: isObject(parameters) ? parameters : emptySchema() },
    },
  };
}

/** The schema of a tool that takes no arguments. */
function emptySchema(): JsonObject {
  return { type: 'object', properties: {} };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
