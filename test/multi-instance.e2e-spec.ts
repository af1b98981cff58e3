import request from 'supertest';
import { API, bearer, createMember } from './support/admin';
import { createOrganization } from './support/factories';
import { TestApp, startTestApp } from './support/test-app';

/**
 * Two instances of the service on one PostgreSQL and one Redis, as behind a load balancer.
 * Only meaningful with real servers: the embedded defaults give each app its own database.
 */
const describeShared =
  process.env.POSTGRES_HOST && process.env.REDIS_HOST ? describe : describe.skip;

describeShared('two instances sharing PostgreSQL and Redis', () => {
  const secret = 'multi-instance-test-key-'.padEnd(64, 'x');
  let one: TestApp;
  let two: TestApp;

  beforeAll(async () => {
    one = await startTestApp({ JWT_SECRET_KEY: secret });
    two = await startTestApp({ JWT_SECRET_KEY: secret });
  });

  afterAll(async () => {
    await one.close();
    await two.close();
  });

  it('applies a role change made on one instance to the next request on the other', async () => {
    const organization = await createOrganization(one.dataSource);
    const owner = await createMember(one.server, one.dataSource, organization.id, ['owner']);
    const member = await createMember(one.server, one.dataSource, organization.id, ['viewer']);
    await request(two.server).get(`${API}/roles`).set('Authorization', bearer(member)).expect(403);

    await request(one.server)
      .put(`${API}/members/${member.userId}/roles`)
      .set('Authorization', bearer(owner))
      .send({ roles: ['member'] })
      .expect(200);
    await request(two.server).get(`${API}/roles`).set('Authorization', bearer(member)).expect(200);

    await request(one.server)
      .put(`${API}/members/${member.userId}/roles`)
      .set('Authorization', bearer(owner))
      .send({ roles: ['viewer'] })
      .expect(200);
    await request(two.server).get(`${API}/roles`).set('Authorization', bearer(member)).expect(403);
  });

  it('refuses on one instance a token logged out on the other', async () => {
    const organization = await createOrganization(one.dataSource);
    const member = await createMember(one.server, one.dataSource, organization.id);
    await request(two.server)
      .get(`${API}/auth/me`)
      .set('Authorization', bearer(member))
      .expect(200);

    await request(one.server)
      .post(`${API}/auth/logout`)
      .set('Authorization', bearer(member))
      .expect(204);
    const refused = await request(two.server)
      .get(`${API}/auth/me`)
      .set('Authorization', bearer(member))
      .expect(401);
    expect(refused.body.code).toBe('AUTH_TOKEN_REVOKED');
  });

  it('refuses on one instance the tokens of a member removed on the other', async () => {
    const organization = await createOrganization(one.dataSource);
    const owner = await createMember(one.server, one.dataSource, organization.id, ['owner']);
    const member = await createMember(one.server, one.dataSource, organization.id);

    await request(one.server)
      .delete(`${API}/members/${member.userId}`)
      .set('Authorization', bearer(owner))
      .expect(204);
    const refused = await request(two.server)
      .get(`${API}/auth/me`)
      .set('Authorization', bearer(member))
      .expect(401);
    expect(refused.body.code).toBe('AUTH_TOKEN_REVOKED');
  });
});
