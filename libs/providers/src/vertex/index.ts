export { VertexAdapter, type VertexAdapterOptions } from './vertex.adapter';
export {
  type TokenHttpClient,
  type TokenHttpResponse,
  transportTokenHttp,
  type VertexAccessTokens,
  VertexTokenProvider,
  type VertexTokenProviderOptions,
} from './vertex-token.provider';
export {
  DEFAULT_VERTEX_REGION,
  type VertexCredential,
  vertexCredentialFromSecret,
  type VertexCredentialOptions,
} from './vertex.credential';
export { CLAUDE_PARAMS, GEMINI_PARAMS, vertexDroppedParams, vertexSupportedParams } from './vertex.params';
export { type VertexFamily, type VertexModel, vertexModel, vertexOrigin, vertexUrl } from './vertex.url';
export { classifyVertexError } from './vertex.errors';
export { VertexStreamDecoder } from './vertex.stream';
export {
  ASSERTION_LIFETIME_SECONDS,
  CLOUD_PLATFORM_SCOPE,
  JWT_BEARER_GRANT_TYPE,
  serviceAccountAssertion,
} from './service-account.jwt';
export { CLAUDE_DEFAULT_MAX_TOKENS, VERTEX_ANTHROPIC_VERSION } from './claude.translate';
