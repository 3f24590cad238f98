import { randomBytes } from 'node:crypto';
import { assertNever, type Answer, splitText } from './answer';
import { isRecord, type ChatRequestView, type ToolChoice } from './chat-request';
import type { Reply } from './upstream-dialect';

/** Which API a Vertex URL addresses: Google's Gemini or Anthropic's Claude. */
export type VertexFamily = 'gemini' | 'claude';

export interface VertexRoute {
  readonly apiVersion: string;
  readonly project: string;
  readonly location: string;
  readonly family: VertexFamily;
  readonly model: string;
  /** generateContent, streamGenerateContent, rawPredict, streamRawPredict (or anything else, refused later). */
  readonly method: string;
}

const MODEL_PATH =
  /^\/(v1|v1beta1)\/projects\/([^/]+)\/locations\/([^/]+)\/publishers\/(google|anthropic)\/models\/([^/:]+):([A-Za-z]+)$/;

export function parseVertexPath(pathname: string): VertexRoute | null {
  const match = MODEL_PATH.exec(pathname);
  if (match === null) return null;
  const [, apiVersion, project, location, publisher, model, method] = match;
  if (
    apiVersion === undefined ||
    project === undefined ||
    location === undefined ||
    model === undefined ||
    method === undefined
  ) {
    return null;
  }
  return {
    apiVersion,
    project: decodeURIComponent(project),
    location: decodeURIComponent(location),
    family: publisher === 'anthropic' ? 'claude' : 'gemini',
    model: decodeURIComponent(model),
    method,
  };
}

const GOOGLE_STATUS: Readonly<Record<number, string>> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'UNIMPLEMENTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

const GOOGLE_MESSAGE: Readonly<Record<number, string>> = {
  401: 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
  429: 'Resource exhausted. Please try again later. Please refer to https://cloud.google.com/vertex-ai/generative-ai/docs/error-code-429 for more details.',
  500: 'Internal error encountered.',
  503: 'The service is currently unavailable.',
  504: 'The request timed out. Please try again.',
};

/** A google.rpc.Status error reply, as Vertex sends for quota, auth, routing and server failures. */
export function googleError(status: number, message?: string): Reply {
  const code = GOOGLE_STATUS[status] ?? (status >= 500 ? 'UNKNOWN' : 'FAILED_PRECONDITION');
  const error: Record<string, unknown> = {
    code: status,
    message: message ?? GOOGLE_MESSAGE[status] ?? 'Request failed.',
    status: code,
  };
  if (status === 429) {
    error['details'] = [
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'RATE_LIMIT_EXCEEDED',
        domain: 'aiplatform.googleapis.com',
        metadata: { quota_limit: 'GenerateContentRequestsPerMinutePerProjectPerRegion' },
      },
    ];
  }
  const headers: Record<string, string> =
    status === 401 ? { 'www-authenticate': 'Bearer realm="https://accounts.google.com/"' } : {};
  return { status, body: { error }, headers };
}

/** Anthropic's own error body, which Claude on Vertex relays for model-side failures (overload, bad request). */
export function anthropicError(status: number, type: string, message: string): Reply {
  return { status, body: { type: 'error', error: { type, message } }, headers: {} };
}

export type WireRead = { readonly ok: true; readonly view: ChatRequestView } | { readonly ok: false; readonly reply: Reply };

/** Text of Gemini parts; `functionResponse` parts carry none. */
function geminiText(parts: unknown): { text: string; functionResponses: number } {
  const texts: string[] = [];
  let functionResponses = 0;
  if (Array.isArray(parts)) {
    for (const part of parts) {
      if (!isRecord(part)) continue;
      if (typeof part['text'] === 'string') texts.push(part['text']);
      if (part['functionResponse'] !== undefined) functionResponses += 1;
    }
  }
  return { text: texts.join(' '), functionResponses };
}

/**
 * Reads a generateContent body leniently, refusing only what Vertex certainly refuses (no
 * contents, unknown roles, empty parts). A conversation whose last turn answers a function call
 * gets a text answer, so tool loops end.
 */
export function readGeminiRequest(body: unknown, model: string, stream: boolean): WireRead {
  const invalid = (message: string): WireRead => ({ ok: false, reply: googleError(400, message) });
  if (!isRecord(body)) return invalid('Invalid JSON payload received.');
  const contents = body['contents'];
  if (!Array.isArray(contents) || contents.length === 0)
    return invalid(
      'Unable to submit request because it must include at least one parts field, which describes the prompt input.',
    );
  let promptChars = 0;
  let lastUserText = '';
  let answersTool = false;
  for (const [index, content] of contents.entries()) {
    if (!isRecord(content)) return invalid(`Invalid value at 'contents[${index}]'`);
    const role = content['role'] ?? 'user';
    if (role !== 'user' && role !== 'model')
      return invalid(`Please use a valid role: user, model. Found: ${JSON.stringify(role)}.`);
    if (!Array.isArray(content['parts']) || content['parts'].length === 0) {
      return invalid(
        'Unable to submit request because it must include at least one parts field, which describes the prompt input.',
      );
    }
    const { text, functionResponses } = geminiText(content['parts']);
    promptChars += text.length;
    if (role === 'user' && text !== '') lastUserText = text;
    answersTool = role === 'user' && functionResponses > 0;
  }
  const system = body['systemInstruction'];
  if (isRecord(system)) promptChars += geminiText(system['parts']).text.length;

  const toolNames: string[] = [];
  if (Array.isArray(body['tools'])) {
    for (const tool of body['tools']) {
      const declarations = isRecord(tool) ? tool['functionDeclarations'] : undefined;
      if (!Array.isArray(declarations)) continue;
      for (const declaration of declarations)
        if (isRecord(declaration) && typeof declaration['name'] === 'string') toolNames.push(declaration['name']);
    }
  }
  const toolConfig = isRecord(body['toolConfig']) ? body['toolConfig']['functionCallingConfig'] : undefined;
  const generation = isRecord(body['generationConfig']) ? body['generationConfig'] : {};
  const json = generation['responseMimeType'] === 'application/json';
  return {
    ok: true,
    view: {
      model,
      stream,
      includeUsage: false,
      lastUserText,
      promptChars,
      toolNames,
      toolChoice: answersTool ? { kind: 'none' } : geminiToolChoice(toolConfig),
      responseFormat: json ? (generation['responseSchema'] === undefined ? 'json_object' : 'json_schema') : null,
    },
  };
}

function geminiToolChoice(config: unknown): ToolChoice {
  if (!isRecord(config)) return { kind: 'auto' };
  const allowed = config['allowedFunctionNames'];
  switch (config['mode']) {
    case 'NONE':
      return { kind: 'none' };
    case 'ANY':
      return Array.isArray(allowed) && allowed.length === 1 && typeof allowed[0] === 'string'
        ? { kind: 'named', name: allowed[0] }
        : { kind: 'required' };
    default:
      return { kind: 'auto' };
  }
}

export const VERTEX_ANTHROPIC_VERSION = 'vertex-2023-10-16';
// @anthropic-ai/vertex-sdk 1.x copies its first-party API version (e.g. `2026-10-21`) into the body.
const DATED_VERSION = /^\d{4}-\d{2}-\d{2}$/;

/** Text of Anthropic content (a string or blocks); tool_result blocks carry none. */
function claudeText(content: unknown): { text: string; toolResults: number } {
  if (typeof content === 'string') return { text: content, toolResults: 0 };
  const texts: string[] = [];
  let toolResults = 0;
  if (Array.isArray(content)) {
    for (const block of content) {
      if (!isRecord(block)) continue;
      if (block['type'] === 'text' && typeof block['text'] === 'string') texts.push(block['text']);
      if (block['type'] === 'tool_result') toolResults += 1;
    }
  }
  return { text: texts.join(' '), toolResults };
}

/**
 * Reads a rawPredict body the way Vertex validates it: `anthropic_version` is required (Vertex's
 * `vertex-2023-10-16`, or the dated version newer SDKs send), `model` must not be in the body
 * (it is in the URL), `max_tokens` is required.
 */
export function readClaudeRequest(body: unknown, model: string, stream: boolean): WireRead {
  const invalid = (message: string): WireRead => ({ ok: false, reply: anthropicError(400, 'invalid_request_error', message) });
  if (!isRecord(body)) return invalid('Invalid JSON body');
  const version = body['anthropic_version'];
  if (typeof version !== 'string' || (version !== VERTEX_ANTHROPIC_VERSION && !DATED_VERSION.test(version))) {
    return invalid(`anthropic_version: Input should be '${VERTEX_ANTHROPIC_VERSION}' or a dated API version`);
  }
  if (body['model'] !== undefined) return invalid('model: Extra inputs are not permitted');
  if (typeof body['max_tokens'] !== 'number') return invalid('max_tokens: Field required');
  const messages = body['messages'];
  if (!Array.isArray(messages) || messages.length === 0) return invalid('messages: at least one message is required');
  let promptChars = 0;
  let lastUserText = '';
  let answersTool = false;
  for (const message of messages) {
    if (!isRecord(message) || (message['role'] !== 'user' && message['role'] !== 'assistant')) {
      return invalid("messages: roles must be 'user' or 'assistant'");
    }
    const { text, toolResults } = claudeText(message['content']);
    promptChars += text.length;
    if (message['role'] === 'user' && text !== '') lastUserText = text;
    answersTool = message['role'] === 'user' && toolResults > 0;
  }
  promptChars += claudeText(body['system']).text.length;
  const toolNames: string[] = [];
  if (Array.isArray(body['tools'])) {
    for (const tool of body['tools']) if (isRecord(tool) && typeof tool['name'] === 'string') toolNames.push(tool['name']);
  }
  return {
    ok: true,
    view: {
      model,
      stream,
      includeUsage: false,
      lastUserText,
      promptChars,
      toolNames,
      toolChoice: answersTool ? { kind: 'none' } : claudeToolChoice(body['tool_choice']),
      responseFormat: null,
    },
  };
}

function claudeToolChoice(choice: unknown): ToolChoice {
  if (!isRecord(choice)) return { kind: 'auto' };
  switch (choice['type']) {
    case 'none':
      return { kind: 'none' };
    case 'any':
      return { kind: 'required' };
    case 'tool':
      return typeof choice['name'] === 'string' ? { kind: 'named', name: choice['name'] } : { kind: 'required' };
    default:
      return { kind: 'auto' };
  }
}

/** Identity of one answer, shared by all its stream events. */
export interface WireContext {
  readonly id: string;
  readonly model: string;
  readonly createTime: string;
}

/** One SSE event as written; `content` marks events that carry part of the answer. */
export interface WireFrame {
  readonly text: string;
  readonly content: boolean;
}

/** How one family renders answers, errors and stream events. */
export interface VertexWire {
  newContext(sequence: number, model: string): WireContext;
  toolCallId(sequence: number): string;
  completion(answer: Answer, context: WireContext): unknown;
  streamFrames(answer: Answer, context: WireContext): readonly WireFrame[];
  /** The event a stream carries when generation fails after the 200. */
  streamError(): WireFrame;
  malformedFrame(): WireFrame;
  /** The reply for a scripted status without a body. */
  error(status: number): Reply;
}

function geminiUsage(answer: Answer, completed: number): Record<string, unknown> {
  const prompt = answer.usage.prompt_tokens;
  return {
    promptTokenCount: prompt,
    candidatesTokenCount: completed,
    totalTokenCount: prompt + completed,
    trafficType: 'ON_DEMAND',
  };
}

function geminiParts(answer: Answer): unknown[] {
  switch (answer.kind) {
    case 'text':
      return [{ text: answer.content }];
    case 'tool':
      return [{ functionCall: { name: answer.toolCall.name, args: JSON.parse(answer.toolCall.arguments) as unknown } }];
    default:
      return assertNever(answer);
  }
}

/** Gemini's generateContent: one response object; SSE events are response objects holding only new text. */
export const geminiWire: VertexWire = {
  newContext(_sequence, model) {
    return { id: randomBytes(15).toString('base64url'), model, createTime: new Date().toISOString() };
  },
  toolCallId(sequence) {
    return `fc_${sequence}`;
  },
  completion(answer, context) {
    return {
      candidates: [{ content: { role: 'model', parts: geminiParts(answer) }, finishReason: 'STOP', avgLogprobs: -0.0712 }],
      usageMetadata: geminiUsage(answer, answer.usage.completion_tokens),
      modelVersion: context.model,
      createTime: context.createTime,
      responseId: context.id,
    };
  },
  streamFrames(answer, context) {
    const event = (parts: unknown[], completed: number, last: boolean): WireFrame => {
      const candidate: Record<string, unknown> = { content: { role: 'model', parts } };
      if (last) candidate['finishReason'] = 'STOP';
      const payload = {
        candidates: [candidate],
        usageMetadata: geminiUsage(answer, completed),
        modelVersion: context.model,
        createTime: context.createTime,
        responseId: context.id,
      };
      // Vertex separates events with CRLF pairs; clients must accept them.
      return { text: `data: ${JSON.stringify(payload)}\r\n\r\n`, content: true };
    };
    if (answer.kind === 'tool') return [event(geminiParts(answer), answer.usage.completion_tokens, true)];
    const pieces = splitText(answer.content);
    if (pieces.length === 0) return [event([{ text: '' }], answer.usage.completion_tokens, true)];
    const total = answer.usage.completion_tokens;
    return pieces.map((piece, i) =>
      event([{ text: piece }], Math.max(1, Math.ceil((total * (i + 1)) / pieces.length)), i === pieces.length - 1),
    );
  },
  streamError() {
    const payload = { error: { code: 500, message: 'Internal error encountered.', status: 'INTERNAL' } };
    return { text: `data: ${JSON.stringify(payload)}\r\n\r\n`, content: false };
  },
  malformedFrame() {
    return { text: 'data: {"candidates": [{"content": \r\n\r\n', content: true };
  },
  error(status) {
    return googleError(status);
  },
};

function claudeUsage(answer: Answer, output: number): Record<string, unknown> {
  return {
    input_tokens: answer.usage.prompt_tokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    output_tokens: output,
  };
}

function claudeEvent(payload: { readonly type: string } & Record<string, unknown>, content = false): WireFrame {
  return { text: `event: ${payload.type}\ndata: ${JSON.stringify(payload)}\n\n`, content };
}

/** Claude on Vertex: Anthropic's Messages API, named SSE events ending with message_stop. */
export const claudeWire: VertexWire = {
  newContext(sequence, model) {
    return {
      id: `msg_vrtx_${String(sequence).padStart(6, '0')}${randomBytes(9).toString('base64url')}`,
      model,
      createTime: new Date().toISOString(),
    };
  },
  toolCallId(sequence) {
    return `toolu_vrtx_${String(sequence).padStart(6, '0')}${randomBytes(6).toString('hex')}`;
  },
  completion(answer, context) {
    const content =
      answer.kind === 'text'
        ? [{ type: 'text', text: answer.content }]
        : [
            {
              type: 'tool_use',
              id: answer.toolCall.id,
              name: answer.toolCall.name,
              input: JSON.parse(answer.toolCall.arguments) as unknown,
            },
          ];
    return {
      id: context.id,
      type: 'message',
      role: 'assistant',
      model: context.model,
      content,
      stop_reason: answer.kind === 'text' ? 'end_turn' : 'tool_use',
      stop_sequence: null,
      usage: claudeUsage(answer, answer.usage.completion_tokens),
    };
  },
  streamFrames(answer, context) {
    const frames: WireFrame[] = [
      claudeEvent({
        type: 'message_start',
        message: {
          id: context.id,
          type: 'message',
          role: 'assistant',
          model: context.model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: claudeUsage(answer, 1),
        },
      }),
    ];
    if (answer.kind === 'text') {
      frames.push(claudeEvent({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }));
      frames.push(claudeEvent({ type: 'ping' }));
      for (const piece of splitText(answer.content)) {
        frames.push(claudeEvent({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: piece } }, true));
      }
    } else {
      const { toolCall } = answer;
      frames.push(
        claudeEvent(
          {
            type: 'content_block_start',
            index: 0,
            content_block: { type: 'tool_use', id: toolCall.id, name: toolCall.name, input: {} },
          },
          true,
        ),
      );
      frames.push(claudeEvent({ type: 'ping' }));
      const third = Math.ceil(toolCall.arguments.length / 3);
      for (let at = 0; at < toolCall.arguments.length; at += third) {
        const partial = toolCall.arguments.slice(at, at + third);
        frames.push(
          claudeEvent(
            { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: partial } },
            true,
          ),
        );
      }
    }
    frames.push(claudeEvent({ type: 'content_block_stop', index: 0 }));
    frames.push(
      claudeEvent({
        type: 'message_delta',
        delta: { stop_reason: answer.kind === 'text' ? 'end_turn' : 'tool_use', stop_sequence: null },
        usage: { output_tokens: answer.usage.completion_tokens },
      }),
    );
    frames.push(claudeEvent({ type: 'message_stop' }));
    return frames;
  },
  streamError() {
    return claudeEvent({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
  },
  malformedFrame() {
    return { text: 'event: content_block_delta\ndata: {"type": "content_block_delta", "index": \n\n', content: true };
  },
  error(status) {
    // Overload (529) comes from the model side in Anthropic's shape; quota, auth and routing from Vertex.
    if (status === 529) return anthropicError(529, 'overloaded_error', 'Overloaded');
    return googleError(status);
  },
};

export function wireOf(family: VertexFamily): VertexWire {
  switch (family) {
    case 'gemini':
      return geminiWire;
    case 'claude':
      return claudeWire;
    default:
      return assertNever(family);
  }
}
