export * from './accounts.schema';
export * from './keys.schema';
export * from './errors.schema';
