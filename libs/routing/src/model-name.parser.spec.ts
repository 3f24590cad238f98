import { MAX_MODEL_NAME_LENGTH, parseModelName } from './model-name.parser';

describe('parseModelName: names', () => {
  it.each([
    ['openai/gpt-4o', { kind: 'catalog', id: 'openai/gpt-4o', params: {} }],
    ['meta-llama/llama-3-8b-instruct:free', { kind: 'catalog', id: 'meta-llama/llama-3-8b-instruct:free', params: {} }],
    ['openrouter/auto', { kind: 'catalog', id: 'openrouter/auto', params: {} }],
    ['gpt-4o', { kind: 'catalog', id: 'gpt-4o', params: {} }],
    [
      'openrouter:anthropic/claude-3.5-sonnet',
      { kind: 'forced', provider: 'openrouter', upstreamModel: 'anthropic/claude-3.5-sonnet', params: {} },
    ],
    ['openrouter-openai/gpt-4o', { kind: 'forced', provider: 'openrouter', upstreamModel: 'openai/gpt-4o', params: {} }],
    [
      'openrouter:some-slug-without-vendor',
      { kind: 'forced', provider: 'openrouter', upstreamModel: 'some-slug-without-vendor', params: {} },
    ],
    ['azure:gpt-4o', { kind: 'forced', provider: 'azure', upstreamModel: 'gpt-4o', params: {} }],
    [
      'bedrock:anthropic.claude-3-5-sonnet-20240620-v1:0',
      { kind: 'forced', provider: 'bedrock', upstreamModel: 'anthropic.claude-3-5-sonnet-20240620-v1:0', params: {} },
    ],
    [
      'bedrock:arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-sonnet-20240620-v1:0',
      {
        kind: 'forced',
        provider: 'bedrock',
        upstreamModel: 'arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-sonnet-20240620-v1:0',
        params: {},
      },
    ],
    ['vertex:gemini-1.5-pro', { kind: 'forced', provider: 'vertex', upstreamModel: 'gemini-1.5-pro', params: {} }],
    [
      'vertex:claude-3-5-sonnet@20240620',
      { kind: 'forced', provider: 'vertex', upstreamModel: 'claude-3-5-sonnet@20240620', params: {} },
    ],
    ['AZURE:gpt-4o', { kind: 'forced', provider: 'azure', upstreamModel: 'gpt-4o', params: {} }],
    ['Bedrock:Model.X', { kind: 'forced', provider: 'bedrock', upstreamModel: 'Model.X', params: {} }],
  ])('%s', (name, expected) => {
    expect(parseModelName(name)).toEqual(expected);
  });
});

describe('parseModelName: URI params', () => {
  it.each([
    ['openrouter:anthropic/claude-3.5-sonnet?temperature=0.7&top_p=0.9', { temperature: 0.7, top_p: 0.9 }],
    ['openai/gpt-4o?max_tokens=100&seed=-3', { max_tokens: 100, seed: -3 }],
    ['openai/gpt-4o?logprobs=true&stream=false', { logprobs: true, stream: false }],
    ['openai/gpt-4o?flag=True&stop=END', { flag: 'True', stop: 'END' }],
    ['openai/gpt-4o?logprobs', { logprobs: true }],
    ['openai/gpt-4o?stop=', { stop: '' }],
    ['openai/gpt-4o?stop=%0A%0A&user=a%20b', { stop: '\n\n', user: 'a b' }],
    ['openai/gpt-4o?user=a+b&x=1e+2', { user: 'a+b', x: 100 }],
    ['openai/gpt-4o?temperature=0.1&temperature=0.2', { temperature: 0.2 }],
    [
      'openai/gpt-4o?a=1e3&b=.5&c=1.&d=0x10&e=Infinity&f=NaN&g=1e999',
      { a: 1000, b: 0.5, c: 1, d: '0x10', e: 'Infinity', f: 'NaN', g: '1e999' },
    ],
    ['openai/gpt-4o?', {}],
    ['openai/gpt-4o?&&top_k=5&', { top_k: 5 }],
    ['openai/gpt-4o?stop=a=b', { stop: 'a=b' }],
  ])('%s', (name, params) => {
    const sut = parseModelName(name);
    expect(sut.kind === 'invalid' ? sut.error : sut.params).toEqual(params);
  });

  it('keeps the name and the params apart', () => {
    expect(parseModelName('bedrock:anthropic.claude-3-5-sonnet-20240620-v1:0?temperature=0')).toEqual({
      kind: 'forced',
      provider: 'bedrock',
      upstreamModel: 'anthropic.claude-3-5-sonnet-20240620-v1:0',
      params: { temperature: 0 },
    });
  });

  it('returns params as own properties with no prototype tricks', () => {
    const sut = parseModelName('openai/gpt-4o?constructor=1');
    expect(sut.kind === 'catalog' && Object.keys(sut.params)).toEqual(['constructor']);
  });
});

describe('parseModelName: garbage is a 400 naming the field', () => {
  it.each([
    ['', 'empty'],
    ['   ', 'whitespace'],
    ['openai/gpt 4o', 'whitespace'],
    [' openai/gpt-4o', 'whitespace'],
    ['openai/gpt-4o\u0000', 'control'],
    ['azure:', 'must be followed'],
    ['openrouter-', 'must be followed'],
    ['bedrock:?temperature=1', 'must be followed'],
    ['?temperature=1', 'nothing before'],
    ['/gpt-4o', 'vendor/model'],
    ['openai/', 'vendor/model'],
    ['openai//gpt-4o', 'vendor/model'],
    ['openai/gpt-4o?=1', 'parameter name'],
    ['openai/gpt-4o?1a=2', 'parameter name'],
    ['openai/gpt-4o?top-p=2', 'parameter name'],
    ['openai/gpt-4o?__proto__=1', 'parameter name'],
    ['openai/gpt-4o?a%ZZ=1', 'parameter name'],
    ['openai/gpt-4o?stop=%E0%A4%A', 'percent-encoding'],
    [`openai/${'x'.repeat(MAX_MODEL_NAME_LENGTH)}`, 'longer than'],
  ])('%j', (name, fragment) => {
    const sut = parseModelName(name);
    expect(sut.kind).toBe('invalid');
    expect(sut.kind === 'invalid' && sut.error).toEqual({
      kind: 'bad_request',
      field: 'model',
      message: expect.stringContaining(fragment),
    });
  });

  it('names the field it was given', () => {
    const sut = parseModelName('azure:', 'models.2');
    expect(sut.kind === 'invalid' && sut.error.field).toBe('models.2');
  });
});
