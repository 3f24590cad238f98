export * from './ip-address';
export * from './upstream-url';
export * from './pinned-dispatcher';
export * from './bedrock-region';
export * from './vertex-token-uri';
