import type { IncomingMessage } from 'node:http';
import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import { LOG_FIELDS } from './log-fields';
import { traceIdOf } from './request-id';

/**
 * The trace fields of a request's log lines. With tracing on, the active span's ids (the
 * server span, a child of the caller's `traceparent` when there was one); with tracing off,
 * the caller's trace id alone, so the lines still join the caller's trace.
 */
export function traceFields(request: IncomingMessage): Record<string, string> {
  const span = trace.getSpan(context.active())?.spanContext();
  if (span && isSpanContextValid(span)) {
    return { [LOG_FIELDS.traceId]: span.traceId, [LOG_FIELDS.spanId]: span.spanId };
  }
  const traceId = traceIdOf(request);

  return traceId ? { [LOG_FIELDS.traceId]: traceId } : {};
}
