import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { API, Actor, bearer, createMember, createPlatformAdmin } from './support/admin';
import { createOrganization, expectProblem, uniqueEmail, uniqueSuffix } from './support/factories';
import { parseRaw, rawExchange } from './support/raw-http';
import { TestApp, startTestApp } from './support/test-app';

/** A lone high surrogate: valid in a JSON string (`"\ud800"`), but not Unicode text. */
const LONE = '\ud800';

describe('the HTTP edges of the API', () => {
  let t: TestApp;
  let organizationId: string;
  let owner: Actor;
  let admin: Actor;

  beforeAll(async () => {
    t = await startTestApp();
    organizationId = (await createOrganization(t.dataSource)).id;
    owner = await createMember(t.server, t.dataSource, organizationId, ['owner']);
    admin = await createPlatformAdmin(t.server, t.dataSource);
  });

  afterAll(async () => {
    await t.close();
  });

  /** The app's own server, listening (supertest then uses it as it is). */
  const listeningPort = async (): Promise<number> => {
    if (!t.server.listening) {
      await new Promise<void>((resolve) => t.server.listen(0, '127.0.0.1', resolve));
    }
    return (t.server.address() as AddressInfo).port;
  };

  const organizationName = async () => {
    const rows = await t.dataSource.query<{ name: string }[]>(
      'SELECT name FROM organizations WHERE id = $1',
      [organizationId],
    );
    return rows[0].name;
  };

  describe('text that is not Unicode', () => {
    const cases: Array<{ where: string; path: string; by?: () => Actor; body: () => object }> = [
      {
        where: 'login',
        path: 'auth/login',
        body: () => ({ email: `${LONE}@b.com`, password: 'x'.repeat(8) }),
      },
      {
        where: 'register',
        path: 'auth/register',
        body: () => ({
          email: `${LONE}@b.com`,
          password: 'Test123!@#',
          first_name: 'A',
          last_name: 'B',
          organization_id: organizationId,
        }),
      },
      {
        where: 'forgot password',
        path: 'auth/password/forgot',
        body: () => ({ email: `${LONE}@b.com` }),
      },
      {
        where: 'resend verification',
        path: 'auth/email/resend',
        body: () => ({ email: `${LONE}@b.com` }),
      },
      {
        where: 'invitations',
        path: 'invitations',
        by: () => owner,
        body: () => ({ email: `${LONE}@b.com` }),
      },
      {
        where: 'organizations',
        path: 'organizations',
        by: () => admin,
        body: () => ({ name: 'Org', slug: `o-${uniqueSuffix()}`, owner_email: `${LONE}@b.com` }),
      },
    ];

    it.each(cases)('refuses a lone surrogate in the email on $where with 400', async (c) => {
      const field = c.where === 'organizations' ? 'owner_email' : 'email';
      const call = request(t.server).post(`${API}/${c.path}`);
      if (c.by) call.set('Authorization', bearer(c.by()));

      const body = expectProblem(await call.send(c.body()), 400, 'VALIDATION_FAILED');
      expect(body.errors).toEqual([
        { field, message: expect.stringMatching(/lone UTF-16 surrogate/) },
      ]);
    });

    it.each([
      ['the first name on register', 'first_name'],
      ['the last name on register', 'last_name'],
    ])('refuses a lone surrogate in %s and creates no account', async (_where, field) => {
      const email = uniqueEmail('surrogate');
      const response = await request(t.server)
        .post(`${API}/auth/register`)
        .send({
          email,
          password: 'Test123!@#',
          first_name: 'Ada',
          last_name: 'Lovelace',
          organization_id: organizationId,
          [field]: `Ada${LONE}`,
        });

      const body = expectProblem(response, 400, 'VALIDATION_FAILED');
      expect(body.errors).toEqual([{ field, message: expect.stringContaining(field) }]);
      const rows = await t.dataSource.query('SELECT 1 FROM users WHERE email = $1', [email]);
      expect(rows).toHaveLength(0);
    });

    it('refuses a lone surrogate in a team name with a validation 400 naming the field', async () => {
      const response = await request(t.server)
        .post(`${API}/teams`)
        .set('Authorization', bearer(owner))
        .send({ name: `Team ${LONE}` });

      const body = expectProblem(response, 400, 'VALIDATION_FAILED');
      expect(body.errors).toEqual([{ field: 'name', message: expect.stringContaining('name') }]);
    });

    it('keeps a surrogate pair (an emoji) as it is', async () => {
      await request(t.server)
        .patch(`${API}/organizations/current`)
        .set('Authorization', bearer(owner))
        .send({ name: 'Rocket \u{1F680}' })
        .expect(200);

      expect(await organizationName()).toBe('Rocket \u{1F680}');
    });

    it('refuses a JSON body that is not UTF-8 instead of storing U+FFFD', async () => {
      const before = await organizationName();
      // Latin-1 "Café": 0xE9 alone is no UTF-8. Sent raw: supertest would re-encode a Buffer.
      const body = Buffer.concat([
        Buffer.from('{"name":"Caf'),
        Buffer.from([0xe9]),
        Buffer.from('"}'),
      ]);
      const head =
        `PATCH ${API}/organizations/current HTTP/1.1\r\nHost: localhost\r\n` +
        `Authorization: ${bearer(owner)}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`;

      const answer = parseRaw(
        await rawExchange(await listeningPort(), Buffer.concat([Buffer.from(head), body])),
      );

      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({
        code: 'MALFORMED_JSON',
        detail: expect.stringMatching(/UTF-8/),
      });
      expect(await organizationName()).toBe(before);
    });
  });

  describe('media types', () => {
    it.each([
      'application/merge-patch+json',
      'text/plain',
      'application/json; charset=utf-16',
      'application/x-www-form-urlencoded',
    ])('refuses a PATCH body of %s with 415 and changes nothing', async (type) => {
      const before = await organizationName();
      const response = await request(t.server)
        .patch(`${API}/organizations/current`)
        .set('Authorization', bearer(owner))
        .set('Content-Type', type)
        .send('{"name":"Changed"}');

      expectProblem(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
      expect(await organizationName()).toBe(before);
    });

    it.each([
      ['text/plain', 'email=a@example.com'],
      ['application/xml', '<login><email>a@example.com</email></login>'],
      ['application/x-www-form-urlencoded', 'email=a%40example.com&password=xxxxxxxx'],
      [
        'multipart/form-data; boundary=x',
        '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--x--',
      ],
    ])('refuses a login body of %s with 415', async (type, text) => {
      const response = await request(t.server)
        .post(`${API}/auth/login`)
        .set('Content-Type', type)
        .send(text);

      const body = expectProblem(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
      expect(body.detail).toContain('application/json');
    });

    it('refuses a body without a Content-Type with 415', async () => {
      const answer = parseRaw(
        await rawExchange(
          await listeningPort(),
          `POST ${API}/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n` +
            'Connection: close\r\n\r\n{}',
        ),
      );

      expect(answer.status).toBe(415);
      expect(answer.body).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
      expect(answer.body.detail).toMatch(/no Content-Type/);
    });

    it.each([
      'application/json',
      'application/json; charset=utf-8',
      'Application/JSON; Charset="UTF-8"',
    ])('accepts %s', async (type) => {
      await request(t.server)
        .patch(`${API}/organizations/current`)
        .set('Authorization', bearer(owner))
        .set('Content-Type', type)
        .send(JSON.stringify({ name: `Accepted ${uniqueSuffix()}` }))
        .expect(200);
    });

    it('leaves requests without a body alone, whatever their Content-Type', async () => {
      const member = await createMember(t.server, t.dataSource, organizationId);

      await request(t.server)
        .get(`${API}/auth/me`)
        .set('Authorization', bearer(member))
        .set('Content-Type', 'text/plain')
        .expect(200);
      await request(t.server)
        .post(`${API}/auth/logout`)
        .set('Authorization', bearer(member))
        .expect(204);
    });

    it('lets the SAML assertion consumer path receive a form (the browser POST binding)', async () => {
      const response = await request(t.server)
        .post(`${API}/sso/saml/${randomUUID()}/acs`)
        .set('Content-Type', 'application/x-www-form-urlencoded')
        .send('SAMLResponse=PHNhbWxwOlJlc3BvbnNlLz4%3D&RelayState=x');

      // The form got past the media-type check: the unknown connection answers, not a 415.
      expectProblem(response, 404, 'SSO_CONNECTION_DISABLED');
    });
  });

  describe('methods', () => {
    it.each([
      { method: 'put', path: 'auth/login', allow: 'POST' },
      { method: 'delete', path: 'auth/me', allow: 'GET, HEAD' },
      { method: 'post', path: '/health', allow: 'GET, HEAD' },
    ] as const)(
      'answers $method $path with 405 and Allow: $allow',
      async ({ method, path, allow }) => {
        const url = path.startsWith('/') ? path : `${API}/${path}`;
        const response = await request(t.server)[method](url);

        const body = expectProblem(response, 405, 'METHOD_NOT_ALLOWED');
        expect(response.headers.allow).toBe(allow);
        expect(body.detail).toContain(allow);
      },
    );

    it('still answers 404 for a path no route has, and for a missing resource', async () => {
      await request(t.server).put(`${API}/auth/nowhere`).expect(404);
      const missing = await request(t.server)
        .get(`${API}/teams/00000000-0000-4000-8000-000000000000`)
        .set('Authorization', bearer(owner));
      expectProblem(missing, 404, 'TEAM_NOT_FOUND');
      expect(missing.headers.allow).toBeUndefined();
    });
  });

  describe('caching', () => {
    const expectNotCacheable = (response: request.Response) => {
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.headers.pragma).toBe('no-cache');
      expect(response.headers.etag).toBeUndefined();
    };

    it('forbids caching the answers that carry tokens: login, refresh', async () => {
      const login = await request(t.server)
        .post(`${API}/auth/login`)
        .send({ email: owner.email, password: owner.password, organization_id: organizationId })
        .expect(200);
      expectNotCacheable(login);
      const refresh = await request(t.server)
        .post(`${API}/auth/refresh`)
        .send({ refresh_token: (login.body as { refresh_token: string }).refresh_token })
        .expect(200);
      expect((refresh.body as { access_token?: string }).access_token).toEqual(expect.any(String));
      expectNotCacheable(refresh);
    });

    it('forbids caching a profile and a problem body alike', async () => {
      expectNotCacheable(
        await request(t.server)
          .get(`${API}/auth/me`)
          .set('Authorization', bearer(owner))
          .expect(200),
      );
      const missingToken = await request(t.server).get(`${API}/auth/me`);
      expectProblem(missingToken, 401, 'AUTH_TOKEN_MISSING');
      expectNotCacheable(missingToken);
    });
  });

  describe('problem bodies', () => {
    it.each([
      [
        'a bad token',
        () => request(t.server).get(`${API}/auth/me`).set('Authorization', 'Bearer x'),
        401,
        'AUTH_INVALID_TOKEN',
      ],
      ['no route', () => request(t.server).get('/nowhere'), 404, 'NOT_FOUND'],
      [
        'malformed JSON',
        () =>
          request(t.server)
            .post(`${API}/auth/login`)
            .set('Content-Type', 'application/json')
            .send('{'),
        400,
        'MALFORMED_JSON',
      ],
      [
        'a body too large',
        () =>
          request(t.server)
            .post(`${API}/auth/login`)
            .send({ padding: 'x'.repeat(200_000) }),
        413,
        'PAYLOAD_TOO_LARGE',
      ],
    ] as const)('always carry a detail, for %s too', async (_case, send, status, code) => {
      const body = expectProblem(await send(), status, code);

      expect(body.detail).not.toBe('');
    });

    it('answers headers too large with 431 and a problem body', async () => {
      const response = await request(t.server)
        .get('/health/live')
        .set('X-Padding', 'x'.repeat(20_000));

      const body = expectProblem(response, 431, 'REQUEST_HEADERS_TOO_LARGE');
      expect(response.text).not.toContain('xxxx');
      expect(body.detail).toMatch(/headers/);
    });

    it('answers bytes that are not HTTP with 400 and a problem body, echoing nothing', async () => {
      const answer = parseRaw(await rawExchange(await listeningPort(), 'SECRET-GARBAGE\r\n\r\n'));

      expect(answer.status).toBe(400);
      expect(answer.headers['content-type']).toBe('application/problem+json');
      expect(answer.body).toMatchObject({ status: 400, code: 'MALFORMED_REQUEST' });
      expect(answer.body.detail.length).toBeGreaterThan(0);
      expect(answer.headers['x-request-id']).toBe(answer.body.request_id);
      expect(JSON.stringify(answer)).not.toContain('SECRET');
    });
  });
});
