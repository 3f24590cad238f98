import type { StreamEvent } from '../provider.types';
import { SseDecoder } from './sse-decoder';

const STREAM = [
  ': OPENROUTER PROCESSING',
  '',
  'event: message',
  'id: 7',
  'data: {"choices":[{"delta":{"content":"héllo 👋"}}]}',
  '',
  'data:{"choices":[{"delta":{"content":" wörld"}}]}',
  '',
  'data: {"usage":{"prompt_tokens":3}}',
  '',
  'data: [DONE]',
  '',
  '',
];

const EXPECTED: StreamEvent[] = [
  { type: 'comment' },
  { type: 'chunk', chunk: { choices: [{ delta: { content: 'héllo 👋' } }] } },
  { type: 'chunk', chunk: { choices: [{ delta: { content: ' wörld' } }] } },
  { type: 'chunk', chunk: { usage: { prompt_tokens: 3 } } },
  { type: 'done' },
];

function decode(pieces: readonly Buffer[]): StreamEvent[] {
  const sut = new SseDecoder();
  return [...pieces.flatMap((piece) => sut.push(piece)), ...sut.end()];
}

describe('SseDecoder', () => {
  it.each([
    ['LF', '\n'],
    ['CRLF', '\r\n'],
  ])('decodes a stream with %s line ends split at every byte', (_name, eol) => {
    const bytes = Buffer.from(STREAM.join(eol), 'utf8');
    expect(decode([bytes])).toEqual(EXPECTED);
    for (let cut = 1; cut < bytes.length; cut++) {
      // Cuts fall inside lines, line ends and multi-byte characters alike.
      expect(decode([bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual(EXPECTED);
    }
    expect(decode([...bytes].map((byte) => Buffer.from([byte])))).toEqual(EXPECTED);
  });

  it('reports data that is not a JSON object as malformed', () => {
    const events = decode([Buffer.from('data: {not json\n\ndata: [1,2]\n\ndata: "text"\n\n')]);
    expect(events).toEqual([
      { type: 'malformed', reason: 'data is not valid JSON' },
      { type: 'malformed', reason: 'data is not an object' },
      { type: 'malformed', reason: 'data is not an object' },
    ]);
  });

  it('decodes a last line that has no line end when the body ends', () => {
    const sut = new SseDecoder();
    expect(sut.push(Buffer.from('data: {"a":1}\n\ndata: [DONE]'))).toEqual([{ type: 'chunk', chunk: { a: 1 } }]);
    expect(sut.end()).toEqual([{ type: 'done' }]);
  });
});
