import { answerDeltas, planAnswer, splitText } from './answer';
import { readChatRequest, type ChatRequestView } from './chat-request';

function view(body: unknown): ChatRequestView {
  const read = readChatRequest(body);
  if (!read.ok) throw new Error(read.message);
  return read.view;
}

const tools = [{ type: 'function', function: { name: 'get_weather', parameters: {} } }];

describe('planAnswer', () => {
  it('echoes the last user message, text parts joined', () => {
    const sut = planAnswer(
      view({
        messages: [
          { role: 'user', content: 'first' },
          { role: 'assistant', content: 'ok' },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'second' },
              { type: 'image_url', image_url: { url: 'x' } },
              { type: 'text', text: 'part' },
            ],
          },
        ],
      }),
      {},
      'call_1',
    );
    expect(sut).toMatchObject({ kind: 'text', content: 'Echo: second part', finishReason: 'stop' });
  });

  it('calls the first tool for a weather question, a named tool when forced, none when tool_choice is none', () => {
    const weather = [{ role: 'user', content: 'Weather in Paris?' }];
    expect(planAnswer(view({ messages: weather, tools }), {}, 'call_1')).toMatchObject({
      kind: 'tool',
      toolCall: { id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
      finishReason: 'tool_calls',
    });
    expect(
      planAnswer(
        view({
          messages: [{ role: 'user', content: 'hi' }],
          tools,
          tool_choice: { type: 'function', function: { name: 'other' } },
        }),
        {},
        'c',
      ),
    ).toMatchObject({
      kind: 'tool',
      toolCall: { name: 'other' },
    });
    expect(planAnswer(view({ messages: weather, tools, tool_choice: 'none' }), {}, 'c').kind).toBe('text');
    expect(planAnswer(view({ messages: [{ role: 'user', content: 'weatherman' }], tools }), {}, 'c').kind).toBe('text');
  });

  it('answers JSON modes with {"ok":true}, and scripted content beats everything', () => {
    const messages = [{ role: 'user', content: 'weather as JSON' }];
    expect(planAnswer(view({ messages, response_format: { type: 'json_object' } }), {}, 'c')).toMatchObject({
      content: '{"ok":true}',
    });
    expect(planAnswer(view({ messages, tools }), { content: 'fixed' }, 'c')).toMatchObject({ kind: 'text', content: 'fixed' });
  });

  it('rejects bodies without messages', () => {
    expect(readChatRequest({ model: 'x' }).ok).toBe(false);
    expect(readChatRequest('nope').ok).toBe(false);
  });
});

describe('splitText and answerDeltas', () => {
  it.each(['Echo: hello world', 'x', 'single', '  spaced  out  ', '{"ok":true}'])('splits %j losslessly', (text) => {
    expect(splitText(text).join('')).toBe(text);
  });

  it('splits into several pieces where it can', () => {
    expect(splitText('Echo: hello world')).toEqual(['Echo: ', 'hello ', 'world']);
    expect(splitText('single')).toHaveLength(2);
    expect(splitText('')).toEqual([]);
  });

  it('streams a tool call as a head fragment with id and name, then argument fragments', () => {
    const answer = planAnswer(view({ messages: [{ role: 'user', content: 'weather' }], tools }), {}, 'call_9');
    const { pieces } = answerDeltas(answer);
    const args = pieces
      .slice(1)
      .map((piece) => (piece['tool_calls'] as { function: { arguments: string } }[])[0]?.function.arguments ?? '')
      .join('');
    expect(pieces[0]).toEqual({
      tool_calls: [{ index: 0, id: 'call_9', type: 'function', function: { name: 'get_weather', arguments: '' } }],
    });
    expect(args).toBe('{"city":"Paris"}');
  });
});
