import { vertexFamilyOf, vertexModel, vertexOrigin, vertexUrl } from './vertex.url';

describe('vertexModel', () => {
  it.each([
    ['gemini-2.5-flash', { family: 'gemini', id: 'gemini-2.5-flash' }],
    ['claude-sonnet-4-5@20250929', { family: 'claude', id: 'claude-sonnet-4-5@20250929' }],
    ['Claude-3-haiku@20240307', { family: 'claude', id: 'Claude-3-haiku@20240307' }],
    ['anthropic/claude-opus-4-1@20250805', { family: 'claude', id: 'claude-opus-4-1@20250805' }],
    ['google/gemini-2.0-flash-001', { family: 'gemini', id: 'gemini-2.0-flash-001' }],
    ['gemma-3-27b-it', { family: 'gemini', id: 'gemma-3-27b-it' }],
  ])('%s -> %j', (model, expected) => {
    expect(vertexModel(model)).toEqual(expected);
  });

  it.each(['../../secrets', 'gemini/../x', 'meta/llama', 'gemini-2.5-flash:generateContent', 'a b', '', 'x?alt=json'])(
    'refuses %j',
    (model) => {
      expect(vertexModel(model)).toBeNull();
    },
  );

  it('still names a family for ids it refuses, for parameter lists', () => {
    expect(vertexFamilyOf('anthropic/claude bad')).toBe('claude');
    expect(vertexFamilyOf('??')).toBe('gemini');
  });
});

describe('vertexUrl', () => {
  const base = { projectId: 'acme-prod', endpointUrl: null };
  const gemini = { family: 'gemini' as const, id: 'gemini-2.5-flash' };
  const claude = { family: 'claude' as const, id: 'claude-sonnet-4-5@20250929' };

  it('uses the regional host for regions', () => {
    expect(vertexUrl({ ...base, region: 'us-central1', model: gemini, stream: false })).toBe(
      'https://us-central1-aiplatform.googleapis.com/v1/projects/acme-prod/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent',
    );
    expect(vertexUrl({ ...base, region: 'europe-west4', model: gemini, stream: true })).toBe(
      'https://europe-west4-aiplatform.googleapis.com/v1/projects/acme-prod/locations/europe-west4/publishers/google/models/gemini-2.5-flash:streamGenerateContent?alt=sse',
    );
  });

  it('uses aiplatform.googleapis.com for global, with locations/global in the path', () => {
    expect(vertexUrl({ ...base, region: 'global', model: claude, stream: false })).toBe(
      'https://aiplatform.googleapis.com/v1/projects/acme-prod/locations/global/publishers/anthropic/models/claude-sonnet-4-5@20250929:rawPredict',
    );
    expect(vertexUrl({ ...base, region: 'us-east5', model: claude, stream: true })).toBe(
      'https://us-east5-aiplatform.googleapis.com/v1/projects/acme-prod/locations/us-east5/publishers/anthropic/models/claude-sonnet-4-5@20250929:streamRawPredict',
    );
  });

  it('uses the multi-region hosts for us and eu', () => {
    expect(vertexOrigin('eu', null)).toBe('https://aiplatform.eu.rep.googleapis.com');
    expect(vertexOrigin('us', null)).toBe('https://aiplatform.us.rep.googleapis.com');
  });

  it('replaces only scheme, host and port with VERTEX_API_ENDPOINT', () => {
    expect(
      vertexUrl({
        ...base,
        endpointUrl: 'http://127.0.0.1:4010/ignored/path',
        region: 'us-central1',
        model: gemini,
        stream: true,
      }),
    ).toBe(
      'http://127.0.0.1:4010/v1/projects/acme-prod/locations/us-central1/publishers/google/models/gemini-2.5-flash:streamGenerateContent?alt=sse',
    );
  });

  it('refuses a project or region that is not one path segment', () => {
    expect(() => vertexUrl({ ...base, projectId: 'a/../b', region: 'global', model: gemini, stream: false })).toThrow(RangeError);
    expect(() => vertexUrl({ ...base, region: 'us/x', model: gemini, stream: false })).toThrow(RangeError);
  });
});
