import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JsonObject, StreamDecoder, StreamEvent } from '../provider.types';
import { ClaudeStreamTranslator } from './claude.stream';
import { GeminiStreamTranslator } from './gemini.stream';
import { VertexStreamDecoder } from './vertex.stream';
import type { VertexFamily } from './vertex.url';

function fixtureBytes(name: string): Buffer {
  return readFileSync(join(__dirname, '__fixtures__', name));
}

function sequentialIds(): () => string {
  let n = 0;
  return () => `call_gen${++n}`;
}

function decoder(family: VertexFamily | null = null): StreamDecoder {
  return new VertexStreamDecoder(family, {
    gemini: () => new GeminiStreamTranslator({ newToolCallId: sequentialIds(), nowSeconds: () => 1 }),
    claude: () => new ClaudeStreamTranslator(() => 1_700_000_000),
  });
}

/** Feeds `bytes` cut at `cuts` (byte offsets), then ends the stream. */
function decode(bytes: Buffer, cuts: readonly number[], family: VertexFamily | null = null): StreamEvent[] {
  const sut = decoder(family);
  const events: StreamEvent[] = [];
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    events.push(...sut.push(bytes.subarray(from, cut)));
    from = cut;
  }
  return [...events, ...sut.end()];
}

function chunks(events: readonly StreamEvent[]): JsonObject[] {
  return events.flatMap((event) => (event.type === 'chunk' ? [event.chunk] : []));
}

type Choice = { delta: JsonObject; finish_reason: string | null };
function choicesOf(events: readonly StreamEvent[]): Choice[] {
  return chunks(events).flatMap((chunk) => chunk['choices'] as Choice[]);
}

function textOf(events: readonly StreamEvent[]): string {
  return choicesOf(events)
    .map((choice) => (typeof choice.delta['content'] === 'string' ? choice.delta['content'] : ''))
    .join('');
}

/** Every single cut, and a few seeded multi-cut splits: events must not depend on where bytes split. */
function everySplit(bytes: Buffer): number[][] {
  const splits: number[][] = [];
  for (let at = 1; at < bytes.length; at++) splits.push([at]);
  let seed = 7;
  const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  for (let i = 0; i < 50; i++) {
    const cuts = Array.from({ length: 1 + Math.floor(random() * 12) }, () => 1 + Math.floor(random() * (bytes.length - 1)));
    splits.push([...new Set(cuts)].sort((a, b) => a - b));
  }
  return splits;
}

describe('Gemini stream (streamGenerateContent?alt=sse)', () => {
  it('turns text events into content deltas, the role on the first, finish_reason on the last, then usage and done', () => {
    const events = decode(fixtureBytes('gemini-stream-text.sse'), []);
    expect(events).toEqual([
      {
        type: 'chunk',
        chunk: {
          id: 'stream-1',
          object: 'chat.completion.chunk',
          created: 1_767_609_000,
          model: 'gemini-2.5-flash',
          choices: [{ index: 0, delta: { content: 'Hel', role: 'assistant' }, finish_reason: null }],
        },
      },
      {
        type: 'chunk',
        chunk: expect.objectContaining({ choices: [{ index: 0, delta: { content: 'lo, wörld' }, finish_reason: null }] }),
      },
      {
        type: 'chunk',
        chunk: expect.objectContaining({ choices: [{ index: 0, delta: { content: '!' }, finish_reason: 'stop' }] }),
      },
      {
        type: 'chunk',
        chunk: expect.objectContaining({
          choices: [],
          usage: {
            prompt_tokens: 3,
            completion_tokens: 4,
            total_tokens: 7,
            prompt_tokens_details: { cached_tokens: 0 },
            completion_tokens_details: { reasoning_tokens: 0 },
          },
        }),
      },
      { type: 'done' },
    ]);
  });

  it('gives the same events wherever the bytes split (CRLF separators and multi-byte characters included)', () => {
    const bytes = fixtureBytes('gemini-stream-text.sse');
    const whole = decode(bytes, []);
    for (const cuts of everySplit(bytes)) expect(decode(bytes, cuts)).toEqual(whole);
  });

  it('sends each whole function call as a complete tool-call delta with its own index, and finishes with tool_calls', () => {
    const bytes = fixtureBytes('gemini-stream-tool.sse');
    const events = decode(bytes, []);
    expect(choicesOf(events)).toEqual([
      { index: 0, delta: { content: 'Checking. ', role: 'assistant' }, finish_reason: null },
      {
        index: 0,
        delta: {
          tool_calls: [
            { index: 0, id: 'call_gen1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
            { index: 1, id: 'call_gen2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Bergen"}' } },
          ],
        },
        finish_reason: 'tool_calls',
      },
    ]);
    expect(events.at(-1)).toEqual({ type: 'done' });
    for (const cuts of everySplit(bytes).slice(0, 200)) expect(decode(bytes, cuts)).toEqual(events);
  });

  it('turns an error event into a chunk carrying error, and reports no done afterwards', () => {
    const events = decode(fixtureBytes('gemini-stream-error.sse'), []);
    expect(textOf(events)).toBe('Part');
    expect(chunks(events).at(-1)).toMatchObject({
      choices: [],
      error: { code: 503, status: 'UNAVAILABLE', message: 'The model is overloaded. Please try again later.' },
    });
    expect(events.some((event) => event.type === 'done')).toBe(false);
  });

  it('reports no done when the stream is cut before a finishReason', () => {
    const bytes = fixtureBytes('gemini-stream-text.sse');
    const cut = bytes.subarray(0, bytes.indexOf('"finishReason"'));
    const events = decode(cut, []);
    expect(textOf(events)).toBe('Hello, wörld');
    expect(events.some((event) => event.type === 'done')).toBe(false);
  });

  it('reports a prompt blocked outright as content_filter', () => {
    const blocked = Buffer.from(
      'data: {"promptFeedback":{"blockReason":"SAFETY"},"usageMetadata":{"promptTokenCount":4}}\r\n\r\n',
    );
    const events = decode(blocked, [], 'gemini');
    expect(choicesOf(events)).toEqual([{ index: 0, delta: {}, finish_reason: 'content_filter' }]);
    expect(events.at(-1)).toEqual({ type: 'done' });
  });

  it('passes a malformed data line on as malformed', () => {
    const events = decode(Buffer.from('data: {"candidates": [\n\n'), [], 'gemini');
    expect(events).toEqual([{ type: 'malformed', reason: 'data is not valid JSON' }]);
  });
});

describe('Claude stream (streamRawPredict)', () => {
  it('turns text deltas into content, ping into a comment, and ends with finish_reason, usage and done', () => {
    const events = decode(fixtureBytes('claude-stream-text.sse'), []);
    expect(events).toEqual([
      { type: 'comment' },
      {
        type: 'chunk',
        chunk: {
          id: 'msg_vrtx_s1',
          object: 'chat.completion.chunk',
          created: 1_700_000_000,
          model: 'claude-sonnet-4-5-20250929',
          choices: [{ index: 0, delta: { content: 'Hi', role: 'assistant' }, finish_reason: null }],
        },
      },
      {
        type: 'chunk',
        chunk: expect.objectContaining({ choices: [{ index: 0, delta: { content: ' thére' }, finish_reason: null }] }),
      },
      { type: 'chunk', chunk: expect.objectContaining({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }) },
      {
        type: 'chunk',
        chunk: expect.objectContaining({
          choices: [],
          usage: { prompt_tokens: 14, completion_tokens: 5, total_tokens: 19, prompt_tokens_details: { cached_tokens: 4 } },
        }),
      },
      { type: 'done' },
    ]);
  });

  it('gives the same events wherever the bytes split', () => {
    const bytes = fixtureBytes('claude-stream-text.sse');
    const whole = decode(bytes, []);
    for (const cuts of everySplit(bytes)) expect(decode(bytes, cuts)).toEqual(whole);
  });

  it('streams tool_use blocks as tool-call heads and argument fragments indexed per tool call', () => {
    const bytes = fixtureBytes('claude-stream-tool.sse');
    const events = decode(bytes, []);
    expect(choicesOf(events)).toEqual([
      { index: 0, delta: { content: 'Checking both.', role: 'assistant' }, finish_reason: null },
      {
        index: 0,
        delta: {
          tool_calls: [{ index: 0, id: 'toolu_vrtx_A', type: 'function', function: { name: 'get_weather', arguments: '' } }],
        },
        finish_reason: null,
      },
      { index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '{"city": "Os' } }] }, finish_reason: null },
      { index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: 'lo"}' } }] }, finish_reason: null },
      {
        index: 0,
        delta: {
          tool_calls: [{ index: 1, id: 'toolu_vrtx_B', type: 'function', function: { name: 'get_time', arguments: '' } }],
        },
        finish_reason: null,
      },
      { index: 0, delta: { tool_calls: [{ index: 1, function: { arguments: '{"zone":"UTC"}' } }] }, finish_reason: null },
      { index: 0, delta: {}, finish_reason: 'tool_calls' },
    ]);
    expect(chunks(events).at(-1)).toMatchObject({ usage: { prompt_tokens: 400, completion_tokens: 71 } });
    expect(events.at(-1)).toEqual({ type: 'done' });
    for (const cuts of everySplit(bytes).slice(0, 300)) expect(decode(bytes, cuts)).toEqual(events);
  });

  it('turns an error event into a chunk carrying error, with no done', () => {
    const events = decode(fixtureBytes('claude-stream-error.sse'), []);
    expect(textOf(events)).toBe('Hi');
    expect(chunks(events).at(-1)).toMatchObject({ choices: [], error: { type: 'overloaded_error', message: 'Overloaded' } });
    expect(events.some((event) => event.type === 'done')).toBe(false);
  });

  it('emits nothing for message_start, so an error right after it leaves the attempt free to fall back', () => {
    const bytes = fixtureBytes('claude-stream-error.sse');
    const head = bytes.subarray(0, bytes.indexOf('event: content_block_start'));
    expect(decode(head, [])).toEqual([]);
  });

  it('reports no done when cut before message_stop', () => {
    const bytes = fixtureBytes('claude-stream-text.sse');
    const events = decode(bytes.subarray(0, bytes.indexOf('event: message_stop')), []);
    expect(events.some((event) => event.type === 'done')).toBe(false);
  });
});

describe('VertexStreamDecoder family detection', () => {
  it('tells Claude from Gemini by the first data object when no family is given', () => {
    expect(textOf(decode(fixtureBytes('claude-stream-text.sse'), [], null))).toBe('Hi thére');
    expect(textOf(decode(fixtureBytes('gemini-stream-text.sse'), [], null))).toBe('Hello, wörld!');
  });
});
