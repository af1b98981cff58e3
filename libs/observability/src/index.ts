export * from './log-fields';
export * from './logging.module';
export * from './request-id';
