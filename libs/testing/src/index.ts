export * from './test-database';
export * from './test-redis';
export * from './reply-gate';
export * from './until';
export { ADMIN_DATABASE_URL, TEST_REDIS_URL, runId } from './jest/test-env';
export * from './canaries';
export * from './fakes';
