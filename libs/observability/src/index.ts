export * from './http-metrics';
export * from './log-fields';
export * from './logging.module';
export * from './metrics';
export * from './metrics.module';
export * from './request-id';
export * from './trace-context';
