export * from './error-codes';
export * from './domain-error';
export * from './secret';
export * from './money';
export * from './clock';
export * from './exhaustive';
