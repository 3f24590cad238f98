import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chatRequestBody, type ChatRequestBody } from '@gw/contracts';
import { UnsupportedRequestError } from './chat-content.translate';
import { toGeminiSchema } from './gemini-schema.translate';
import { fromGeminiResponse, geminiFinishReason, toGeminiRequest } from './gemini.translate';

function fixture(name: string): unknown {
  return JSON.parse(readFileSync(join(__dirname, '__fixtures__', name), 'utf8'));
}

function request(body: Record<string, unknown>): ChatRequestBody {
  return chatRequestBody.parse({ model: 'vertex:gemini-2.5-flash', ...body });
}

const user = (content: unknown) => ({ role: 'user', content });

function sequentialIds(): () => string {
  let n = 0;
  return () => `call_gen${++n}`;
}

describe('toGeminiRequest', () => {
  it('translates a tool conversation with system prompts, an image and every generation setting', () => {
    const sut = toGeminiRequest(chatRequestBody.parse(fixture('openai-tool-conversation.request.json')));
    expect(sut).toEqual(fixture('gemini-tool-conversation.request.json'));
  });

  it('sends a string user message as one text part and leaves out empty settings', () => {
    expect(toGeminiRequest(request({ messages: [user('hi')] }))).toEqual({
      contents: [{ role: 'user', parts: [{ text: 'hi' }] }],
    });
  });

  it('maps https and gs image URLs to fileData with a mime type from the extension, JPEG when unknown', () => {
    const sut = toGeminiRequest(
      request({
        messages: [
          user([
            { type: 'image_url', image_url: { url: 'https://example.com/cat.webp?size=2' } },
            { type: 'image_url', image_url: { url: 'gs://bucket/scan.pdf' } },
            { type: 'image_url', image_url: { url: 'https://cdn.example.com/img/12345' } },
          ]),
        ],
      }),
    );
    expect(sut.contents[0]?.parts).toEqual([
      { fileData: { mimeType: 'image/webp', fileUri: 'https://example.com/cat.webp?size=2' } },
      { fileData: { mimeType: 'application/pdf', fileUri: 'gs://bucket/scan.pdf' } },
      { fileData: { mimeType: 'image/jpeg', fileUri: 'https://cdn.example.com/img/12345' } },
    ]);
  });

  it('maps audio and file parts to inlineData', () => {
    const sut = toGeminiRequest(
      request({
        messages: [
          user([
            { type: 'input_audio', input_audio: { data: 'UklGRg==', format: 'wav' } },
            { type: 'file', file: { file_data: 'data:application/pdf;base64,JVBERi0=', filename: 'a.pdf' } },
          ]),
        ],
      }),
    );
    expect(sut.contents[0]?.parts).toEqual([
      { inlineData: { mimeType: 'audio/wav', data: 'UklGRg==' } },
      { inlineData: { mimeType: 'application/pdf', data: 'JVBERi0=' } },
    ]);
  });

  it.each([
    [
      'a plain-http image URL',
      [{ type: 'image_url', image_url: { url: 'http://example.com/a.png' } }],
      'messages[0].content[0].image_url.url',
    ],
    [
      'a non-base64 data URL',
      [{ type: 'image_url', image_url: { url: 'data:image/png,rawbytes' } }],
      'messages[0].content[0].image_url.url',
    ],
    ['an unknown part type', [{ type: 'video_url', video_url: {} }], 'messages[0].content[0].type'],
  ])('refuses %s, naming the field', (_what, content, field) => {
    const translate = () => toGeminiRequest(request({ messages: [user(content)] }));
    expect(translate).toThrow(UnsupportedRequestError);
    expect(translate).toThrow(field);
  });

  it('refuses a tool result for an unknown call and tool-call arguments that are not a JSON object', () => {
    const orphan = request({ messages: [user('x'), { role: 'tool', tool_call_id: 'nope', content: '1' }] });
    expect(() => toGeminiRequest(orphan)).toThrow('messages[1].tool_call_id');
    const badArgs = request({
      messages: [
        user('x'),
        { role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '[1]' } }] },
      ],
    });
    expect(() => toGeminiRequest(badArgs)).toThrow('messages[1].tool_calls[0].function.arguments');
  });

  it('refuses a conversation with only system messages', () => {
    expect(() => toGeminiRequest(request({ messages: [{ role: 'system', content: 'be nice' }] }))).toThrow('messages');
  });

  it('sends empty tool-call arguments as an empty args object, and an assistant text beside its calls', () => {
    const sut = toGeminiRequest(
      request({
        messages: [
          user('x'),
          {
            role: 'assistant',
            content: 'Let me look.',
            tool_calls: [{ id: 'c', type: 'function', function: { name: 'now', arguments: '' } }],
          },
        ],
      }),
    );
    expect(sut.contents[1]).toEqual({
      role: 'model',
      parts: [{ text: 'Let me look.' }, { functionCall: { name: 'now', args: {} } }],
    });
  });

  it.each([
    ['none', { mode: 'NONE' }],
    ['auto', { mode: 'AUTO' }],
    ['required', { mode: 'ANY' }],
    [
      { type: 'function', function: { name: 'get_time' } },
      { mode: 'ANY', allowedFunctionNames: ['get_time'] },
    ],
  ])('maps tool_choice %j to functionCallingConfig %j', (choice, config) => {
    const tools = [{ type: 'function', function: { name: 'get_time' } }];
    const sut = toGeminiRequest(request({ messages: [user('x')], tools, tool_choice: choice }));
    expect(sut.toolConfig).toEqual({ functionCallingConfig: config });
    expect(sut.tools).toEqual([{ functionDeclarations: [{ name: 'get_time' }] }]);
  });

  it('leaves toolConfig out without tools, and topK out when top_k is 0 (off)', () => {
    const sut = toGeminiRequest(request({ messages: [user('x')], tool_choice: 'required', top_k: 0, stop: 'STOP' }));
    expect(sut.toolConfig).toBeUndefined();
    expect(sut.generationConfig).toEqual({ stopSequences: ['STOP'] });
  });

  it('prefers max_completion_tokens over max_tokens and maps frequency_penalty', () => {
    const sut = toGeminiRequest(
      request({ messages: [user('x')], max_tokens: 10, max_completion_tokens: 20, frequency_penalty: -1 }),
    );
    expect(sut.generationConfig).toEqual({ maxOutputTokens: 20, frequencyPenalty: -1 });
  });

  it('maps json_object to a JSON mime type and json_schema to a mime type plus responseSchema', () => {
    expect(
      toGeminiRequest(request({ messages: [user('x')], response_format: { type: 'json_object' } })).generationConfig,
    ).toEqual({
      responseMimeType: 'application/json',
    });
    const schema = {
      type: 'object',
      properties: { a: { type: 'string', format: 'email' }, n: { type: 'integer', format: 'int64' } },
      required: ['a'],
      additionalProperties: false,
    };
    const sut = toGeminiRequest(
      request({
        messages: [user('x')],
        response_format: { type: 'json_schema', json_schema: { name: 'answer', strict: true, schema } },
      }),
    );
    expect(sut.generationConfig).toEqual({
      responseMimeType: 'application/json',
      responseSchema: {
        type: 'object',
        properties: { a: { type: 'string' }, n: { type: 'integer', format: 'int64' } },
        required: ['a'],
      },
    });
    expect(
      toGeminiRequest(request({ messages: [user('x')], response_format: { type: 'text' } })).generationConfig,
    ).toBeUndefined();
  });

  it('merges adjacent user messages into one turn', () => {
    const sut = toGeminiRequest(request({ messages: [user('a'), user('b')] }));
    expect(sut.contents).toEqual([{ role: 'user', parts: [{ text: 'a' }, { text: 'b' }] }]);
  });
});

describe('toGeminiSchema', () => {
  it('inlines local $refs, turns oneOf into anyOf, const into enum and multi-type arrays into anyOf', () => {
    const sut = toGeminiSchema(
      {
        type: 'object',
        $defs: { City: { type: 'string', minLength: 1 } },
        properties: {
          city: { $ref: '#/$defs/City' },
          kind: { const: 'weather' },
          value: { type: ['number', 'string'] },
          either: { oneOf: [{ type: 'string' }, { type: 'integer' }] },
          list: { type: 'array', items: { $ref: '#/$defs/City' }, maxItems: 3 },
          level: { enum: [1, 2, 3], type: 'integer' },
        },
      },
      'schema',
    );
    expect(sut).toEqual({
      type: 'object',
      properties: {
        city: { type: 'string', minLength: 1 },
        kind: { enum: ['weather'] },
        value: { anyOf: [{ type: 'number' }, { type: 'string' }] },
        either: { anyOf: [{ type: 'string' }, { type: 'integer' }] },
        list: { type: 'array', items: { type: 'string', minLength: 1 }, maxItems: 3 },
        level: { type: 'integer' },
      },
    });
  });

  it('refuses circular and remote $refs', () => {
    const circular = {
      $defs: { Node: { type: 'object', properties: { next: { $ref: '#/$defs/Node' } } } },
      $ref: '#/$defs/Node',
    };
    expect(() => toGeminiSchema(circular, 'tools[0].function.parameters')).toThrow('nested too deeply');
    expect(() => toGeminiSchema({ $ref: 'https://example.com/schema.json' }, 'p')).toThrow('$ref');
  });
});

describe('fromGeminiResponse', () => {
  const options = { newToolCallId: sequentialIds(), nowSeconds: () => 1_700_000_000 };

  it('maps text, STOP and usage (thoughts count as output, cached tokens reported)', () => {
    const sut = fromGeminiResponse(fixture('gemini-text.response.json'), options);
    expect(sut.completion).toEqual({
      id: 'Yk5bab3kJ8mF2PgPq7aD-Q0',
      object: 'chat.completion',
      created: 1_767_608_430,
      model: 'gemini-2.5-flash',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'It is 3°C and cloudy in Oslo.' },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: {
        prompt_tokens: 21,
        completion_tokens: 31,
        total_tokens: 52,
        prompt_tokens_details: { cached_tokens: 8 },
        completion_tokens_details: { reasoning_tokens: 20 },
      },
    });
    expect(sut.usage).toEqual({ promptTokens: 21, completionTokens: 31, upstreamCostUsd: null });
  });

  it('maps function calls to tool_calls with generated ids and finish_reason tool_calls', () => {
    const sut = fromGeminiResponse(fixture('gemini-tool-call.response.json'), { newToolCallId: sequentialIds() });
    expect(sut.completion['choices']).toEqual([
      {
        index: 0,
        logprobs: null,
        finish_reason: 'tool_calls',
        message: {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_gen1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
            { id: 'call_gen2', type: 'function', function: { name: 'get_time', arguments: '{"zone":"Europe/Oslo"}' } },
          ],
        },
      },
    ]);
  });

  it('exposes thought parts as reasoning, apart from the answer', () => {
    const message = (
      fromGeminiResponse(fixture('gemini-thinking.response.json')).completion['choices'] as { message: unknown }[]
    )[0]?.message;
    expect(message).toEqual({
      role: 'assistant',
      content: '42',
      reasoning: '**Weighing the options**\nThe user wants a number.',
    });
  });

  it.each([
    ['gemini-max-tokens.response.json', 'length', 'Once upon a'],
    ['gemini-safety.response.json', 'content_filter', ''],
    ['gemini-prompt-blocked.response.json', 'content_filter', null],
  ])('maps %s to finish_reason %s', (name, finishReason, content) => {
    const choice = (
      fromGeminiResponse(fixture(name)).completion['choices'] as { finish_reason: string; message: { content: unknown } }[]
    )[0];
    expect(choice?.finish_reason).toBe(finishReason);
    expect(choice?.message.content).toBe(content);
  });

  it.each([
    ['STOP', false, 'stop'],
    ['STOP', true, 'tool_calls'],
    ['MAX_TOKENS', true, 'length'],
    ['RECITATION', false, 'content_filter'],
    ['BLOCKLIST', false, 'content_filter'],
    ['PROHIBITED_CONTENT', false, 'content_filter'],
    ['SPII', false, 'content_filter'],
    ['MALFORMED_FUNCTION_CALL', false, 'stop'],
    ['OTHER', false, 'stop'],
    ['SOMETHING_NEW', false, 'stop'],
  ])('finish reason %s (tool calls: %s) -> %s', (reason, hasToolCalls, expected) => {
    expect(geminiFinishReason(reason, hasToolCalls)).toBe(expected);
  });

  it('survives a body that is not an object', () => {
    const sut = fromGeminiResponse('oops', { nowSeconds: () => 5 });
    expect(sut.usage).toBeNull();
    expect(sut.completion['created']).toBe(5);
  });
});
