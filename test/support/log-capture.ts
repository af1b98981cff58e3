/** One JSON log line, as the service writes it in production (LOG_FORMAT=json). */
export type LogLine = Record<string, unknown>;

export interface LogCapture {
  /** Every JSON line written to stdout since the capture began. */
  lines(): LogLine[];
  /** The `request completed` / `request failed` lines of one request id. */
  completionsOf(requestId: string): LogLine[];
  restore(): void;
}

const COMPLETION_MESSAGES = new Set(['request completed', 'request failed']);

/**
 * Captures what the app logs. Start it before the app is created: pino writes straight to
 * file descriptor 1 unless `process.stdout.write` has been replaced, in which case it writes
 * through it, which is how the lines are seen here (and kept out of the test output).
 */
export function captureLogs(): LogCapture {
  const original = process.stdout.write;
  let buffer = '';
  const lines: LogLine[] = [];
  process.stdout.write = (chunk: string | Uint8Array, ...rest: unknown[]) => {
    buffer += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    let newline = buffer.indexOf('\n');
    while (newline >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      if (line.startsWith('{')) lines.push(JSON.parse(line) as LogLine);
      newline = buffer.indexOf('\n');
    }
    const callback = rest.find((argument) => typeof argument === 'function') as
      (() => void) | undefined;
    callback?.();

    return true;
  };

  return {
    lines: () => [...lines],
    completionsOf: (requestId) =>
      lines.filter(
        (line) => line.request_id === requestId && COMPLETION_MESSAGES.has(String(line.message)),
      ),
    restore: () => {
      process.stdout.write = original;
    },
  };
}
