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

  it('says which path parameter is malformed', async () => {
    const organization = await createOrganization(t.dataSource);
    const owner = await createMember(t.server, t.dataSource, organization.id, ['owner']);
    const response = await request(t.server)
      .get(`${API}/members/not-a-uuid`)
      .set('Authorization', bearer(owner));

    const body = expectProblem(response, 400, 'VALIDATION_FAILED');
    expect(body.detail).toMatch(/uuid/i);
  });
});
