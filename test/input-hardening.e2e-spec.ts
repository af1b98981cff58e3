import request from 'supertest';
import { API, bearer, createMember, createPlatformAdmin } from './support/admin';
import { createOrganization, expectProblem, uniqueSuffix } from './support/factories';
import { TestApp, startTestApp } from './support/test-app';

/** Input PostgreSQL would refuse must be refused before it gets there, as a 400. */
describe('input the database cannot store', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t.close();
  });

  it.each([
    [
      'a query filter',
      (owner: { token: string }) =>
        request(t.server).get(`${API}/members?search=a%00b`).set('Authorization', bearer(owner)),
    ],
    [
      'a body field',
      (owner: { token: string }) =>
        request(t.server)
          .patch(`${API}/organizations/current`)
          .set('Authorization', bearer(owner))
          .send({ name: 'bad\u0000name' }),
    ],
  ])('refuses a NUL character in %s with 400', async (_where, send) => {
    const organization = await createOrganization(t.dataSource);
    const owner = await createMember(t.server, t.dataSource, organization.id, ['owner']);

    const body = expectProblem(await send(owner), 400, 'VALIDATION_FAILED');
    expect(body.detail).toMatch(/NUL/);
  });

  it.each([1e20, 2147483648, 9007199254740992])(
    'refuses a quota of %p with 400 and creates nothing',
    async (quota) => {
      const admin = await createPlatformAdmin(t.server, t.dataSource);
      const slug = `quota-${uniqueSuffix()}`;
      const response = await request(t.server)
        .post(`${API}/organizations`)
        .set('Authorization', bearer(admin))
        .send({ name: 'Quota', slug, max_users: quota });

      expectProblem(response, 400, 'VALIDATION_FAILED');
      const rows = await t.dataSource.query('SELECT 1 FROM organizations WHERE slug = $1', [slug]);
      expect(rows).toHaveLength(0);
    },
  );

  describe('query strings that are not percent-encoded UTF-8', () => {
    let owner: { token: string };

    beforeAll(async () => {
      const organization = await createOrganization(t.dataSource);
      owner = await createMember(t.server, t.dataSource, organization.id, ['owner']);
    });

    const members = (query: string) =>
      request(t.server).get(`${API}/members?${query}`).set('Authorization', bearer(owner));

    it.each([
      ['an encoded lone surrogate', 'search=%ED%A0%80', 'search'],
      ['a %u escape', 'search=%uD800', 'search'],
      ['a byte that is not UTF-8', 'limit=10&search=caf%E9', 'search'],
      ['a truncated sequence', 'search=%C3', 'search'],
      ['a bare percent sign', 'search=100%', 'search'],
      ['a malformed name', 'se%FFarch=x', 'se%FFarch'],
    ])('refuses %s with 400 naming the parameter', async (_kind, query, field) => {
      const body = expectProblem(await members(query), 400, 'VALIDATION_FAILED');

      expect(body.errors).toEqual([{ field, message: `${field} must be percent-encoded UTF-8` }]);
      expect(body.detail).toContain(field);
    });

    it('refuses it on a route that needs no token too, before anything else runs', async () => {
      const response = await request(t.server).get('/health/live?probe=%ED%A0%80');

      expectProblem(response, 400, 'VALIDATION_FAILED');
    });

    it.each(['search=caf%C3%A9', 'search=a+b', 'search=%F0%9F%98%80', 'search=', 'search'])(
      'accepts the well-formed query %s',
      async (query) => {
        await members(query).expect(200);
      },
    );
  });

  it.each([
    ['auth/login', { email: 5, password: 'Not-the-password-1' }],
    ['auth/register', { email: ['a@example.com'], password: 'Not-the-password-1' }],
    ['auth/password/forgot', { email: { address: 'a@example.com' } }],
  ])('says an email of %s that is not a string must be one', async (path, payload) => {
    const body = expectProblem(
      await request(t.server).post(`${API}/${path}`).send(payload),
      400,
      'VALIDATION_FAILED',
    );

    expect(body.errors).toContainEqual({ field: 'email', message: 'email must be a string' });
  });

  it('says which path parameter is malformed', async () => {
    const organization = await createOrganization(t.dataSource);
    const owner = await createMember(t.server, t.dataSource, organization.id, ['owner']);
    const response = await request(t.server)
      .get(`${API}/members/not-a-uuid`)
      .set('Authorization', bearer(owner));

    const body = expectProblem(response, 400, 'VALIDATION_FAILED');
    expect(body.detail).toMatch(/uuid/i);
  });

  describe('characters that make text people read lie when shown', () => {
    const REFUSED = 'must not contain control or invisible formatting characters';
    let owner: { token: string };

    beforeAll(async () => {
      const organization = await createOrganization(t.dataSource);
      owner = await createMember(t.server, t.dataSource, organization.id, ['owner']);
    });

    const send = (method: 'post' | 'patch', path: string, body: object) =>
      request(t.server)[method](`${API}/${path}`).set('Authorization', bearer(owner)).send(body);

    it.each([
      ['an ANSI escape', '\u0007\u001b[31mred'],
      ['a right-to-left override and a zero width space', '\u202e\u200bteam \u{1f389}'],
    ])('refuses a team name with %s, naming the field, and stores nothing', async (_kind, name) => {
      const body = expectProblem(await send('post', 'teams', { name }), 400, 'VALIDATION_FAILED');

      expect(body.errors).toEqual([{ field: 'name', message: `name ${REFUSED}` }]);
      const rows = await t.dataSource.query('SELECT 1 FROM teams WHERE name = $1', [name]);
      expect(rows).toHaveLength(0);
    });

    it('accepts a team name with an emoji ZWJ sequence and a multi-line description', async () => {
      const name = `Devs \u{1f469}\u200d\u{1f4bb} ${uniqueSuffix()}`;
      const description = 'On call:\n\tweekdays';

      const response = await send('post', 'teams', { name, description }).expect(201);

      expect(response.body).toMatchObject({ name, description });
    });

    it.each([
      { route: 'POST teams', rest: { name: 'Team' }, field: 'description', value: 'a\r\u001b[2Kb' },
      {
        route: 'POST roles',
        rest: { key: 'ops', permissions: [] },
        field: 'name',
        value: 'O\u2066ps',
      },
      {
        route: 'POST roles',
        rest: { key: 'ops', name: 'Ops', permissions: [] },
        field: 'description',
        value: 'Runs\ufeffthings\u0085',
      },
      { route: 'PATCH organizations/current', rest: {}, field: 'name', value: 'Acme\u202dCorp' },
      {
        route: 'PATCH organizations/current',
        rest: {},
        field: 'contact_name',
        value: 'Ada\u2060L',
      },
    ])('refuses such characters in $field on $route', async ({ route, rest, field, value }) => {
      const [method, path] = route.split(' ');
      const response = await send(method === 'POST' ? 'post' : 'patch', path, {
        ...rest,
        [field]: value,
      });

      const body = expectProblem(response, 400, 'VALIDATION_FAILED');
      expect(body.errors).toHaveLength(1);
      expect(body.errors?.[0]).toMatchObject({ field, message: expect.stringContaining(field) });
      expect(body.errors?.[0].message).toMatch(/invisible formatting characters$/);
    });
  });
});
