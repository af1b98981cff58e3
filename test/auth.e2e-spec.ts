import request from 'supertest';
import {
  API,
  GUIDE_PASSWORD,
  createOrganization,
  login,
  registerUser,
  uniqueEmail,
} from './support/factories';
import { TestApp, startTestApp } from './support/test-app';

describe('auth flow', () => {
  let t: TestApp;
  let organizationId: string;

  beforeAll(async () => {
    t = await startTestApp();
    organizationId = (await createOrganization(t.dataSource)).id;
  });

  afterAll(async () => {
    await t.close();
  });

  it('registers with the guide body, logs in and reads the profile', async () => {
    const email = uniqueEmail('guide');
    const registered = await request(t.server)
      .post(`${API}/auth/register`)
      .send({
        email,
        password: GUIDE_PASSWORD,
        first_name: 'Test',
        last_name: 'User',
        organization_id: organizationId,
      })
      .expect(201);
    expect(registered.body).toMatchObject({ email, first_name: 'Test', roles: ['member'] });

    const tokens = await login(t.server, { email, password: GUIDE_PASSWORD });
    const me = await request(t.server)
      .get(`${API}/auth/me`)
      .set('Authorization', `Bearer ${tokens.access_token}`)
      .expect(200);
    expect(me.body).toMatchObject({ email, organization_id: organizationId, roles: ['member'] });
  });

  it('refuses the access token of a logged-out session at once', async () => {
    const user = await registerUser(t.server, organizationId);
    const tokens = await login(t.server, user);
    await request(t.server)
      .post(`${API}/auth/logout`)
      .set('Authorization', `Bearer ${tokens.access_token}`)
      .expect(204);

    const me = await request(t.server)
      .get(`${API}/auth/me`)
      .set('Authorization', `Bearer ${tokens.access_token}`)
      .expect(401);
    expect(me.body.code).toBe('AUTH_TOKEN_REVOKED');
  });
});
