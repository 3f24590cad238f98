import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StreamEvent } from '../provider.types';
import { BedrockStreamDecoder } from './bedrock-stream.decoder';

/** Recorded ConverseStream bodies, one event-stream frame per hex line. */
function frames(name: string): Buffer[] {
  return readFileSync(join(__dirname, '__fixtures__', name), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => Buffer.from(line.trim(), 'hex'));
}

function body(name: string): Buffer {
  return Buffer.concat(frames(name));
}

const identity = { id: 'chatcmpl-bedrock-1', created: 1_730_000_000, model: 'm' };

function decode(pieces: readonly Buffer[]): StreamEvent[] {
  const sut = new BedrockStreamDecoder(identity);
  return [...pieces.flatMap((piece) => sut.push(piece)), ...sut.end()];
}

/** Splits at the given offsets. */
function splitAt(bytes: Buffer, offsets: readonly number[]): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (const offset of [...offsets].sort((a, b) => a - b)) {
    out.push(bytes.subarray(start, offset));
    start = offset;
  }
  out.push(bytes.subarray(start));
  return out;
}

function chunks(events: readonly StreamEvent[]): Record<string, unknown>[] {
  return events.flatMap((event) => (event.type === 'chunk' ? [event.chunk] : []));
}

function deltas(events: readonly StreamEvent[]): unknown[] {
  return chunks(events).flatMap((chunk) => (chunk['choices'] as { delta: unknown }[]).map((choice) => choice.delta));
}

describe('BedrockStreamDecoder', () => {
  it('decodes the reference test vector (messageStop) into a finish chunk', () => {
    const vector = Buffer.from(readFileSync(join(__dirname, '__fixtures__', 'message-stop.reference.hex'), 'utf8').trim(), 'hex');

    const events = decode([vector]);

    expect(events).toEqual([
      {
        type: 'chunk',
        chunk: {
          id: 'chatcmpl-bedrock-1',
          object: 'chat.completion.chunk',
          created: 1_730_000_000,
          model: 'm',
          choices: [{ index: 0, delta: {}, finish_reason: 'stop', native_finish_reason: 'end_turn', logprobs: null }],
        },
      },
      // messageStop without metadata still completes the answer.
      { type: 'done' },
    ]);
  });

  it('turns a recorded text stream into a role chunk, content deltas, a finish chunk, a usage chunk and done', () => {
    const events = decode([body('converse-stream-text.hex')]);

    expect(deltas(events)).toEqual([
      { role: 'assistant', content: '' },
      { content: 'Hel' },
      { content: 'lo from ' },
      { content: 'Oslo!' },
      {},
    ]);
    const all = chunks(events);
    expect(all[4]?.['choices']).toEqual([
      { index: 0, delta: {}, finish_reason: 'stop', native_finish_reason: 'end_turn', logprobs: null },
    ]);
    expect(all[5]).toEqual({
      id: 'chatcmpl-bedrock-1',
      object: 'chat.completion.chunk',
      created: 1_730_000_000,
      model: 'm',
      choices: [],
      usage: {
        prompt_tokens: 10,
        completion_tokens: 5,
        total_tokens: 15,
        prompt_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
      },
    });
    expect(events[events.length - 1]).toEqual({ type: 'done' });
    expect(events.filter((event) => event.type === 'done')).toHaveLength(1);
  });

  it('turns a recorded tool-use stream into OpenAI tool_call deltas (index, id, name, argument fragments)', () => {
    const events = decode([body('converse-stream-tool.hex')]);

    expect(deltas(events)).toEqual([
      { role: 'assistant', content: '' },
      { content: 'Checking.' },
      {
        tool_calls: [
          { index: 0, id: 'tooluse_kZJMlvQmRJ6eAyJE5GIl7Q', type: 'function', function: { name: 'get_weather', arguments: '' } },
        ],
      },
      { tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '"Oslo"}' } }] },
      {},
    ]);
    const finish = chunks(events).find((chunk) => (chunk['choices'] as { finish_reason: unknown }[])[0]?.finish_reason !== null);
    expect(finish?.['choices']).toEqual([
      expect.objectContaining({ finish_reason: 'tool_calls', native_finish_reason: 'tool_use' }),
    ]);
    expect(chunks(events).at(-1)?.['usage']).toEqual(expect.objectContaining({ prompt_tokens: 380, completion_tokens: 54 }));
  });

  it('gives the same events whatever the byte boundaries: every single split point, and one byte at a time', () => {
    const bytes = body('converse-stream-tool.hex');
    const whole = decode([bytes]);

    for (let offset = 1; offset < bytes.length; offset++) {
      expect(decode(splitAt(bytes, [offset]))).toEqual(whole);
    }
    expect(decode([...bytes].map((byte) => Buffer.from([byte])))).toEqual(whole);
  });

  it('gives the same events for many random multi-way splits', () => {
    const bytes = body('converse-stream-text.hex');
    const whole = decode([bytes]);
    let seed = 12345;
    const random = (limit: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % limit;
    };

    for (let round = 0; round < 200; round++) {
      const offsets = Array.from({ length: 1 + random(12) }, () => 1 + random(bytes.length - 1));
      expect(decode(splitAt(bytes, offsets))).toEqual(whole);
    }
  });

  it('turns an exception frame into a chunk carrying error and finish_reason "error", then stops', () => {
    const events = decode([body('converse-stream-throttled.hex'), body('converse-stream-text.hex')]);

    expect(deltas(events).slice(0, 2)).toEqual([{ role: 'assistant', content: '' }, { content: 'Hel' }]);
    const last = chunks(events).at(-1);
    expect(last?.['error']).toEqual({
      code: 429,
      type: 'throttlingException',
      message: 'Too many tokens, please wait before trying again.',
    });
    expect(last?.['choices']).toEqual([{ index: 0, delta: {}, finish_reason: 'error' }]);
    // Nothing after the exception, and no `done`: the stream failed.
    expect(chunks(events)).toHaveLength(3);
    expect(events.some((event) => event.type === 'done')).toBe(false);
  });

  it('reports a frame whose checksum fails as malformed and ignores what follows', () => {
    const [first, second, ...rest] = frames('converse-stream-text.hex');
    if (first === undefined || second === undefined) throw new Error('fixture too short');
    const corrupted = Buffer.from(second);
    corrupted[corrupted.length - 6] = (corrupted[corrupted.length - 6] ?? 0) ^ 0xff;

    const events = decode([first, corrupted, ...rest]);

    expect(events).toEqual([
      expect.objectContaining({ type: 'chunk' }),
      { type: 'malformed', reason: expect.stringContaining('checksum') },
    ]);
  });

  it('reports an absurd frame length as malformed instead of waiting for 4 GiB', () => {
    expect(decode([Buffer.from('ffffffff00000000', 'hex')])).toEqual([
      { type: 'malformed', reason: expect.stringContaining('length') },
    ]);
  });

  it('gives no done for a stream cut before messageStop, so the caller sees an early end', () => {
    const [first, second, third] = frames('converse-stream-text.hex');
    if (first === undefined || second === undefined || third === undefined) throw new Error('fixture too short');

    const events = decode([first, second, third.subarray(0, 20)]);

    expect(events.map((event) => event.type)).toEqual(['chunk', 'chunk']);
  });
});
