import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { classifyVertexError } from './vertex.errors';

function fixture(name: string): unknown {
  return JSON.parse(readFileSync(join(__dirname, '__fixtures__', name), 'utf8'));
}

describe('classifyVertexError', () => {
  it.each([
    ['vertex-400.error.json', 400, 'client'],
    ['vertex-401.error.json', 401, 'auth'],
    ['vertex-403.error.json', 403, 'auth'],
    ['vertex-404.error.json', 404, 'not_found'],
    ['vertex-429.error.json', 429, 'rate_limited'],
    ['vertex-500.error.json', 500, 'server'],
    ['vertex-503.error.json', 503, 'server'],
    ['vertex-504.error.json', 504, 'timeout'],
    ['vertex-stream-array.error.json', 429, 'rate_limited'],
    ['claude-overloaded.error.json', 529, 'server'],
    ['claude-rate-limit.error.json', 429, 'rate_limited'],
    ['claude-invalid-request.error.json', 400, 'client'],
  ])('%s (HTTP %d) is %s', (name, status, kind) => {
    expect(classifyVertexError(status, fixture(name), {}).kind).toBe(kind);
  });

  it('lets the body status decide over the HTTP status', () => {
    const body = { error: { code: 400, message: 'Billing is disabled', status: 'FAILED_PRECONDITION' } };
    expect(classifyVertexError(400, body, {})).toEqual({
      kind: 'client',
      status: 400,
      message: 'Billing is disabled',
      retryAfterSeconds: null,
      body,
    });
    expect(classifyVertexError(400, { error: { status: 'RESOURCE_EXHAUSTED', message: 'quota' } }, {}).kind).toBe('rate_limited');
  });

  it('falls back to the HTTP status for bodies it cannot read', () => {
    expect(classifyVertexError(502, '<html>Bad Gateway</html>', {})).toMatchObject({
      kind: 'server',
      message: '<html>Bad Gateway</html>',
    });
    expect(classifyVertexError(504, null, {})).toMatchObject({ kind: 'timeout', message: 'upstream error' });
    expect(classifyVertexError(404, {}, {}).kind).toBe('not_found');
    expect(classifyVertexError(418, null, {}).kind).toBe('client');
  });

  it('reads the wait from Retry-After, else from google.rpc.RetryInfo', () => {
    const body = fixture('vertex-429.error.json');
    expect(classifyVertexError(429, body, {})).toMatchObject({
      retryAfterSeconds: 28,
      message: expect.stringContaining('Resource exhausted'),
    });
    expect(classifyVertexError(429, body, { 'retry-after': '3' }).retryAfterSeconds).toBe(3);
  });

  it('keeps the body only for client errors, which go back to the caller as they are', () => {
    expect(classifyVertexError(500, fixture('vertex-500.error.json'), {})).not.toHaveProperty('body');
    expect(classifyVertexError(400, fixture('vertex-400.error.json'), {}).body).toEqual(fixture('vertex-400.error.json'));
  });
});
