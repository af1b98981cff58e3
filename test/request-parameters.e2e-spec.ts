import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { API, bearer, createMember } from './support/admin';
import { createOrganization, expectProblem } from './support/factories';
import { TestApp, startTestApp } from './support/test-app';

/** Query and path parameters: what they may be sent as, and how a bad one is answered. */
describe('request parameters', () => {
  let t: TestApp;
  let owner: { token: string };

  beforeAll(async () => {
    t = await startTestApp();
    const organization = await createOrganization(t.dataSource);
    owner = await createMember(t.server, t.dataSource, organization.id, ['owner']);
  });

  afterAll(async () => {
    await t.close();
  });

  const get = (path: string) =>
    request(t.server).get(`${API}/${path}`).set('Authorization', bearer(owner));

  describe('integer query parameters', () => {
    const LISTINGS = ['members', 'teams', 'roles', 'invitations'];

    it.each(
      LISTINGS.flatMap((listing) =>
        [
          ['limit', '0x10'],
          ['limit', '0b11'],
          ['limit', '0o7'],
          ['limit', '1e2'],
          ['limit', '1.0'],
          ['limit', '+5'],
          ['limit', '-1'],
          ['limit', '%20%2010'],
          ['limit', '10%20'],
          ['limit', ''],
          ['limit', 'Infinity'],
          ['offset', ''],
          ['offset', '0x10'],
          ['offset', '1e3'],
          ['offset', '%0A1'],
          ['offset', '1_000'],
        ].map(([name, value]) => ({ listing, name, value })),
      ),
    )('refuses $listing?$name=$value naming $name', async ({ listing, name, value }) => {
      const problem = expectProblem(
        await get(`${listing}?${name}=${value}`),
        400,
        'VALIDATION_FAILED',
      );

      expect(problem.errors?.map((error) => error.field)).toEqual([name]);
    });

    it.each(['0x10', '1e2', '', ' 10'])(
      'refuses audit/events?limit=%s naming limit',
      async (value) => {
        const problem = expectProblem(
          await get(`audit/events?limit=${encodeURIComponent(value)}`),
          400,
          'VALIDATION_FAILED',
        );

        expect(problem.errors?.map((error) => error.field)).toEqual(['limit']);
      },
    );

    it.each(['members', 'teams', 'roles', 'invitations'])(
      'takes plain decimal digits on %s, leading zeros included',
      async (listing) => {
        const response = await get(`${listing}?limit=007&offset=0`).expect(200);

        expect(response.body.page).toMatchObject({ limit: 7, offset: 0 });
      },
    );

    it.each([
      ['limit', '0'],
      ['limit', '101'],
      ['offset', '1000001'],
      ['limit', '99999999999999999999'],
    ])('still refuses %s=%s, out of bounds', async (name, value) => {
      const problem = expectProblem(
        await get(`members?${name}=${value}`),
        400,
        'VALIDATION_FAILED',
      );

      expect(problem.errors?.map((error) => error.field)).toEqual([name]);
    });

    it('applies the defaults when the parameters are left out', async () => {
      const response = await get('members').expect(200);

      expect(response.body.page).toMatchObject({ limit: 50, offset: 0 });
    });
  });

  describe('UUID path parameters', () => {
    it.each([
      { method: 'get', path: 'members/not-a-uuid', fields: ['user_id'] },
      { method: 'get', path: 'members/%00', fields: ['user_id'] },
      { method: 'post', path: 'members/not-a-uuid/roles/admin', fields: ['user_id'] },
      { method: 'get', path: 'teams/not-a-uuid', fields: ['id'] },
      { method: 'delete', path: 'roles/12345', fields: ['id'] },
      { method: 'get', path: 'invitations/g', fields: ['id'] },
      { method: 'get', path: 'sso/connections/0f8fad5bd9cb469fa16570867728950e', fields: ['id'] },
      { method: 'delete', path: 'auth/sessions/not-a-uuid', fields: ['id'] },
      { method: 'delete', path: `teams/${randomUUID()}/members/x`, fields: ['user_id'] },
      { method: 'delete', path: 'teams/x/members/y', fields: ['id', 'user_id'] },
    ] as const)('refuses $method $path naming $fields', async ({ method, path, fields }) => {
      const response = await request(t.server)
        [method](`${API}/${path}`)
        .set('Authorization', bearer(owner));

      const problem = expectProblem(response, 400, 'VALIDATION_FAILED');
      const messages = fields.map((field) => `${field} must be a UUID`);
      expect(problem.errors).toEqual(fields.map((field, at) => ({ field, message: messages[at] })));
      expect(problem.detail).toBe(messages.join('; '));
    });

    it('names a path parameter that is not a UUID and holds a NUL', async () => {
      const response = await request(t.server)
        .post(`${API}/members/${randomUUID()}/roles/a%00b`)
        .set('Authorization', bearer(owner));

      const problem = expectProblem(response, 400, 'VALIDATION_FAILED');
      expect(problem.errors?.map((error) => error.field)).toEqual(['role']);
    });

    it('answers a request without a token 401 first, as before the pipes', async () => {
      const response = await request(t.server).get(`${API}/members/not-a-uuid`);

      expect(response.status).toBe(401);
    });

    it('lets a well-formed UUID through to the route', async () => {
      expect((await get(`teams/${randomUUID()}`)).status).toBe(404);
    });
  });
});
