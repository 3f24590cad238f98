import type { ChatRequestBody } from '@gw/contracts';
import type { JsonObject } from '../provider.types';

/**
 * A request the Vertex APIs cannot express (an image by plain-http URL, a tool result for an
 * unknown call, …). It is the client's mistake: the adapter answers 400 naming `field`, rather
 * than silently sending something else.
 */
export class UnsupportedRequestError extends Error {
  constructor(
    readonly field: string,
    /** What is wrong with the field, completing the sentence that names it. */
    readonly reason: string,
  ) {
    super(`${field} ${reason}`);
    this.name = 'UnsupportedRequestError';
  }
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export type ChatMessages = ChatRequestBody['messages'];

/** Bytes carried in the request (a `data:` URL or base64 field). */
export interface InlineMedia {
  readonly mimeType: string;
  /** Base64, as the upstreams take it. */
  readonly data: string;
}

/** One piece of a user or assistant message, independent of the upstream's spelling. */
export type ContentPart =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'inline'; readonly media: InlineMedia; readonly what: 'image' | 'audio' | 'file' }
  /** An image by `https:` or `gs:` URL; the mime type is guessed from the file name. */
  | { readonly kind: 'url'; readonly url: string; readonly mimeType: string };

const DATA_URL = /^data:([a-z0-9.+-]+\/[a-z0-9.+-]+)((?:;[^;,]*)*);base64,([A-Za-z0-9+/=\s]*)$/i;

const MIME_BY_EXTENSION: Readonly<Record<string, string>> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  heic: 'image/heic',
  heif: 'image/heif',
  pdf: 'application/pdf',
};

/** Decodes `data:<mime>;base64,<data>`; null for anything else. */
export function parseDataUrl(url: string): InlineMedia | null {
  const match = DATA_URL.exec(url);
  const mimeType = match?.[1];
  const data = match?.[3];
  if (mimeType === undefined || data === undefined) return null;
  return { mimeType: mimeType.toLowerCase(), data: data.replace(/\s+/g, '') };
}

/** Images by URL without a telling extension are most often JPEG; Gemini needs some mime type. */
function mimeTypeOfUrl(url: string): string {
  const path = url.split(/[?#]/, 1)[0] ?? '';
  const extension = path.slice(path.lastIndexOf('.') + 1).toLowerCase();
  return MIME_BY_EXTENSION[extension] ?? 'image/jpeg';
}

const AUDIO_FORMATS: Readonly<Record<string, string>> = {
  wav: 'audio/wav',
  mp3: 'audio/mp3',
  flac: 'audio/flac',
  aac: 'audio/aac',
  ogg: 'audio/ogg',
  aiff: 'audio/aiff',
};

/** The parts of a message's `content` (a string or an array of typed parts). */
export function contentParts(content: unknown, field: string): ContentPart[] {
  if (content === null || content === undefined) return [];
  if (typeof content === 'string') return content === '' ? [] : [{ kind: 'text', text: content }];
  if (!Array.isArray(content)) throw new UnsupportedRequestError(field, 'must be a string or an array of parts');
  const parts: ContentPart[] = [];
  content.forEach((raw: unknown, index) => {
    const at = `${field}[${index}]`;
    if (!isObject(raw)) throw new UnsupportedRequestError(at, 'must be an object');
    const part = contentPart(raw, at);
    if (part !== null) parts.push(part);
  });
  return parts;
}

function contentPart(part: JsonObject, field: string): ContentPart | null {
  const type = part['type'];
  switch (type) {
    case 'text': {
      const text = part['text'];
      if (typeof text !== 'string') throw new UnsupportedRequestError(`${field}.text`, 'must be a string');
      return text === '' ? null : { kind: 'text', text };
    }
    case 'image_url': {
      const image = part['image_url'];
      const url = isObject(image) ? image['url'] : image;
      if (typeof url !== 'string') throw new UnsupportedRequestError(`${field}.image_url.url`, 'must be a string');
      const inline = parseDataUrl(url);
      if (inline !== null) return { kind: 'inline', media: inline, what: 'image' };
      if (/^(https|gs):\/\//i.test(url)) return { kind: 'url', url, mimeType: mimeTypeOfUrl(url) };
      throw new UnsupportedRequestError(`${field}.image_url.url`, 'must be a base64 data: URL or an https URL');
    }
    case 'input_audio': {
      const audio = part['input_audio'];
      const data = isObject(audio) ? audio['data'] : undefined;
      const format = isObject(audio) ? audio['format'] : undefined;
      const mimeType = typeof format === 'string' ? AUDIO_FORMATS[format.toLowerCase()] : undefined;
      if (typeof data !== 'string' || mimeType === undefined) {
        throw new UnsupportedRequestError(`${field}.input_audio`, 'must carry base64 data and a format (wav, mp3, …)');
      }
      return { kind: 'inline', media: { mimeType, data }, what: 'audio' };
    }
    case 'file': {
      const file = part['file'];
      const fileData = isObject(file) ? file['file_data'] : undefined;
      const inline = typeof fileData === 'string' ? parseDataUrl(fileData) : null;
      if (inline === null) throw new UnsupportedRequestError(`${field}.file.file_data`, 'must be a base64 data: URL');
      return { kind: 'inline', media: inline, what: 'file' };
    }
    default:
      throw new UnsupportedRequestError(`${field}.type`, `${JSON.stringify(type)} is not supported on Vertex`);
  }
}

/** The text of system and tool messages: a string, or text parts joined by blank lines. */
export function textContent(content: unknown, field: string): string {
  const texts: string[] = [];
  for (const part of contentParts(content, field)) {
    if (part.kind !== 'text') throw new UnsupportedRequestError(field, 'may contain text parts only');
    texts.push(part.text);
  }
  return texts.join('\n\n');
}

/** An assistant tool call's `arguments`: a JSON-encoded object (an empty string means no arguments). */
export function toolArguments(raw: string, field: string): JsonObject {
  if (raw.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new UnsupportedRequestError(field, 'must be a JSON object');
  }
  if (!isObject(parsed)) throw new UnsupportedRequestError(field, 'must be a JSON object');
  return parsed;
}

/** tool_call_id -> function name, from the assistant messages (tool results must name the function on Gemini). */
export function toolCallNames(messages: ChatMessages): Map<string, string> {
  const names = new Map<string, string>();
  for (const message of messages) {
    if (message.role !== 'assistant') continue;
    for (const call of message.tool_calls ?? []) names.set(call.id, call.function.name);
  }
  return names;
}

export function stopSequences(stop: ChatRequestBody['stop']): string[] | undefined {
  if (stop === undefined || stop === null) return undefined;
  const list = typeof stop === 'string' ? [stop] : stop;
  return list.length > 0 ? list : undefined;
}

/** `max_completion_tokens` is the newer name and wins. */
export function maxOutputTokens(request: ChatRequestBody): number | undefined {
  return request.max_completion_tokens ?? request.max_tokens;
}

/** The function a named `tool_choice` forces, or null. */
export function namedToolChoice(choice: ChatRequestBody['tool_choice']): string | null {
  if (!isObject(choice)) return null;
  const fn = choice['function'];
  return isObject(fn) && typeof fn['name'] === 'string' ? fn['name'] : null;
}

/** `tools[]` as name, description and JSON Schema parameters. */
export interface FunctionTool {
  readonly name: string;
  readonly description: string | undefined;
  readonly parameters: JsonObject | undefined;
}

export function functionTools(tools: ChatRequestBody['tools']): FunctionTool[] {
  return (tools ?? []).map((tool, index) => {
    const fn = tool.function;
    const description = fn['description'];
    const parameters = fn['parameters'];
    if (parameters !== undefined && !isObject(parameters)) {
      throw new UnsupportedRequestError(`tools[${index}].function.parameters`, 'must be a JSON Schema object');
    }
    return { name: fn.name, description: typeof description === 'string' ? description : undefined, parameters };
  });
}

/** A token count from an upstream body: a non-negative integer, 0 when absent or malformed. */
export function tokenCount(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}
