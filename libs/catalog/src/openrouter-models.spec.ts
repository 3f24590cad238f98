import { parseOpenRouterModels, perTokenToMicrosPerMTok } from './openrouter-models';

describe('OpenRouter model list parsing', () => {
  it.each([
    ['0.0000025', 2_500_000n],
    ['0.00001', 10_000_000n],
    ['0', 0n],
    ['0.000000000001', 1n],
    ['0.0000000000011', 2n],
    ['1', 1_000_000_000_000n],
    [0.000003, 3_000_000n],
    ['-1', null],
    ['abc', null],
    [null, null],
  ])('prices %p USD per token as %p micro-USD per million tokens', (input, expected) => {
    expect(perTokenToMicrosPerMTok(input)).toBe(expected);
  });

  it('keeps well-formed entries and drops the rest', () => {
    const models = parseOpenRouterModels({
      data: [
        { id: 'openai/gpt-4o', name: 'GPT-4o', context_length: 128000, pricing: { prompt: '0.0000025', completion: '0.00001' } },
        { id: 'openrouter/auto', name: 'Auto', context_length: 2000000, pricing: { prompt: '-1', completion: '-1' } },
        { id: 'not a model id', pricing: {} },
        { name: 'no id' },
        'junk',
      ],
    });
    expect(models).toEqual([
      {
        id: 'openai/gpt-4o',
        name: 'GPT-4o',
        contextLength: 128000,
        promptMicrosPerMTok: 2_500_000n,
        completionMicrosPerMTok: 10_000_000n,
      },
      { id: 'openrouter/auto', name: 'Auto', contextLength: 2000000, promptMicrosPerMTok: null, completionMicrosPerMTok: null },
    ]);
  });

  it('refuses a body without a data array', () => {
    expect(() => parseOpenRouterModels({ error: 'x' })).toThrow(/data/);
  });
});
