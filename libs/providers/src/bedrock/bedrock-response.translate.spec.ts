import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bedrockFinishReason, fromConverseResponse, usageFromConverse } from './bedrock-response.translate';

function fixture(name: string): unknown {
  return JSON.parse(readFileSync(join(__dirname, '__fixtures__', name), 'utf8'));
}

const identity = { id: 'chatcmpl-bedrock-1', created: 1_730_000_000, model: 'anthropic.claude-3-5-sonnet-20240620-v1:0' };

describe('fromConverseResponse', () => {
  it('turns a recorded text answer into a chat.completion with usage', () => {
    const sut = fromConverseResponse(fixture('converse-response.text.json'), identity);

    expect(sut.completion).toEqual({
      id: 'chatcmpl-bedrock-1',
      object: 'chat.completion',
      created: 1_730_000_000,
      model: 'anthropic.claude-3-5-sonnet-20240620-v1:0',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'Oslo is 3 °C and cloudy.', refusal: null },
          finish_reason: 'stop',
          native_finish_reason: 'end_turn',
          logprobs: null,
        },
      ],
      usage: {
        prompt_tokens: 30,
        completion_tokens: 12,
        total_tokens: 42,
        prompt_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
      },
    });
    expect(sut.usage).toEqual({ promptTokens: 30, completionTokens: 12, upstreamCostUsd: null });
  });

  it('turns toolUse blocks into tool_calls with JSON-string arguments, keeping the text', () => {
    const sut = fromConverseResponse(fixture('converse-response.tool-use.json'), identity);

    expect(sut.completion['choices']).toEqual([
      {
        index: 0,
        message: {
          role: 'assistant',
          content: 'Let me check the weather.',
          refusal: null,
          tool_calls: [
            {
              id: 'tooluse_kZJMlvQmRJ6eAyJE5GIl7Q',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Oslo"}' },
            },
          ],
        },
        finish_reason: 'tool_calls',
        native_finish_reason: 'tool_use',
        logprobs: null,
      },
    ]);
  });

  it('sends null content beside tool calls when there is no text, and reasoning text as `reasoning`', () => {
    const sut = fromConverseResponse(
      {
        output: {
          message: {
            role: 'assistant',
            content: [
              { reasoningContent: { reasoningText: { text: 'The user wants weather.', signature: 'sig' } } },
              { toolUse: { toolUseId: 't1', name: 'get_weather', input: {} } },
            ],
          },
        },
        stopReason: 'tool_use',
        usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 },
      },
      identity,
    );

    expect(sut.completion['choices']).toEqual([
      expect.objectContaining({
        message: {
          role: 'assistant',
          content: null,
          refusal: null,
          reasoning: 'The user wants weather.',
          tool_calls: [{ id: 't1', type: 'function', function: { name: 'get_weather', arguments: '{}' } }],
        },
      }),
    ]);
  });

  it('survives a body without output or usage', () => {
    const sut = fromConverseResponse({}, identity);

    expect(sut.usage).toBeNull();
    expect(sut.completion['usage']).toBeUndefined();
    expect(sut.completion['choices']).toEqual([expect.objectContaining({ message: expect.objectContaining({ content: '' }) })]);
  });
});

describe('bedrockFinishReason', () => {
  it.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['max_tokens', 'length'],
    ['model_context_window_exceeded', 'length'],
    ['tool_use', 'tool_calls'],
    ['content_filtered', 'content_filter'],
    ['guardrail_intervened', 'content_filter'],
    ['malformed_model_output', 'stop'],
    ['malformed_tool_use', 'stop'],
    ['something_new', 'stop'],
  ])('%s -> %s', (stopReason, expected) => {
    expect(bedrockFinishReason(stopReason)).toBe(expected);
  });
});

describe('usageFromConverse', () => {
  it('adds cached tokens to the prompt when totalTokens shows inputTokens excludes them', () => {
    const sut = usageFromConverse((fixture('converse-response.tool-use.json') as { usage: unknown }).usage);

    expect(sut?.json).toEqual({
      prompt_tokens: 1100,
      completion_tokens: 54,
      total_tokens: 1154,
      prompt_tokens_details: { cached_tokens: 1000, cache_write_tokens: 96 },
    });
  });

  it('does not count cached tokens twice when totalTokens shows inputTokens includes them', () => {
    const sut = usageFromConverse({ inputTokens: 1100, outputTokens: 54, totalTokens: 1154, cacheReadInputTokens: 1000 });

    expect(sut?.usage).toEqual({ promptTokens: 1100, completionTokens: 54, upstreamCostUsd: null });
  });

  it('is null without token counts', () => {
    expect(usageFromConverse(undefined)).toBeNull();
    expect(usageFromConverse({ inputTokens: 'x', outputTokens: 1 })).toBeNull();
  });
});
