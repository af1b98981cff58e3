import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { bearer, createMember } from './support/admin';
import { API, createOrganization } from './support/factories';
import { LogCapture, LogLine, captureLogs } from './support/log-capture';
import { TestApp, startTestApp } from './support/test-app';

/**
 * The completion line is how an operator finds a client's request id in the logs, so every
 * response has exactly one, whatever its status and whichever layer answered.
 */
describe('request logging', () => {
  let t: TestApp;
  let logs: LogCapture;
  let sequence = 0;

  beforeAll(async () => {
    logs = captureLogs();
    t = await startTestApp({ LOG_LEVEL: 'info' });
  });

  afterAll(async () => {
    await t.close();
    logs.restore();
  });

  function requestId(): string {
    sequence += 1;
    return `log-test-${process.pid}-${sequence}`;
  }

  /** The one completion line of the request; fails if there is none or more than one. */
  function completionOf(id: string): LogLine {
    const lines = logs.completionsOf(id);
    expect(lines).toHaveLength(1);

    return lines[0];
  }

  const cases: Array<{
    name: string;
    send: (id: string) => request.Test;
    status: number;
    endpoint: string;
    method: string;
  }> = [
    {
      name: 'a 404 from a route (no JWKS with HS256)',
      send: (id) => request(t.server).get('/.well-known/jwks.json').set('X-Request-ID', id),
      status: 404,
      endpoint: '/.well-known/jwks.json',
      method: 'GET',
    },
    {
      name: 'a 401 from the access guard',
      send: (id) => request(t.server).get(`${API}/auth/me`).set('X-Request-ID', id),
      status: 401,
      endpoint: `${API}/auth/me`,
      method: 'GET',
    },
    {
      name: 'a 400 from validation',
      send: (id) =>
        request(t.server).post(`${API}/auth/login`).set('X-Request-ID', id).send({ email: 1 }),
      status: 400,
      endpoint: `${API}/auth/login`,
      method: 'POST',
    },
    {
      name: 'a 415 from the body media type check',
      send: (id) =>
        request(t.server)
          .post(`${API}/auth/login`)
          .set('X-Request-ID', id)
          .set('Content-Type', 'text/plain')
          .send('hello'),
      status: 415,
      endpoint: `${API}/auth/login`,
      method: 'POST',
    },
    {
      name: 'a 400 from the JSON parser',
      send: (id) =>
        request(t.server)
          .post(`${API}/auth/login`)
          .set('X-Request-ID', id)
          .set('Content-Type', 'application/json')
          .send('{"email":'),
      status: 400,
      endpoint: `${API}/auth/login`,
      method: 'POST',
    },
    {
      name: 'a 404 from the fallback',
      send: (id) => request(t.server).get('/no/such/path').set('X-Request-ID', id),
      status: 404,
      endpoint: '/no/such/path',
      method: 'GET',
    },
    {
      name: 'a 405 from the fallback',
      send: (id) => request(t.server).put(`${API}/auth/login`).set('X-Request-ID', id),
      status: 405,
      endpoint: `${API}/auth/login`,
      method: 'PUT',
    },
  ];

  it.each(cases)('logs one completion line for $name', async (c) => {
    const id = requestId();

    await c.send(id).expect(c.status);

    expect(completionOf(id)).toEqual(
      expect.objectContaining({
        request_id: id,
        status_code: c.status,
        endpoint: c.endpoint,
        method: c.method,
        duration_ms: expect.any(Number),
        level: c.status >= 500 ? 'ERROR' : 'INFO',
      }),
    );
  });

  it('keeps probes that succeed out of the log, not those that fail', async () => {
    const live = requestId();
    const missing = requestId();

    await request(t.server).get('/health/live').set('X-Request-ID', live).expect(200);
    await request(t.server).get('/health/live?probe=%FF').set('X-Request-ID', missing).expect(400);

    expect(logs.completionsOf(live)).toEqual([]);
    expect(completionOf(missing)).toMatchObject({ status_code: 400, endpoint: '/health/live' });
  });

  it('logs one completion line for bytes the HTTP parser cannot read', async () => {
    if (!t.server.listening) {
      await new Promise<void>((resolve) => t.server.listen(0, '127.0.0.1', resolve));
    }
    const { port } = t.server.address() as AddressInfo;
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.write('NOT-HTTP\r\n\r\n'));
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (text += chunk));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    const id = /X-Request-ID: (\S+)/.exec(answer)?.[1] ?? '';

    expect(completionOf(id)).toMatchObject({
      request_id: id,
      status_code: 400,
      code: 'MALFORMED_REQUEST',
    });
  });

  it('logs one completion line for a 2xx', async () => {
    const organization = await createOrganization(t.dataSource);
    const member = await createMember(t.server, t.dataSource, organization.id);
    const id = requestId();

    await request(t.server)
      .get(`${API}/auth/me`)
      .set('Authorization', bearer(member))
      .set('X-Request-ID', id)
      .expect(200);

    expect(completionOf(id)).toEqual(
      expect.objectContaining({
        status_code: 200,
        endpoint: `${API}/auth/me`,
        method: 'GET',
        user_id: member.userId,
        organization_id: organization.id,
        level: 'INFO',
      }),
    );
  });

  it('names the caller as user_id and the unlocked account as target_user_id', async () => {
    const organization = await createOrganization(t.dataSource);
    const owner = await createMember(t.server, t.dataSource, organization.id, ['owner']);
    const member = await createMember(t.server, t.dataSource, organization.id);
    const id = requestId();

    await request(t.server)
      .post(`${API}/members/${member.userId}/unlock`)
      .set('Authorization', bearer(owner))
      .set('X-Request-ID', id)
      .expect(204);

    const unlocked = logs
      .lines()
      .filter((line) => line.request_id === id && line.event === 'account_unlocked');
    expect(unlocked).toEqual([
      expect.objectContaining({ user_id: owner.userId, target_user_id: member.userId }),
    ]);
    // The completion line is about the request alone: no field of an earlier line leaks in.
    const completion = completionOf(id);
    expect(completion).toEqual(
      expect.objectContaining({ user_id: owner.userId, status_code: 204 }),
    );
    expect(completion).not.toHaveProperty('event');
    expect(completion).not.toHaveProperty('target_user_id');
  });
});
