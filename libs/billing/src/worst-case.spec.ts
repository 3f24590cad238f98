import type { ChatRequestBody } from '@gw/contracts';
import { estimatePromptTokens, maxCompletionTokens } from './worst-case';

const messages = (...contents: unknown[]) =>
  contents.map((content) => ({ role: 'user', content })) as ChatRequestBody['messages'];

describe('estimatePromptTokens', () => {
  it.each([
    ['one short string', { messages: messages('hello') }, 3, Math.ceil(5 / 3) + 8],
    ['two strings', { messages: messages('a'.repeat(30), 'b'.repeat(30)) }, 3, 20 + 16],
    ['the same at four characters per token', { messages: messages('a'.repeat(30), 'b'.repeat(30)) }, 4, 15 + 16],
    [
      'text parts count their text; images a fixed 1,500',
      {
        messages: messages([
          { type: 'text', text: 'x'.repeat(9) },
          { type: 'image_url', image_url: { url: 'data:' } },
        ]),
      },
      3,
      3 + 8 + 1500,
    ],
    ['a null content counts nothing but the framing', { messages: messages(null) }, 3, 8],
  ])('%s', (_name, body, charsPerToken, expected) => {
    expect(estimatePromptTokens(body as Pick<ChatRequestBody, 'messages' | 'tools'>, charsPerToken)).toBe(expected);
  });

  it('counts tool schemas and earlier tool calls', () => {
    const plain = estimatePromptTokens({ messages: messages('hi') });
    const withTools = estimatePromptTokens({
      messages: messages('hi'),
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }],
    });
    expect(withTools).toBeGreaterThan(plain + 10);
  });
});

describe('maxCompletionTokens', () => {
  it.each([
    ['max_tokens wins', { max_tokens: 100 }, 4096, null, 10, 100],
    ['then max_completion_tokens', { max_completion_tokens: 50 }, 4096, null, 10, 50],
    ['else the configured default', {}, 4096, null, 10, 4096],
    ['capped by what the context leaves', {}, 4096, 1000, 900, 100],
    ['never below one token', {}, 4096, 1000, 5000, 1],
  ])('%s', (_name, body, fallback, context, prompt, expected) => {
    expect(maxCompletionTokens(body, fallback, context, prompt)).toBe(expected);
  });
});
