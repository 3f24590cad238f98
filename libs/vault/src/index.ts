export * from './recovery-key';
export * from './sodium';
export * from './vault-crypto';
export * from './vault-error';
