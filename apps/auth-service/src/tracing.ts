/**
 * OpenTelemetry tracing, started before anything else is loaded: the instrumentations patch
 * `http`, `express`, `pg` and `ioredis` as they are first required, so this module must be
 * the entry point's first import. It does nothing unless OTEL_EXPORTER_OTLP_ENDPOINT is set,
 * and only then loads the SDK (`tracing-sdk.ts`).
 */
import { AppConfig, loadAppConfig, loadDotenvForDevelopment } from '@app/config';

export interface Tracing {
  /** Sends the spans still buffered and stops exporting. */
  shutdown(): Promise<void>;
}

export function startTracing(config: AppConfig): Tracing | undefined {
  const endpoint = config.observability.otlpEndpoint;
  if (!endpoint) return undefined;
  // Loaded synchronously, before the modules it instruments; an import() would come too late.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sdk = require('./tracing-sdk') as typeof import('./tracing-sdk');

  return sdk.startExporting(config, endpoint);
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
