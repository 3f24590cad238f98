export * from './accounts.schema';
export * from './keys.schema';
export * from './errors.schema';
export * from './provider-keys.schema';
export * from './vault.schema';
export * from './chat.schema';
export * from './admin.schema';
export * from './views.schema';
