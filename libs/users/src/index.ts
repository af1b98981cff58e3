export * from './bounded-concurrency';
export * from './email';
export * from './password-hasher.service';
export * from './password-policy';
export * from './user.entity';
export * from './users.exception';
export * from './users.module';
export * from './users.service';
