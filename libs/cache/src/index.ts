export * from './cache.module';
export * from './key-value-store';
export * from './memory.store';
export * from './redis.store';
export * from './revocation-keys';
