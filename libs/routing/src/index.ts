export * from './routing.types';
export * from './model-name.parser';
export * from './alias.rewriter';
export * from './alias-rules.validator';
export * from './provider-name.normalizer';
export * from './attempt.planner';
