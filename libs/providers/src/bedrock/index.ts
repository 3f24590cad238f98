// The public surface, named explicitly: other provider folders export helpers with generic names.
export { BedrockAdapter, type BedrockAdapterOptions } from './bedrock.adapter';
export { bedrockCredentialFromSecret, DEFAULT_BEDROCK_REGION } from './bedrock.credential';
export { bedrockErrorName, classifyBedrockError } from './bedrock-error.classify';
export {
  BEDROCK_SIGNING_SERVICE,
  bedrockBaseUrl,
  conversePath,
  encodeBedrockModelId,
  signBedrockSigV4,
  type BedrockSigV4Input,
} from './bedrock-request.signer';
export {
  bedrockDroppedParams,
  bedrockSupportedParams,
  isBedrockAnthropicModel,
  toConverseRequest,
  type BedrockDroppedParam,
  type ConverseTranslation,
} from './bedrock-request.translate';
export { bedrockFinishReason, fromConverseResponse, usageFromConverse } from './bedrock-response.translate';
export { BedrockStreamDecoder } from './bedrock-stream.decoder';
export type { BedrockCredential, ConverseRequest, ConverseStopReason } from './bedrock-wire.types';
