import type { ChatRequestBody } from '@gw/contracts';

/** Tokens assumed per image part: the reservation is a ceiling, not a bill. */
const IMAGE_TOKENS = 1_500;
/** Per-message framing tokens (role markers and separators). */
const MESSAGE_OVERHEAD = 8;

/**
 * An estimate of a request's prompt tokens, cheap enough for every request: by default an upper
 * one at three characters per token (tokenizers average about four on English text, fewer on code or CJK),
 * a fixed amount per image, and the tool schemas' length. Walks strings; never serialises messages.
 */
export function estimatePromptTokens(body: Pick<ChatRequestBody, 'messages' | 'tools'>, charsPerToken = 3): number {
  let chars = 0;
  let images = 0;
  for (const message of body.messages) {
    const content = (message as { content?: unknown }).content;
    if (typeof content === 'string') chars += content.length;
    else if (Array.isArray(content)) {
      for (const part of content as { type?: unknown; text?: unknown }[]) {
        if (typeof part.text === 'string') chars += part.text.length;
        else if (part.type === 'image_url' || part.type === 'input_image' || part.type === 'image') images++;
        else chars += 256;
      }
    }
    const toolCalls = (message as { tool_calls?: unknown }).tool_calls;
    if (Array.isArray(toolCalls)) chars += JSON.stringify(toolCalls).length;
  }
  if (body.tools) chars += JSON.stringify(body.tools).length;
  return Math.ceil(chars / charsPerToken) + body.messages.length * MESSAGE_OVERHEAD + images * IMAGE_TOKENS;
}

/** The completion tokens a request may produce: its own limit, else the configured default, within the context. */
export function maxCompletionTokens(
  body: Pick<ChatRequestBody, 'max_tokens' | 'max_completion_tokens'>,
  defaultTokens: number,
  contextLength: number | null,
  promptTokens: number,
): number {
  const asked = body.max_tokens ?? body.max_completion_tokens ?? defaultTokens;
  if (contextLength === null) return asked;
  return Math.max(1, Math.min(asked, contextLength - Math.min(promptTokens, contextLength - 1)));
}
