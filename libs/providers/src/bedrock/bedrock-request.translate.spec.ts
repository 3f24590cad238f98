import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chatRequestBody, type ChatRequestBody } from '@gw/contracts';
import { DomainError } from '@gw/kernel';
import { bedrockDroppedParams, bedrockSupportedParams, toConverseRequest } from './bedrock-request.translate';

const CLAUDE = 'anthropic.claude-3-5-sonnet-20240620-v1:0';
const LLAMA = 'meta.llama3-1-70b-instruct-v1:0';

function fixture(name: string): unknown {
  return JSON.parse(readFileSync(join(__dirname, '__fixtures__', name), 'utf8'));
}

/** Requests go through the gateway's own schema first, as in production. */
function chat(body: Record<string, unknown>): ChatRequestBody {
  return chatRequestBody.parse({ model: 'bedrock:x', ...body });
}

function thrown(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError');
}

const weatherTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

describe('toConverseRequest', () => {
  it('translates the recorded conversation (system, image, merged turns, tool call and result, sampling) exactly', () => {
    const request = chatRequestBody.parse(fixture('chat-request.tools-and-image.json'));

    const sut = toConverseRequest(request, CLAUDE);

    expect(sut.body).toEqual(fixture('converse-request.tools-and-image.json'));
    expect(sut.dropped).toEqual([
      { param: 'frequency_penalty', reason: expect.any(String) },
      { param: 'seed', reason: expect.any(String) },
      { param: 'response_format', reason: expect.any(String) },
    ]);
  });

  it('puts system and developer messages, wherever they are, into `system` in order', () => {
    const sut = toConverseRequest(
      chat({
        messages: [
          { role: 'system', content: 'one' },
          { role: 'user', content: 'hi' },
          { role: 'developer', content: [{ type: 'text', text: 'two' }] },
          { role: 'assistant', content: 'hello' },
        ],
      }),
      CLAUDE,
    );

    expect(sut.body.system).toEqual([{ text: 'one' }, { text: 'two' }]);
    expect(sut.body.messages).toEqual([
      { role: 'user', content: [{ text: 'hi' }] },
      { role: 'assistant', content: [{ text: 'hello' }] },
    ]);
  });

  it('merges consecutive turns of one role and skips blank content, so roles alternate', () => {
    const sut = toConverseRequest(
      chat({
        messages: [
          { role: 'user', content: 'a' },
          { role: 'user', content: '' },
          { role: 'user', content: [{ type: 'text', text: 'b' }] },
          { role: 'assistant', content: 'c' },
          { role: 'assistant', content: [{ type: 'text', text: 'd' }] },
          { role: 'user', content: 'e' },
        ],
      }),
      LLAMA,
    );

    expect(sut.body.messages).toEqual([
      { role: 'user', content: [{ text: 'a' }, { text: 'b' }] },
      { role: 'assistant', content: [{ text: 'c' }, { text: 'd' }] },
      { role: 'user', content: [{ text: 'e' }] },
    ]);
    expect(sut.body.system).toBeUndefined();
  });

  it('turns parallel tool results into one user turn of toolResult blocks, answered text included', () => {
    const sut = toConverseRequest(
      chat({
        messages: [
          { role: 'user', content: 'Weather in Oslo and Bergen?' },
          {
            role: 'assistant',
            content: 'Checking both.',
            tool_calls: [
              { id: 't1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
              { id: 't2', type: 'function', function: { name: 'get_weather', arguments: '' } },
            ],
          },
          { role: 'tool', tool_call_id: 't1', content: '3' },
          { role: 'tool', tool_call_id: 't2', content: [{ type: 'text', text: '5' }] },
        ],
        tools: [weatherTool],
      }),
      CLAUDE,
    );

    expect(sut.body.messages[1]).toEqual({
      role: 'assistant',
      content: [
        { text: 'Checking both.' },
        { toolUse: { toolUseId: 't1', name: 'get_weather', input: { city: 'Oslo' } } },
        { toolUse: { toolUseId: 't2', name: 'get_weather', input: {} } },
      ],
    });
    expect(sut.body.messages[2]).toEqual({
      role: 'user',
      content: [
        { toolResult: { toolUseId: 't1', content: [{ text: '3' }], status: 'success' } },
        { toolResult: { toolUseId: 't2', content: [{ text: '5' }], status: 'success' } },
      ],
    });
  });

  it.each([
    ['auto', undefined],
    ['required', { any: {} }],
    [{ type: 'function', function: { name: 'get_weather' } }, { tool: { name: 'get_weather' } }],
  ])('maps tool_choice %j to toolChoice %j', (choice, expected) => {
    const sut = toConverseRequest(
      chat({ messages: [{ role: 'user', content: 'hi' }], tools: [weatherTool], tool_choice: choice }),
      CLAUDE,
    );

    expect(sut.body.toolConfig?.tools).toEqual([
      {
        toolSpec: {
          name: 'get_weather',
          description: 'Current weather in a city',
          inputSchema: { json: weatherTool.function.parameters },
        },
      },
    ]);
    expect(sut.body.toolConfig?.toolChoice).toEqual(expected);
    expect(sut.dropped).toEqual([]);
  });

  it('leaves toolConfig out for tool_choice "none" when the history has no tool blocks', () => {
    const sut = toConverseRequest(
      chat({ messages: [{ role: 'user', content: 'hi' }], tools: [weatherTool], tool_choice: 'none' }),
      CLAUDE,
    );

    expect(sut.body.toolConfig).toBeUndefined();
    expect(sut.dropped).toEqual([]);
  });

  it('keeps toolConfig for tool_choice "none" when the history holds tool calls, and reports it', () => {
    const sut = toConverseRequest(
      chat({
        messages: [
          { role: 'user', content: 'Weather?' },
          { role: 'assistant', tool_calls: [{ id: 't1', type: 'function', function: { name: 'get_weather', arguments: '{}' } }] },
          { role: 'tool', tool_call_id: 't1', content: 'sunny' },
        ],
        tools: [weatherTool],
        tool_choice: 'none',
      }),
      CLAUDE,
    );

    expect(sut.body.toolConfig).toEqual({
      tools: [expect.objectContaining({ toolSpec: expect.objectContaining({ name: 'get_weather' }) })],
    });
    expect(sut.dropped).toEqual([{ param: 'tool_choice', reason: expect.stringContaining('cannot forbid') }]);
  });

  it('declares tools the history calls when the request declares none (Converse needs a toolConfig then)', () => {
    const sut = toConverseRequest(
      chat({
        messages: [
          { role: 'user', content: 'Weather?' },
          { role: 'assistant', tool_calls: [{ id: 't1', type: 'function', function: { name: 'lookup', arguments: '{"q":1}' } }] },
          { role: 'tool', tool_call_id: 't1', content: 'sunny' },
        ],
      }),
      CLAUDE,
    );

    expect(sut.body.toolConfig).toEqual({
      tools: [{ toolSpec: { name: 'lookup', inputSchema: { json: { type: 'object', properties: {} } } } }],
    });
  });

  it('maps a tool without parameters or description to an empty object schema', () => {
    const sut = toConverseRequest(
      chat({
        messages: [{ role: 'user', content: 'hi' }],
        tools: [{ type: 'function', function: { name: 'now', description: '' } }],
      }),
      CLAUDE,
    );

    expect(sut.body.toolConfig?.tools).toEqual([
      { toolSpec: { name: 'now', inputSchema: { json: { type: 'object', properties: {} } } } },
    ]);
  });

  it('sends stop as stopSequences (string or list), max_completion_tokens over max_tokens, temperature and topP', () => {
    expect(
      toConverseRequest(
        chat({ messages: [{ role: 'user', content: 'x' }], stop: 'END', max_tokens: 10, max_completion_tokens: 20 }),
        LLAMA,
      ).body.inferenceConfig,
    ).toEqual({ maxTokens: 20, stopSequences: ['END'] });
    expect(
      toConverseRequest(chat({ messages: [{ role: 'user', content: 'x' }], stop: ['a', 'b'], temperature: 0, top_p: 1 }), LLAMA)
        .body.inferenceConfig,
    ).toEqual({ temperature: 0, topP: 1, stopSequences: ['a', 'b'] });
    expect(
      toConverseRequest(chat({ messages: [{ role: 'user', content: 'x' }], stop: null }), LLAMA).body.inferenceConfig,
    ).toBeUndefined();
  });

  it('passes top_k to Anthropic models through additionalModelRequestFields, and drops it elsewhere', () => {
    const request = chat({ messages: [{ role: 'user', content: 'x' }], top_k: 40 });

    expect(toConverseRequest(request, CLAUDE).body.additionalModelRequestFields).toEqual({ top_k: 40 });
    expect(toConverseRequest(request, 'us.anthropic.claude-3-7-sonnet-20250219-v1:0').body.additionalModelRequestFields).toEqual({
      top_k: 40,
    });
    const llama = toConverseRequest(request, LLAMA);
    expect(llama.body.additionalModelRequestFields).toBeUndefined();
    expect(llama.dropped).toEqual([{ param: 'top_k', reason: expect.any(String) }]);
  });

  it('reports response_format json as dropped but not the default text', () => {
    const messages = [{ role: 'user', content: 'x' }];
    expect(toConverseRequest(chat({ messages, response_format: { type: 'text' } }), CLAUDE).dropped).toEqual([]);
    expect(
      toConverseRequest(
        chat({ messages, response_format: { type: 'json_schema', json_schema: { name: 'a', schema: {} } } }),
        CLAUDE,
      ).dropped,
    ).toEqual([{ param: 'response_format', reason: expect.any(String) }]);
  });

  it('sends a base64 file as a document block with a name Converse accepts', () => {
    const sut = toConverseRequest(
      chat({
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Summarise' },
              {
                type: 'file',
                file: { file_data: 'data:application/pdf;base64,JVBERi0xLjQK', filename: 'Q3 report_v2.final.pdf' },
              },
            ],
          },
        ],
      }),
      CLAUDE,
    );

    expect(sut.body.messages[0]?.content[1]).toEqual({
      document: { format: 'pdf', name: 'Q3 report-v2-final', source: { bytes: 'JVBERi0xLjQK' } },
    });
  });

  it('accepts jpeg, gif and webp data URLs, and a percent-encoded (non-base64) one', () => {
    const image = (url: string) =>
      toConverseRequest(chat({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url } }] }] }), CLAUDE).body
        .messages[0]?.content[0];

    expect(image('data:image/jpeg;base64,/9j/4AAQ')).toEqual({ image: { format: 'jpeg', source: { bytes: '/9j/4AAQ' } } });
    expect(image('data:image/gif;base64,R0lGODlh')).toEqual({ image: { format: 'gif', source: { bytes: 'R0lGODlh' } } });
    expect(image('data:image/webp,RIFF%00')).toEqual({
      image: { format: 'webp', source: { bytes: Buffer.from('RIFF\u0000').toString('base64') } },
    });
  });

  it('refuses an https image URL with a 400 naming the field (Converse takes bytes only)', () => {
    const request = chat({
      messages: [
        { role: 'user', content: 'first' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'look' },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } },
          ],
        },
      ],
    });

    const error = thrown(() => toConverseRequest(request, CLAUDE));

    expect(error.status).toBe(400);
    expect(error.metadata).toEqual({ field: 'messages.1.content.1.image_url.url' });
    expect(error.message).toMatch(/data: URLs/);
  });

  it.each([
    [
      'an svg image',
      { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/svg+xml;base64,PHN2Zz4=' } }] },
      'messages.0.content.0.image_url.url',
    ],
    [
      'audio',
      { role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }] },
      'messages.0.content.0.type',
    ],
    [
      'an image in a system message',
      { role: 'system', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,AA' } }] },
      'messages.0.content.0',
    ],
  ])('refuses %s with a 400 naming the field', (_what, message, field) => {
    const error = thrown(() => toConverseRequest(chat({ messages: [message] }), CLAUDE));

    expect(error.status).toBe(400);
    expect(error.metadata).toEqual({ field });
  });

  it('refuses tool-call arguments that are not JSON, naming the field', () => {
    const request = chat({
      messages: [
        { role: 'user', content: 'x' },
        { role: 'assistant', tool_calls: [{ id: 't1', type: 'function', function: { name: 'f', arguments: '{city: Oslo' } }] },
      ],
    });

    expect(thrown(() => toConverseRequest(request, CLAUDE)).metadata).toEqual({
      field: 'messages.1.tool_calls.0.function.arguments',
    });
  });
});

describe('bedrockSupportedParams', () => {
  it('lists what Converse honours, plus top_k for Anthropic models (ids, profiles and ARNs)', () => {
    const base = ['max_tokens', 'max_completion_tokens', 'temperature', 'top_p', 'stop', 'tools', 'tool_choice'];

    expect([...bedrockSupportedParams(LLAMA)].sort()).toEqual([...base].sort());
    expect([...bedrockSupportedParams('amazon.nova-pro-v1:0')].sort()).toEqual([...base].sort());
    for (const claude of [
      CLAUDE,
      'global.anthropic.claude-sonnet-4-20250514-v1:0',
      'arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-sonnet-20241022-v2:0',
    ]) {
      expect([...bedrockSupportedParams(claude)].sort()).toEqual([...base, 'top_k'].sort());
    }
  });
});

describe('bedrockDroppedParams', () => {
  it('lists every set parameter Bedrock ignores, with a reason, in the order of CHAT_PARAMS', () => {
    const sut = bedrockDroppedParams(
      chat({
        messages: [{ role: 'user', content: 'x' }],
        temperature: 0.5,
        min_p: 0.1,
        presence_penalty: 1,
        repetition_penalty: 1.1,
        logit_bias: { '50256': -100 },
        logprobs: true,
        top_logprobs: 2,
        parallel_tool_calls: false,
        reasoning_effort: 'low',
      }),
      CLAUDE,
    );

    expect(sut.map((d) => d.param)).toEqual([
      'min_p',
      'presence_penalty',
      'repetition_penalty',
      'logit_bias',
      'logprobs',
      'top_logprobs',
      'parallel_tool_calls',
      'reasoning_effort',
    ]);
    for (const dropped of sut) expect(dropped.reason).not.toBe('');
  });

  it('reports without translating: content the translation would refuse does not throw here', () => {
    const request = chat({
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] }],
      seed: 3,
    });

    expect(bedrockDroppedParams(request, CLAUDE)).toEqual([{ param: 'seed', reason: expect.any(String) }]);
  });
});
