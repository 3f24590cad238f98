export * from './redis';
export * from './redis.module';
export * from './jobs';
export * from './job-runner';
export * from './rate-limiter';
export * from './redis-batch';
