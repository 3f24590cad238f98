export * from './azure/azure.adapter';
export * from './bedrock';
export * from './openai-compatible';
export * from './openrouter/openrouter.adapter';
export * from './provider.types';
export * from './sse/sse-decoder';
export * from './transport/upstream-transport';
export * from './vertex';
