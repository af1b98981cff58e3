import { DynamicModule, Global, Module } from '@nestjs/common';
import { AppConfig } from './app-config';

/** Injection token of the validated, typed configuration. */
export const APP_CONFIG = Symbol('APP_CONFIG');

/**
 * Provides the configuration loaded once by the entry point (or built by a test), so no other
 * code reads `process.env`.
 */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: APP_CONFIG, useValue: config }],
      exports: [APP_CONFIG],
    };
  }
}
