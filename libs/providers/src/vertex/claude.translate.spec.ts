import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chatRequestBody, type ChatRequestBody } from '@gw/contracts';
import { UnsupportedRequestError } from './chat-content.translate';
import { CLAUDE_DEFAULT_MAX_TOKENS, claudeFinishReason, fromClaudeResponse, toClaudeRequest } from './claude.translate';

function fixture(name: string): unknown {
  return JSON.parse(readFileSync(join(__dirname, '__fixtures__', name), 'utf8'));
}

function request(body: Record<string, unknown>): ChatRequestBody {
  return chatRequestBody.parse({ model: 'vertex:claude-sonnet-4-5@20250929', ...body });
}

const user = (content: unknown) => ({ role: 'user', content });
const tools = [{ type: 'function', function: { name: 'get_time', description: 'Now' } }];

describe('toClaudeRequest', () => {
  it('translates a tool conversation: system blocks, image, tool_use and tool_result, clamped temperature, parallel off', () => {
    const sut = toClaudeRequest(chatRequestBody.parse(fixture('openai-tool-conversation.request.json')));
    expect(sut).toEqual(fixture('claude-tool-conversation.request.json'));
  });

  it('sends no model, the Vertex anthropic_version, a string system and a default max_tokens', () => {
    const sut = toClaudeRequest(request({ messages: [{ role: 'system', content: 'Be brief.' }, user('hi')] }));
    expect(sut).toEqual({
      anthropic_version: 'vertex-2023-10-16',
      max_tokens: CLAUDE_DEFAULT_MAX_TOKENS,
      system: 'Be brief.',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
    });
    expect(sut).not.toHaveProperty('model');
  });

  it('takes max_completion_tokens over max_tokens, and top_p, top_k, stop as a string', () => {
    const sut = toClaudeRequest(
      request({
        messages: [user('x')],
        max_tokens: 100,
        max_completion_tokens: 200,
        top_p: 0.5,
        top_k: 7,
        stop: 'DONE',
        temperature: 0.3,
      }),
    );
    expect(sut).toMatchObject({ max_tokens: 200, top_p: 0.5, top_k: 7, stop_sequences: ['DONE'], temperature: 0.3 });
    expect(sut.stream).toBeUndefined();
  });

  it.each([
    ['auto', undefined, { type: 'auto' }],
    ['required', undefined, { type: 'any' }],
    ['none', undefined, { type: 'none' }],
    [{ type: 'function', function: { name: 'get_time' } }, undefined, { type: 'tool', name: 'get_time' }],
    [
      { type: 'function', function: { name: 'get_time' } },
      false,
      { type: 'tool', name: 'get_time', disable_parallel_tool_use: true },
    ],
    [undefined, false, { type: 'auto', disable_parallel_tool_use: true }],
    [undefined, true, undefined],
  ])('maps tool_choice %j with parallel_tool_calls %j to %j', (choice, parallel, expected) => {
    const sut = toClaudeRequest(request({ messages: [user('x')], tools, tool_choice: choice, parallel_tool_calls: parallel }));
    expect(sut.tool_choice).toEqual(expected);
    expect(sut.tools).toEqual([{ name: 'get_time', description: 'Now', input_schema: { type: 'object', properties: {} } }]);
  });

  it('sends PDFs as document blocks', () => {
    const sut = toClaudeRequest(
      request({ messages: [user([{ type: 'file', file: { file_data: 'data:application/pdf;base64,JVBERi0=' } }])] }),
    );
    expect(sut.messages[0]?.content).toEqual([
      { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' } },
    ]);
  });

  it.each([
    ['an https image (Vertex refuses URL sources)', [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }]],
    ['audio', [{ type: 'input_audio', input_audio: { data: 'UklGRg==', format: 'wav' } }]],
  ])('refuses %s with a 400-worthy error naming the field', (_what, content) => {
    const translate = () => toClaudeRequest(request({ messages: [user(content)] }));
    expect(translate).toThrow(UnsupportedRequestError);
    expect(translate).toThrow('messages[0].content[0]');
  });

  it('merges a tool result and the following user text into one user turn, results first', () => {
    const sut = toClaudeRequest(
      request({
        messages: [
          user('time?'),
          {
            role: 'assistant',
            tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'get_time', arguments: '{}' } }],
          },
          { role: 'tool', tool_call_id: 'toolu_1', content: [{ type: 'text', text: '12:00' }] },
          user('thanks'),
        ],
      }),
    );
    expect(sut.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(sut.messages[2]?.content).toEqual([
      { type: 'tool_result', tool_use_id: 'toolu_1', content: '12:00' },
      { type: 'text', text: 'thanks' },
    ]);
  });
});

describe('fromClaudeResponse', () => {
  const now = () => 1_700_000_000;

  it('maps text, end_turn and usage (cache reads and writes count as prompt tokens)', () => {
    const sut = fromClaudeResponse(fixture('claude-text.response.json'), now);
    expect(sut.completion).toEqual({
      id: 'msg_vrtx_01AbCdEfGh',
      object: 'chat.completion',
      created: 1_700_000_000,
      model: 'claude-sonnet-4-5-20250929',
      choices: [
        { index: 0, logprobs: null, finish_reason: 'stop', message: { role: 'assistant', content: 'Hello! How can I help?' } },
      ],
      usage: { prompt_tokens: 412, completion_tokens: 9, total_tokens: 421, prompt_tokens_details: { cached_tokens: 300 } },
    });
    expect(sut.usage).toEqual({ promptTokens: 412, completionTokens: 9, upstreamCostUsd: null });
  });

  it('maps tool_use blocks to tool_calls with their ids and finish_reason tool_calls', () => {
    const choice = (fromClaudeResponse(fixture('claude-tool-use.response.json'), now).completion['choices'] as unknown[])[0];
    expect(choice).toEqual({
      index: 0,
      logprobs: null,
      finish_reason: 'tool_calls',
      message: {
        role: 'assistant',
        content: 'Let me check.',
        tool_calls: [
          {
            id: 'toolu_vrtx_01XyZ',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Oslo","unit":"celsius"}' },
          },
        ],
      },
    });
  });

  it('maps max_tokens to length and thinking to reasoning', () => {
    const choice = (fromClaudeResponse(fixture('claude-max-tokens.response.json'), now).completion['choices'] as unknown[])[0];
    expect(choice).toMatchObject({ finish_reason: 'length', message: { content: '1, 2, 3', reasoning: 'Counting...' } });
  });

  it.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['pause_turn', 'stop'],
    ['max_tokens', 'length'],
    ['model_context_window_exceeded', 'length'],
    ['tool_use', 'tool_calls'],
    ['refusal', 'content_filter'],
    [null, 'stop'],
  ])('stop_reason %j -> %s', (reason, expected) => {
    expect(claudeFinishReason(reason)).toBe(expected);
  });
});
