export * from './behaviour';
export * from './fake-upstream';
export * from './fake-openrouter';
export * from './fake-azure';
export * from './fake-bedrock';
export type { CompletionContext, DialectRoute, Reply, ServedModel, StreamEvent, UpstreamDialect } from './upstream-dialect';
export type { Answer, ToolCallAnswer } from './answer';
export { echoOf } from './answer';
