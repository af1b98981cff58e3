export * from './app-config';
export * from './config.module';
export * from './dotenv';
export { ENVIRONMENT_VARIABLES } from './environment-variables';
export * from './jwt-keys';
export * from './redis-config';
