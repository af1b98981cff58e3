import { Global, Module } from '@nestjs/common';
import { MetricsServer } from './http-metrics';
import { Metrics } from './metrics';

/** Provides the one `Metrics` of the application to every module, and its own listener. */
@Global()
@Module({ providers: [Metrics, MetricsServer], exports: [Metrics, MetricsServer] })
export class MetricsModule {}
