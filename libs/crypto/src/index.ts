export * from './crypto.module';
export * from './encryption-keys';
export * from './secret-cipher';
