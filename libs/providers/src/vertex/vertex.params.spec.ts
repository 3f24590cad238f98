import { chatRequestBody } from '@gw/contracts';
import { vertexDroppedParams, vertexSupportedParams } from './vertex.params';

describe('vertex parameters', () => {
  it('tells Gemini from Claude parameter sets by model id', () => {
    expect(vertexSupportedParams('gemini-2.5-flash').has('response_format')).toBe(true);
    expect(vertexSupportedParams('gemini-2.5-flash').has('parallel_tool_calls')).toBe(false);
    expect(vertexSupportedParams('claude-3-5-haiku@20241022').has('parallel_tool_calls')).toBe(true);
    expect(vertexSupportedParams('claude-3-5-haiku@20241022').has('response_format')).toBe(false);
    expect(vertexSupportedParams('claude-3-5-haiku@20241022').has('seed')).toBe(false);
  });

  it('lists the parameters a request sets that the model does not take', () => {
    const request = chatRequestBody.parse({
      messages: [{ role: 'user', content: 'x' }],
      temperature: 0.5,
      seed: 3,
      logprobs: true,
      min_p: 0.1,
      parallel_tool_calls: false,
      response_format: { type: 'json_object' },
      stop: null,
    });
    expect(vertexDroppedParams(request, 'gemini-2.5-pro').sort()).toEqual(['logprobs', 'min_p', 'parallel_tool_calls']);
    expect(vertexDroppedParams(request, 'claude-sonnet-4@20250514').sort()).toEqual([
      'logprobs',
      'min_p',
      'response_format',
      'seed',
    ]);
  });

  it('does not count response_format text, which asks for nothing', () => {
    const request = chatRequestBody.parse({ messages: [{ role: 'user', content: 'x' }], response_format: { type: 'text' } });
    expect(vertexDroppedParams(request, 'claude-sonnet-4@20250514')).toEqual([]);
  });
});
