import type { IncomingMessage } from 'node:http';
import { currentTraceFields, traceFields, traceFieldsMiddleware } from './trace-context';

function requestWith(headers: Record<string, string>): IncomingMessage {
  return { headers } as unknown as IncomingMessage;
}

describe('trace fields of log lines without tracing', () => {
  it('takes the trace id of a valid incoming traceparent', () => {
    const request = requestWith({
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    });

    expect(traceFields(request)).toEqual({ trace_id: '4bf92f3577b34da6a3ce929d0e0e4736' });
  });

  it.each([
    ['no header', {}],
    ['a malformed header', { traceparent: 'not-a-traceparent' }],
    ['an all-zero trace id', { traceparent: `00-${'0'.repeat(32)}-00f067aa0ba902b7-01` }],
  ])('adds nothing for %s', (_case, headers) => {
    expect(traceFields(requestWith(headers))).toEqual({});
  });

  it('keeps the fields for everything the request does after the middleware', async () => {
    const request = requestWith({
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    });
    const seen = await new Promise((resolve) =>
      traceFieldsMiddleware(request, undefined, () => {
        setImmediate(() => resolve(currentTraceFields()));
      }),
    );

    expect(seen).toEqual({ trace_id: '4bf92f3577b34da6a3ce929d0e0e4736' });
    expect(currentTraceFields()).toEqual({});
  });
});
