import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage } from 'node:http';
import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import { LOG_FIELDS } from './log-fields';
import { traceIdOf } from './request-id';

type TraceFields = Partial<Record<typeof LOG_FIELDS.traceId | typeof LOG_FIELDS.spanId, string>>;

const requestTrace = new AsyncLocalStorage<TraceFields>();

/**
 * The trace fields of a request's log lines. With tracing on, the active span's ids (the
 * server span, a child of the caller's `traceparent` when there was one); with tracing off,
 * the caller's trace id alone, so the lines still join the caller's trace.
 */
export function traceFields(request: IncomingMessage): TraceFields {
  const span = trace.getSpan(context.active())?.spanContext();
  if (span && isSpanContextValid(span)) {
    return { [LOG_FIELDS.traceId]: span.traceId, [LOG_FIELDS.spanId]: span.spanId };
  }
  const traceId = traceIdOf(request);

  return traceId ? { [LOG_FIELDS.traceId]: traceId } : {};
}

/**
 * The trace fields of the request being handled, for pino's `mixin`: every line gets them. A
 * copy each time: pino merges the line's own fields into the object the mixin returns, so
 * handing out the stored one would carry one line's fields (`event`, `user_id`) into every
 * later line of the request, its completion line included.
 */
export function currentTraceFields(): TraceFields {
  return { ...requestTrace.getStore() };
}

/**
 * Express middleware, early in the chain: reads the request's trace fields once, inside the
 * server span, and keeps them for everything the request does after it.
 */
export function traceFieldsMiddleware(
  request: IncomingMessage,
  _response: unknown,
  next: () => void,
): void {
  requestTrace.run(traceFields(request), next);
}
