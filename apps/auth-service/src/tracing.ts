/**
 * OpenTelemetry tracing, started before anything else is loaded: the instrumentations patch
 * `http`, `express`, `pg` and `ioredis` as they are first required, so this module must be
 * the entry point's first import. It does nothing unless OTEL_EXPORTER_OTLP_ENDPOINT is set.
 */
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { AppConfig, loadAppConfig, loadDotenvForDevelopment } from '@app/config';

/** Probes and scrapes arrive every few seconds and would drown the traces that matter. */
const UNTRACED_PATHS = new Set(['/health', '/health/live', '/health/ready', '/metrics']);

export interface Tracing {
  /** Sends the spans still buffered and stops exporting. */
  shutdown(): Promise<void>;
}

export function startTracing(config: AppConfig): Tracing | undefined {
  const endpoint = config.observability.otlpEndpoint;
  if (!endpoint) return undefined;

  const provider = new TracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.observability.serviceName }),
    spanProcessors: [
      new BatchSpanProcessor({
        exporter: new OTLPTraceExporter({ url: `${endpoint.replace(/\/+$/, '')}/v1/traces` }),
      }),
    ],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) =>
          UNTRACED_PATHS.has((request.url ?? '').split('?')[0]),
      }),
      new ExpressInstrumentation(),
      new PgInstrumentation(),
      new IORedisInstrumentation(),
    ],
  });

  return { shutdown: () => provider.shutdown() };
}

/**
 * Started from the same validated configuration the service reads next. An invalid one
 * starts no tracing here; the entry point then reports it and exits.
 */
function startFromEnvironment(): Tracing | undefined {
  loadDotenvForDevelopment();
  try {
    return startTracing(loadAppConfig());
  } catch {
    return undefined;
  }
}

export const tracing = startFromEnvironment();
