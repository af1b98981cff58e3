export * from './account-token.entity';
export * from './auth.exception';
export * from './auth.module';
export * from './auth.service';
export * from './refresh-token.entity';
export * from './session.entity';
export * from './token.service';
