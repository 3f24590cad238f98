import { assertNever } from '@gw/kernel';

/**
 * Which API serves a Vertex model: Google's Gemini (`generateContent`) or Anthropic's Claude
 * (`rawPredict`, the Messages API). A model id may name its publisher (`anthropic/claude-…`,
 * `google/gemini-…`); otherwise ids starting with `claude` are Anthropic's and every other id is
 * Google's, which is how Vertex's Model Garden names them (`claude-sonnet-4@20250514`, `gemini-2.5-flash`).
 */
export type VertexFamily = 'gemini' | 'claude';

export interface VertexModel {
  readonly family: VertexFamily;
  /** The id as it goes into the URL, without a publisher prefix. */
  readonly id: string;
}

const PUBLISHERS: Readonly<Record<string, VertexFamily>> = { google: 'gemini', anthropic: 'claude' };

// Model ids are one path segment (letters, digits, `.`, `_`, `-` and the `@` of versions): anything
// else could walk the URL path elsewhere, so it is refused rather than escaped.
const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,199}$/;
const PATH_VALUE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/;

/** The family and bare id of `model`, or null when it is not a usable Vertex model id. */
export function vertexModel(model: string): VertexModel | null {
  const slash = model.indexOf('/');
  let id = model;
  let family: VertexFamily | undefined;
  if (slash !== -1) {
    family = PUBLISHERS[model.slice(0, slash).toLowerCase()];
    if (family === undefined) return null;
    id = model.slice(slash + 1);
  }
  if (!MODEL_ID.test(id)) return null;
  return { family: family ?? (id.toLowerCase().startsWith('claude') ? 'claude' : 'gemini'), id };
}

/** The family a model id belongs to; ids that are not valid still get one, for parameter lists. */
export function vertexFamilyOf(model: string): VertexFamily {
  return vertexModel(model)?.family ?? (model.toLowerCase().includes('claude') ? 'claude' : 'gemini');
}

/**
 * Scheme + host of the Vertex API for `region`. `endpointUrl` (VERTEX_API_ENDPOINT) replaces only
 * the origin; the paths stay Google's.
 */
export function vertexOrigin(region: string, endpointUrl: string | null): string {
  if (endpointUrl !== null) return new URL(endpointUrl).origin;
  switch (region) {
    case 'global':
      return 'https://aiplatform.googleapis.com';
    case 'us':
    case 'eu':
      return `https://aiplatform.${region}.rep.googleapis.com`;
    default:
      return `https://${region}-aiplatform.googleapis.com`;
  }
}

export interface VertexUrlInput {
  readonly projectId: string;
  readonly region: string;
  readonly endpointUrl: string | null;
  readonly model: VertexModel;
  readonly stream: boolean;
}

/**
 * Gemini: `…/publishers/google/models/{m}:generateContent` or `:streamGenerateContent?alt=sse`
 * (without `alt=sse` Vertex streams one JSON array instead of events). Claude:
 * `…/publishers/anthropic/models/{m}:rawPredict` or `:streamRawPredict`.
 */
export function vertexUrl(input: VertexUrlInput): string {
  const { projectId, region, model } = input;
  if (!PATH_VALUE.test(projectId)) throw new RangeError('project_id is not a valid Google Cloud project id');
  if (!PATH_VALUE.test(region)) throw new RangeError('region is not a valid Google Cloud region');
  const base = `${vertexOrigin(region, input.endpointUrl)}/v1/projects/${projectId}/locations/${region}`;
  switch (model.family) {
    case 'gemini':
      return `${base}/publishers/google/models/${model.id}:${input.stream ? 'streamGenerateContent?alt=sse' : 'generateContent'}`;
    case 'claude':
      return `${base}/publishers/anthropic/models/${model.id}:${input.stream ? 'streamRawPredict' : 'rawPredict'}`;
    default:
      return assertNever(model.family, 'Vertex family');
  }
}
