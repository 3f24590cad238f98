export * from './error-codes';
export * from './domain-error';
export * from './secret';
export * from './money';
export * from './clock';
export * from './exhaustive';
export * from './base62';
export * from './crc32';
