import type { IncomingMessage, ServerResponse } from 'node:http';
import { Module, Provider } from '@nestjs/common';
import { LoggerModule, Params } from 'nestjs-pino';
import pinoPretty from 'pino-pretty';
import { HttpLogger, Options, pinoHttp } from 'pino-http';
import { APP_CONFIG, AppConfig } from '@app/config';
import { LOG_FIELDS, REDACTED_PATHS } from './log-fields';
import { assignRequestId } from './request-id';
import { currentTraceFields } from './trace-context';

const QUIET_PATHS = new Set(['/health', '/health/live', '/health/ready', '/metrics']);

interface RoutedRequest extends IncomingMessage {
  originalUrl?: string;
  route?: { path?: string };
  baseUrl?: string;
  user?: { userId?: string; organizationId?: string };
}

/**
 * The route template (`/api/v1/enterprise/auth/me`), never a query. A request no route served
 * has no template: its path is logged as is, including under Nest's splat route for unknown
 * paths in the API prefix (`...enterprise*path`), which no real route resembles.
 */
function endpointOf(request: RoutedRequest): string {
  const template = request.route?.path;
  if (template && !template.includes('*')) return `${request.baseUrl ?? ''}${template}`;

  return (request.originalUrl ?? request.url ?? '').split('?')[0];
}

function requestFields(request: RoutedRequest, response: ServerResponse, durationMs: number) {
  // request_id, trace_id and span_id are already on every line of the request (see below).
  return {
    [LOG_FIELDS.userId]: request.user?.userId,
    [LOG_FIELDS.organizationId]: request.user?.organizationId,
    [LOG_FIELDS.endpoint]: endpointOf(request),
    [LOG_FIELDS.method]: request.method,
    [LOG_FIELDS.statusCode]: response.statusCode,
    [LOG_FIELDS.durationMs]: Math.round(durationMs),
  };
}

export function buildPinoHttpOptions(config: AppConfig): Options {
  return {
    level: config.log.level,
    messageKey: LOG_FIELDS.message,
    base: { [LOG_FIELDS.service]: 'auth-service', [LOG_FIELDS.environment]: config.environment },
    timestamp: () => `,"${LOG_FIELDS.timestamp}":"${new Date().toISOString()}"`,
    formatters: { level: (label) => ({ [LOG_FIELDS.level]: label.toUpperCase() }) },
    redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
    // The id is normally assigned by the first middleware; this covers any request before it.
    genReqId: (request, response) => request.id ?? assignRequestId(request, response),
    customAttributeKeys: { reqId: LOG_FIELDS.requestId },
    // trace_id and span_id of the request being handled, on every line it logs.
    mixin: currentTraceFields,
    quietReqLogger: true,
    // The completion line carries the flat fields above, not pino-http's raw req/res dumps
    // (headers, query strings), which could hold more than the logs should.
    serializers: { req: () => undefined, res: () => undefined },
    customSuccessMessage: () => 'request completed',
    customErrorMessage: () => 'request failed',
    customSuccessObject: (request, response, value: { responseTime?: number }) =>
      requestFields(request, response, value.responseTime ?? 0),
    customErrorObject: (request, response, _error, value: { responseTime?: number }) =>
      requestFields(request, response, value.responseTime ?? 0),
    // The completion line is how a request id is traced, so every status gets one at info or
    // above, whatever LOG_LEVEL hides: a 4xx is the client's business (info), a 5xx ours (error).
    customLogLevel: (request, response, error) => {
      if (error || response.statusCode >= 500) return 'error';
      // Probes and scrapes come every few seconds: their lines are kept for failures only.
      const quiet = QUIET_PATHS.has((request.url ?? '').split('?')[0]);
      if (quiet && response.statusCode < 400) return 'silent';
      return 'info';
    },
  };
}

/**
 * The pino-http middleware: it logs every request's completion line and gives the request its
 * child logger. JSON lines on stdout in production; in development the same records
 * pretty-printed in the main thread (synchronously, so start-up output keeps its order).
 */
export const HTTP_LOGGER = Symbol('HTTP_LOGGER');

function buildHttpLogger(config: AppConfig): HttpLogger {
  const options = buildPinoHttpOptions(config);
  if (config.log.format === 'json') return pinoHttp(options);
  const pretty = pinoPretty({
    sync: true,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    messageKey: LOG_FIELDS.message,
    timestampKey: LOG_FIELDS.timestamp,
    ignore: `pid,hostname,${LOG_FIELDS.service},${LOG_FIELDS.environment}`,
  });

  return pinoHttp(options, pretty);
}

const httpLoggerProvider: Provider = {
  provide: HTTP_LOGGER,
  inject: [APP_CONFIG],
  useFactory: buildHttpLogger,
};

/**
 * nestjs-pino would mount its own pino-http as module middleware, which Nest places after the
 * Express middleware of `configureApp`: a request refused there (415, malformed or oversized
 * body) or answered by the fallbacks would never be logged. `configureApp` mounts HTTP_LOGGER
 * first instead, and nestjs-pino only binds the request's logger (`useExisting`) and logs
 * outside requests through the same pino instance.
 */
function buildLoggerParams(httpLogger: HttpLogger): Params {
  return { pinoHttp: { logger: httpLogger.logger }, useExisting: true };
}

@Module({
  imports: [
    LoggerModule.forRootAsync({
      providers: [httpLoggerProvider],
      inject: [HTTP_LOGGER],
      useFactory: buildLoggerParams,
    }),
  ],
})
export class LoggingModule {}
