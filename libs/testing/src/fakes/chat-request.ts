/** How the request constrains tool use (`tool_choice`). */
export type ToolChoice = { readonly kind: 'auto' | 'none' | 'required' } | { readonly kind: 'named'; readonly name: string };

/** The parts of an OpenAI-style chat request body that decide what a fake answers. */
export interface ChatRequestView {
  readonly model: string | null;
  readonly stream: boolean;
  readonly includeUsage: boolean;
  readonly lastUserText: string;
  /** Characters of text across all messages: the basis of the fake prompt token count. */
  readonly promptChars: number;
  readonly toolNames: readonly string[];
  readonly toolChoice: ToolChoice;
  /** `response_format.type`, when given. */
  readonly responseFormat: string | null;
}

export type ChatRequestRead =
  { readonly ok: true; readonly view: ChatRequestView } | { readonly ok: false; readonly message: string };

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads a parsed JSON body leniently: fakes only reject what the real upstreams certainly reject. */
export function readChatRequest(body: unknown): ChatRequestRead {
  if (!isRecord(body)) return { ok: false, message: 'The request body must be a JSON object.' };
  const messages = body['messages'];
  if (!Array.isArray(messages) || messages.length === 0) return { ok: false, message: "'messages' is a required property" };

  let lastUserText = '';
  let promptChars = 0;
  for (const message of messages) {
    if (!isRecord(message)) return { ok: false, message: 'Each message must be an object.' };
    const text = messageText(message['content']);
    promptChars += text.length;
    if (message['role'] === 'user') lastUserText = text;
  }

  const streamOptions = body['stream_options'];
  const responseFormat = body['response_format'];
  const model = body['model'];
  return {
    ok: true,
    view: {
      model: typeof model === 'string' && model !== '' ? model : null,
      stream: body['stream'] === true,
      includeUsage: isRecord(streamOptions) && streamOptions['include_usage'] === true,
      lastUserText,
      promptChars,
      toolNames: toolNames(body['tools']),
      toolChoice: toolChoice(body['tool_choice']),
      responseFormat: isRecord(responseFormat) && typeof responseFormat['type'] === 'string' ? responseFormat['type'] : null,
    },
  };
}

/** String content, or the text parts of array content joined by a space (images and audio carry no text). */
function messageText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  const texts: string[] = [];
  for (const part of content) {
    if (isRecord(part) && part['type'] === 'text' && typeof part['text'] === 'string') texts.push(part['text']);
  }
  return texts.join(' ');
}

function toolNames(tools: unknown): string[] {
  if (!Array.isArray(tools)) return [];
  const names: string[] = [];
  for (const tool of tools) {
    const fn = isRecord(tool) ? tool['function'] : undefined;
    if (isRecord(fn) && typeof fn['name'] === 'string') names.push(fn['name']);
  }
  return names;
}

function toolChoice(choice: unknown): ToolChoice {
  if (choice === 'none' || choice === 'required' || choice === 'auto') return { kind: choice };
  const fn = isRecord(choice) ? choice['function'] : undefined;
  if (isRecord(fn) && typeof fn['name'] === 'string') return { kind: 'named', name: fn['name'] };
  return { kind: 'auto' };
}
