import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { API, addMembership, auditEvents, createPlatformAdmin, loginTo } from './support/admin';
import { GUIDE_PASSWORD, createOrganization, registerUser, uniqueEmail } from './support/factories';
import { TestApp, startTestApp } from './support/test-app';

describe('organizations of a signed-in user', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t.close();
  });

  const me = (token: string) =>
    request(t.server).get(`${API}/auth/me`).set('Authorization', `Bearer ${token}`);
  const switchTo = (token: string, organizationId: string) =>
    request(t.server)
      .post(`${API}/auth/switch-organization`)
      .set('Authorization', `Bearer ${token}`)
      .send({ organization_id: organizationId });

  /** A user who is a member in A and an admin in B. */
  async function userInTwoOrganizations() {
    const a = await createOrganization(t.dataSource, { name: 'Alpha' });
    const b = await createOrganization(t.dataSource, { name: 'Beta' });
    const user = await registerUser(t.server, a.id);
    await addMembership(t.dataSource, user.userId, b.id, ['admin']);

    return { a, b, user };
  }

  describe('switch-organization', () => {
    it('issues tokens for another organization of the user, revoking nothing', async () => {
      const { a, b, user } = await userInTwoOrganizations();
      const tokensA = await loginTo(t.server, user, a.id);

      const response = await switchTo(tokensA.access_token, b.id).expect(200);
      expect(response.body).toMatchObject({
        organization_id: b.id,
        user_id: user.userId,
        token_type: 'Bearer',
        access_token: expect.any(String),
        refresh_token: expect.any(String),
      });

      const profileB = await me(response.body.access_token).expect(200);
      expect(profileB.body).toMatchObject({ organization_id: b.id, roles: ['admin'] });
      const profileA = await me(tokensA.access_token).expect(200);
      expect(profileA.body).toMatchObject({ organization_id: a.id, roles: ['member'] });
      // The new session is a session of its own, refreshable on its own.
      await request(t.server)
        .post(`${API}/auth/refresh`)
        .send({ refresh_token: response.body.refresh_token })
        .expect(200);
      await request(t.server)
        .post(`${API}/auth/refresh`)
        .send({ refresh_token: tokensA.refresh_token })
        .expect(200);

      const [event] = await auditEvents(t.dataSource, b.id, 'auth.organization_switched');
      expect(event).toMatchObject({
        outcome: 'success',
        actor_user_id: user.userId,
        details: { from_organization_id: a.id },
      });
    });

    it('refuses an organization the user does not belong to, audited', async () => {
      const { a, user } = await userInTwoOrganizations();
      const stranger = await createOrganization(t.dataSource);
      const tokens = await loginTo(t.server, user, a.id);

      for (const organizationId of [stranger.id, randomUUID()]) {
        const response = await switchTo(tokens.access_token, organizationId).expect(403);
        expect(response.body.code).toBe('AUTH_ORGANIZATION_ACCESS_DENIED');
      }
      const denials = await auditEvents(t.dataSource, a.id, 'auth.organization_switched');
      expect(denials).toHaveLength(2);
      expect(denials[0]).toMatchObject({ outcome: 'denied', target_id: stranger.id });
    });

    it('refuses a deactivated membership', async () => {
      const { a, b, user } = await userInTwoOrganizations();
      await t.dataSource.query(
        "UPDATE memberships SET status = 'deactivated' WHERE user_id = $1 AND organization_id = $2",
        [user.userId, b.id],
      );
      const tokens = await loginTo(t.server, user, a.id);

      await switchTo(tokens.access_token, b.id).expect(403);
    });

    it('refuses a body without a UUID', async () => {
      const { a, user } = await userInTwoOrganizations();
      const tokens = await loginTo(t.server, user, a.id);
      await switchTo(tokens.access_token, 'beta').expect(400);
    });

    it('needs a signed-in user', async () => {
      await request(t.server)
        .post(`${API}/auth/switch-organization`)
        .send({ organization_id: randomUUID() })
        .expect(401);
    });
  });

  describe('login and me', () => {
    it('signs in to the most recently used organization when none is named', async () => {
      const { a, b, user } = await userInTwoOrganizations();

      await loginTo(t.server, user, b.id);
      expect(await loginTo(t.server, user)).toMatchObject({ organization_id: b.id });
      await loginTo(t.server, user, a.id);
      expect(await loginTo(t.server, user)).toMatchObject({ organization_id: a.id });

      // Switching counts as using the organization.
      const tokens = await loginTo(t.server, user);
      await switchTo(tokens.access_token, b.id).expect(200);
      expect(await loginTo(t.server, user)).toMatchObject({ organization_id: b.id });
    });

    it('lists every organization of the user and the roles in the current one', async () => {
      const { a, b, user } = await userInTwoOrganizations();
      const tokens = await loginTo(t.server, user, b.id);

      const profile = await me(tokens.access_token).expect(200);
      expect(profile.body).toMatchObject({ organization_id: b.id, roles: ['admin'] });
      expect(profile.body.organizations).toHaveLength(2);
      expect(profile.body.organizations).toEqual(
        expect.arrayContaining([
          { id: a.id, name: 'Alpha', slug: a.slug, roles: ['member'] },
          { id: b.id, name: 'Beta', slug: b.slug, roles: ['admin'] },
        ]),
      );
    });

    it('leaves a deleted organization out of me', async () => {
      const { a, b, user } = await userInTwoOrganizations();
      const admin = await createPlatformAdmin(t.server, t.dataSource);
      await request(t.server)
        .delete(`${API}/organizations/${b.id}`)
        .set('Authorization', `Bearer ${admin.token}`)
        .expect(204);
      const tokens = await loginTo(t.server, user);

      const profile = await me(tokens.access_token).expect(200);
      expect(profile.body.organization_id).toBe(a.id);
      expect(profile.body.organizations.map((o: { id: string }) => o.id)).toEqual([a.id]);
    });
  });

  describe('register', () => {
    const body = (organizationId: string, extra: Record<string, unknown> = {}) => ({
      email: uniqueEmail('reg'),
      password: GUIDE_PASSWORD,
      first_name: 'Reg',
      last_name: 'Istered',
      organization_id: organizationId,
      ...extra,
    });

    it.each([
      [{ roles: ['owner'] }],
      [{ role: 'admin' }],
      [{ email_verified: true }],
      [{ is_platform_admin: true }],
      [{ user_id: '00000000-0000-0000-0000-000000000001' }],
      [{ id: '00000000-0000-0000-0000-000000000001' }],
      [{ status: 'active' }],
    ])('refuses a body that tries to choose %j', async (extra) => {
      const organization = await createOrganization(t.dataSource);
      const response = await request(t.server)
        .post(`${API}/auth/register`)
        .send(body(organization.id, extra))
        .expect(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
    });

    it('makes a self-registered user a plain, unverified member', async () => {
      const organization = await createOrganization(t.dataSource);
      const response = await request(t.server)
        .post(`${API}/auth/register`)
        .send(body(organization.id))
        .expect(201);
      expect(response.body).toMatchObject({
        roles: ['member'],
        email_verified: false,
        is_platform_admin: false,
      });
    });

    it('answers 404 for an unknown organization', async () => {
      const response = await request(t.server)
        .post(`${API}/auth/register`)
        .send(body(randomUUID()))
        .expect(404);
      expect(response.body.code).toBe('ORGANIZATION_NOT_FOUND');
    });
  });
});
