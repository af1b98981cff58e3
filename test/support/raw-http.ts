import { connect } from 'node:net';

/** One piece of a raw request: written `afterMs` after the piece before it. */
export interface RawPart {
  afterMs: number;
  bytes: string | Buffer;
}

/**
 * Sends bytes as they are on a new connection (all at once, or in timed parts) and reads until
 * the server closes it: for what supertest cannot send, such as malformed or unfinished requests.
 */
export function rawExchange(port: number, request: string | Buffer | RawPart[]): Promise<string> {
  const parts = Array.isArray(request) ? request : [{ afterMs: 0, bytes: request }];
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      let delay = 0;
      for (const part of parts) {
        delay += part.afterMs;
        setTimeout(() => socket.writable && socket.write(part.bytes), delay);
      }
    });
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

/** Status, headers (lower-cased names) and parsed body of a raw HTTP/1.1 response. */
export function parseRaw(answer: string) {
  const [head, body] = answer.split('\r\n\r\n');
  const [statusLine, ...headerLines] = head.split('\r\n');
  const headers = Object.fromEntries(
    headerLines.map((line) => {
      const at = line.indexOf(':');
      return [line.slice(0, at).toLowerCase(), line.slice(at + 1).trim()];
    }),
  );

  return {
    status: Number(statusLine.split(' ')[1]),
    headers,
    body: JSON.parse(body) as Record<string, unknown> & { detail: string },
  };
}
