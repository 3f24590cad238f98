import type { JsonObject, ProviderCredential } from '../provider.types';

/** The credential variant the Bedrock adapter takes. */
export type BedrockCredential = Extract<ProviderCredential, { provider: 'bedrock' }>;

/** Image formats Converse accepts in an `image` block. */
export type ConverseImageFormat = 'png' | 'jpeg' | 'gif' | 'webp';

/** Document formats Converse accepts in a `document` block. */
export type ConverseDocumentFormat = 'pdf' | 'csv' | 'doc' | 'docx' | 'xls' | 'xlsx' | 'html' | 'txt' | 'md';

export interface ConverseTextBlock {
  readonly text: string;
}

export interface ConverseImageBlock {
  readonly image: { readonly format: ConverseImageFormat; readonly source: { readonly bytes: string } };
}

export interface ConverseDocumentBlock {
  readonly document: {
    readonly format: ConverseDocumentFormat;
    readonly name: string;
    readonly source: { readonly bytes: string };
  };
}

export interface ConverseToolUseBlock {
  readonly toolUse: { readonly toolUseId: string; readonly name: string; readonly input: unknown };
}

/** What a `toolResult` may hold; OpenAI tool messages only ever produce text and images. */
export type ConverseToolResultContent = ConverseTextBlock | ConverseImageBlock;

export interface ConverseToolResultBlock {
  readonly toolResult: {
    readonly toolUseId: string;
    readonly content: readonly ConverseToolResultContent[];
    readonly status: 'success' | 'error';
  };
}

/** The content blocks the gateway sends (one key per block, as Converse requires). */
export type ConverseContentBlock =
  ConverseTextBlock | ConverseImageBlock | ConverseDocumentBlock | ConverseToolUseBlock | ConverseToolResultBlock;

export type ConverseRole = 'user' | 'assistant';

export interface ConverseMessage {
  readonly role: ConverseRole;
  readonly content: readonly ConverseContentBlock[];
}

export interface ConverseToolSpec {
  readonly toolSpec: {
    readonly name: string;
    readonly description?: string;
    readonly inputSchema: { readonly json: unknown };
  };
}

export type ConverseToolChoice =
  | { readonly auto: Record<string, never> }
  | { readonly any: Record<string, never> }
  | { readonly tool: { readonly name: string } };

export interface ConverseInferenceConfig {
  readonly maxTokens?: number;
  readonly temperature?: number;
  readonly topP?: number;
  readonly stopSequences?: readonly string[];
}

/** The body of `POST /model/{modelId}/converse` and `/converse-stream` (the model rides in the path). */
export interface ConverseRequest {
  readonly messages: readonly ConverseMessage[];
  readonly system?: readonly ConverseTextBlock[];
  readonly inferenceConfig?: ConverseInferenceConfig;
  readonly toolConfig?: { readonly tools: readonly ConverseToolSpec[]; readonly toolChoice?: ConverseToolChoice };
  readonly additionalModelRequestFields?: JsonObject;
}

/** Every `stopReason` Converse documents. */
export const CONVERSE_STOP_REASONS = [
  'end_turn',
  'tool_use',
  'max_tokens',
  'stop_sequence',
  'guardrail_intervened',
  'content_filtered',
  'malformed_model_output',
  'malformed_tool_use',
  'model_context_window_exceeded',
] as const;
export type ConverseStopReason = (typeof CONVERSE_STOP_REASONS)[number];

/** The `usage` object of a Converse response and of a stream's `metadata` event. */
export interface ConverseUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly totalTokens?: number;
  readonly cacheReadInputTokens?: number;
  readonly cacheWriteInputTokens?: number;
}
