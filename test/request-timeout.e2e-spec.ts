import type { AddressInfo } from 'node:net';
import { API } from './support/factories';
import { LogCapture, captureLogs } from './support/log-capture';
import { parseRaw, rawExchange } from './support/raw-http';
import { TestApp, startTestApp } from './support/test-app';

/**
 * A client that sends its request slowly, or stops half-way, holds a connection and its memory
 * until HTTP_REQUEST_TIMEOUT_SECONDS, then gets a 408 problem and the connection closes.
 */
describe('the time a client has to send its request', () => {
  let t: TestApp;
  let logs: LogCapture;
  let port: number;

  beforeAll(async () => {
    logs = captureLogs();
    t = await startTestApp({ LOG_LEVEL: 'info', HTTP_REQUEST_TIMEOUT_SECONDS: '1' });
    await new Promise<void>((resolve) => t.server.listen(0, '127.0.0.1', resolve));
    port = (t.server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await t.close();
    logs.restore();
  });

  const loginHead = (requestId: string, length: number) =>
    `POST ${API}/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n` +
    `X-Request-ID: ${requestId}\r\nContent-Length: ${length}\r\nConnection: close\r\n\r\n`;

  it('answers a body that stops half-way with 408, logged once with its endpoint', async () => {
    const requestId = `timeout-body-${process.pid}`;
    const answer = parseRaw(await rawExchange(port, loginHead(requestId, 100) + '{"email":'));

    expect(answer.status).toBe(408);
    expect(answer.headers['content-type']).toBe('application/problem+json');
    expect(answer.headers.connection).toBe('close');
    expect(answer.body).toMatchObject({
      status: 408,
      code: 'REQUEST_TIMEOUT',
      request_id: requestId,
    });
    // The body parser's own error, when the connection closes, adds no second line.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const lines = logs.completionsOf(requestId);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      status_code: 408,
      method: 'POST',
      endpoint: `${API}/auth/login`,
    });
  });

  it('answers headers that stop half-way with 408', async () => {
    const answer = parseRaw(await rawExchange(port, 'GET /health/live HTTP/1.1\r\nHost: local'));

    expect(answer.status).toBe(408);
    expect(answer.body).toMatchObject({ status: 408, code: 'REQUEST_TIMEOUT' });
    expect(answer.headers['x-request-id']).toBe(answer.body.request_id);
  });

  it('lets a request that arrives in parts within the limit through', async () => {
    const body = JSON.stringify({ email: 'nobody@example.com', password: 'Not-the-password-1' });
    const answer = parseRaw(
      await rawExchange(port, [
        { afterMs: 0, bytes: loginHead(`timeout-slow-${process.pid}`, body.length) },
        { afterMs: 300, bytes: body.slice(0, 10) },
        { afterMs: 300, bytes: body.slice(10) },
      ]),
    );

    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ code: 'AUTH_INVALID_CREDENTIALS' });
  });
});
