import request from 'supertest';
import {
  API,
  Actor,
  addMembership,
  auditEvents,
  bearer,
  createMember,
  createPlatformAdmin,
  loginTo,
} from './support/admin';
import { createOrganization, uniqueSuffix } from './support/factories';
import { TestApp, startTestApp } from './support/test-app';

describe('organizations', () => {
  let t: TestApp;
  let platformAdmin: Actor;

  beforeAll(async () => {
    t = await startTestApp();
    platformAdmin = await createPlatformAdmin(t.server, t.dataSource);
  });

  afterAll(async () => {
    await t.close();
  });

  const as = (actor: Actor) => ({
    get: (path: string) =>
      request(t.server).get(`${API}${path}`).set('Authorization', bearer(actor)),
    post: (path: string) =>
      request(t.server).post(`${API}${path}`).set('Authorization', bearer(actor)),
    patch: (path: string) =>
      request(t.server).patch(`${API}${path}`).set('Authorization', bearer(actor)),
    delete: (path: string) =>
      request(t.server).delete(`${API}${path}`).set('Authorization', bearer(actor)),
  });

  async function organizationWithOwner() {
    const organization = await createOrganization(t.dataSource);
    const owner = await createMember(t.server, t.dataSource, organization.id, ['owner']);

    return { organization, owner };
  }

  describe('create', () => {
    it('makes an existing user the first owner named by owner_email', async () => {
      const home = await createOrganization(t.dataSource);
      const future = await createMember(t.server, t.dataSource, home.id, ['member']);
      const created = await as(platformAdmin)
        .post('/organizations')
        .send({ name: 'Owned', slug: `owned-${uniqueSuffix()}`, owner_email: future.email })
        .expect(201);
      expect(created.body.owner_user_id).toBe(future.userId);
      expect(created.body.owner_invitation).toBeUndefined();

      const switched = await request(t.server)
        .post(`${API}/auth/switch-organization`)
        .set('Authorization', bearer(future))
        .send({ organization_id: created.body.id })
        .expect(200);
      const me = await request(t.server)
        .get(`${API}/auth/me`)
        .set('Authorization', `Bearer ${switched.body.access_token}`)
        .expect(200);
      expect(me.body).toMatchObject({ organization_id: created.body.id, roles: ['owner'] });
    });

    it('invites an owner_email without an account, who registers as the first owner', async () => {
      const email = `first-owner-${uniqueSuffix()}@example.com`;
      const created = await as(platformAdmin)
        .post('/organizations')
        .send({
          name: 'Invited',
          slug: `invited-${uniqueSuffix()}`,
          registration_policy: 'invitation_only',
          owner_email: email,
        })
        .expect(201);
      expect(created.body.owner_user_id).toBeUndefined();
      const token: string = created.body.owner_invitation.token;
      expect(token.length).toBeGreaterThan(20);

      const registered = await request(t.server)
        .post(`${API}/auth/register`)
        .send({
          email,
          password: 'Test123!@#',
          first_name: 'First',
          last_name: 'Owner',
          invitation_token: token,
        })
        .expect(201);
      expect(registered.body).toMatchObject({ organization_id: created.body.id, roles: ['owner'] });
      const events = await auditEvents(t.dataSource, created.body.id);
      expect(events.map((event) => event.action)).toEqual(
        expect.arrayContaining([
          'organization.created',
          'invitation.created',
          'invitation.accepted',
        ]),
      );
    });

    it('lets a platform administrator create an organization with every field', async () => {
      const slug = `acme-${uniqueSuffix()}`;
      const response = await as(platformAdmin)
        .post('/organizations')
        .send({
          name: 'Acme Corp',
          slug,
          plan: 'professional',
          max_users: 25,
          max_teams: 5,
          contact_name: 'Ada Admin',
          contact_email: 'ada@acme.test',
          registration_policy: 'allowed_domains',
          allowed_email_domains: ['Acme.test'],
          require_mfa: true,
          require_sso: false,
        })
        .expect(201);

      expect(response.body).toMatchObject({
        name: 'Acme Corp',
        slug,
        plan: 'professional',
        max_users: 25,
        max_teams: 5,
        contact_name: 'Ada Admin',
        contact_email: 'ada@acme.test',
        registration_policy: 'allowed_domains',
        allowed_email_domains: ['acme.test'],
        require_mfa: true,
        require_sso: false,
      });
      const events = await auditEvents(t.dataSource, response.body.id, 'organization.created');
      expect(events).toEqual([
        expect.objectContaining({
          outcome: 'success',
          actor_user_id: platformAdmin.userId,
          target_id: response.body.id,
        }),
      ]);
    });

    it('defaults the plan to trial and the policy to open', async () => {
      const response = await as(platformAdmin)
        .post('/organizations')
        .send({ name: 'Minimal', slug: `minimal-${uniqueSuffix()}` })
        .expect(201);

      expect(response.body).toMatchObject({
        plan: 'trial',
        registration_policy: 'open',
        max_users: null,
        allowed_email_domains: [],
      });
    });

    it('answers 409 for a slug already in use', async () => {
      const slug = `taken-${uniqueSuffix()}`;
      await as(platformAdmin).post('/organizations').send({ name: 'One', slug }).expect(201);

      const response = await as(platformAdmin)
        .post('/organizations')
        .send({ name: 'Two', slug })
        .expect(409);
      expect(response.body.code).toBe('ORGANIZATION_SLUG_TAKEN');
    });

    it.each([
      ['an upper-case slug', { name: 'X', slug: 'Bad-Slug' }],
      ['an unknown plan', { name: 'X', slug: 'x-plan', plan: 'platinum' }],
      ['a negative quota', { name: 'X', slug: 'x-quota', max_users: -1 }],
      ['an unknown policy', { name: 'X', slug: 'x-policy', registration_policy: 'anyone' }],
      [
        'allowed_domains without domains',
        { name: 'X', slug: 'x-dom', registration_policy: 'allowed_domains' },
      ],
      ['an unknown field', { name: 'X', slug: 'x-field', owner_id: 'someone' }],
    ])('refuses %s with 400', async (_label, body) => {
      const response = await as(platformAdmin).post('/organizations').send(body).expect(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
    });

    it('refuses an organization owner (403) and audits the denial', async () => {
      const { organization, owner } = await organizationWithOwner();

      const response = await as(owner)
        .post('/organizations')
        .send({ name: 'Nope', slug: `nope-${uniqueSuffix()}` })
        .expect(403);
      expect(response.body.code).toBe('AUTH_PERMISSION_DENIED');
      const denials = await auditEvents(t.dataSource, organization.id, 'authorization.denied');
      expect(denials).toEqual([
        expect.objectContaining({
          outcome: 'denied',
          actor_user_id: owner.userId,
          target_id: 'POST /api/v1/enterprise/organizations',
        }),
      ]);
    });
  });

  describe('list', () => {
    it('lists every organization to a platform administrator, searchable and paginated', async () => {
      const marker = uniqueSuffix();
      for (const name of ['Alpha', 'Beta', 'Gamma']) {
        await createOrganization(t.dataSource, {
          name: `${name} ${marker}`,
          slug: `${name.toLowerCase()}-${marker}`,
        });
      }

      const byName = await as(platformAdmin)
        .get(`/organizations?search=${marker}&limit=2`)
        .expect(200);
      expect(byName.body.page).toEqual({ total: 3, limit: 2, offset: 0 });
      expect(byName.body.data.map((o: { name: string }) => o.name)).toEqual([
        `Alpha ${marker}`,
        `Beta ${marker}`,
      ]);
      const second = await as(platformAdmin)
        .get(`/organizations?search=${marker}&limit=2&offset=2`)
        .expect(200);
      expect(second.body.data.map((o: { name: string }) => o.name)).toEqual([`Gamma ${marker}`]);

      const bySlug = await as(platformAdmin)
        .get(`/organizations?search=beta-${marker}`)
        .expect(200);
      expect(bySlug.body.data).toHaveLength(1);
    });

    it('treats LIKE wildcards in the search literally', async () => {
      const response = await as(platformAdmin).get('/organizations?search=%25_%25').expect(200);
      expect(response.body.data).toEqual([]);
    });

    it('refuses a member who is not a platform administrator', async () => {
      const { owner } = await organizationWithOwner();
      const response = await as(owner).get('/organizations').expect(403);
      expect(response.body.code).toBe('AUTH_PERMISSION_DENIED');
    });
  });

  describe('read', () => {
    it('lets a platform administrator read any organization', async () => {
      const { organization } = await organizationWithOwner();
      const response = await as(platformAdmin).get(`/organizations/${organization.id}`).expect(200);
      expect(response.body).toMatchObject({ id: organization.id, slug: organization.slug });
    });

    it("lets a member read their token's organization, by id and as current", async () => {
      const { organization } = await organizationWithOwner();
      const viewer = await createMember(t.server, t.dataSource, organization.id, ['viewer']);

      await as(viewer).get(`/organizations/${organization.id}`).expect(200);
      const current = await as(viewer).get('/organizations/current').expect(200);
      expect(current.body.id).toBe(organization.id);
    });

    it('answers 404 for another organization, even one the member also belongs to', async () => {
      const { organization, owner } = await organizationWithOwner();
      const other = await createOrganization(t.dataSource);
      await addMembership(t.dataSource, owner.userId, other.id, ['owner']);

      const response = await as(owner).get(`/organizations/${other.id}`).expect(404);
      expect(response.body.code).toBe('ORGANIZATION_NOT_FOUND');
      expect(JSON.stringify(response.body)).not.toContain(other.slug);
      await as(owner).get(`/organizations/${organization.id}`).expect(200);
    });

    it('answers 400 for an id that is not a UUID', async () => {
      await as(platformAdmin).get('/organizations/not-a-uuid').expect(400);
    });
  });

  describe('update', () => {
    it('lets an owner change the profile and records the changed fields', async () => {
      const { organization, owner } = await organizationWithOwner();

      const response = await as(owner)
        .patch(`/organizations/${organization.id}`)
        .send({ name: 'Renamed', contact_email: 'ops@example.com', slug: organization.slug })
        .expect(200);
      expect(response.body).toMatchObject({ name: 'Renamed', contact_email: 'ops@example.com' });
      const [event] = await auditEvents(t.dataSource, organization.id, 'organization.updated');
      expect(event.details).toEqual({ changed_fields: ['name', 'contact_email'] });
    });

    it('lets an owner change the security settings (organizations:manage_security)', async () => {
      const { organization, owner } = await organizationWithOwner();

      const response = await as(owner)
        .patch('/organizations/current')
        .send({ require_mfa: true, registration_policy: 'invitation_only' })
        .expect(200);
      expect(response.body).toMatchObject({
        require_mfa: true,
        registration_policy: 'invitation_only',
      });
      expect(response.body.id).toBe(organization.id);
    });

    it('refuses an admin the security settings with a clear code, audited', async () => {
      const { organization } = await organizationWithOwner();
      const admin = await createMember(t.server, t.dataSource, organization.id, ['admin']);

      const response = await as(admin)
        .patch('/organizations/current')
        .send({ name: 'Fine', require_sso: true })
        .expect(403);
      expect(response.body.code).toBe('ORGANIZATION_SECURITY_CHANGE_FORBIDDEN');
      const [denial] = await auditEvents(t.dataSource, organization.id, 'authorization.denied');
      expect(denial.details).toMatchObject({
        code: 'ORGANIZATION_SECURITY_CHANGE_FORBIDDEN',
        fields: ['name', 'require_sso'],
      });
      const unchanged = await as(admin).get('/organizations/current').expect(200);
      expect(unchanged.body.name).toBe(organization.name);
    });

    it.each([[{ plan: 'trial' }], [{ max_users: 1000 }], [{ max_teams: null }]])(
      'refuses an owner a plan or quota change %j with 403',
      async (body) => {
        const { organization, owner } = await organizationWithOwner();
        await t.dataSource.query('UPDATE organizations SET max_teams = 3 WHERE id = $1', [
          organization.id,
        ]);

        const response = await as(owner)
          .patch(`/organizations/${organization.id}`)
          .send(body)
          .expect(403);
        expect(response.body.code).toBe('ORGANIZATION_PLAN_CHANGE_FORBIDDEN');
      },
    );

    it('accepts plan fields an owner sends back unchanged', async () => {
      const { owner } = await organizationWithOwner();
      await as(owner)
        .patch('/organizations/current')
        .send({ plan: 'enterprise', max_users: null })
        .expect(200);
    });

    it('lets a platform administrator change plan and quotas of any organization', async () => {
      const { organization } = await organizationWithOwner();

      const response = await as(platformAdmin)
        .patch(`/organizations/${organization.id}`)
        .send({ plan: 'starter', max_users: 10, max_teams: 2 })
        .expect(200);
      expect(response.body).toMatchObject({ plan: 'starter', max_users: 10, max_teams: 2 });
      const [event] = await auditEvents(t.dataSource, organization.id, 'organization.updated');
      expect(event).toMatchObject({
        actor_user_id: platformAdmin.userId,
        details: { changed_fields: ['plan', 'max_users', 'max_teams'] },
      });
    });

    it('refuses a member without organizations:update', async () => {
      const { organization } = await organizationWithOwner();
      const member = await createMember(t.server, t.dataSource, organization.id, ['member']);

      const response = await as(member)
        .patch('/organizations/current')
        .send({ name: 'Mine' })
        .expect(403);
      expect(response.body.code).toBe('AUTH_PERMISSION_DENIED');
    });

    it("answers 404 to an owner updating another organization's id", async () => {
      const { owner } = await organizationWithOwner();
      const other = await createOrganization(t.dataSource);

      const response = await as(owner)
        .patch(`/organizations/${other.id}`)
        .send({ name: 'Hijacked' })
        .expect(404);
      expect(response.body.code).toBe('ORGANIZATION_NOT_FOUND');
      const [row] = await t.dataSource.query<{ name: string }[]>(
        'SELECT name FROM organizations WHERE id = $1',
        [other.id],
      );
      expect(row.name).toBe(other.name);
    });

    it('answers 409 when the new slug is taken', async () => {
      const { owner } = await organizationWithOwner();
      const other = await createOrganization(t.dataSource);

      const response = await as(owner)
        .patch('/organizations/current')
        .send({ slug: other.slug })
        .expect(409);
      expect(response.body.code).toBe('ORGANIZATION_SLUG_TAKEN');
    });

    it.each([[{ name: null }], [{ plan: null }], [{ require_mfa: 'yes' }]])(
      'refuses %j with 400',
      async (body) => {
        const { owner } = await organizationWithOwner();
        await as(owner).patch('/organizations/current').send(body).expect(400);
      },
    );
  });

  describe('delete', () => {
    it('soft-deletes and ends every way into the organization at once', async () => {
      const { organization, owner } = await organizationWithOwner();
      const member = await createMember(t.server, t.dataSource, organization.id, ['member']);
      const home = await createOrganization(t.dataSource);
      await addMembership(t.dataSource, member.userId, home.id);
      const homeTokens = await loginTo(t.server, member, home.id);

      await as(platformAdmin).delete(`/organizations/${organization.id}`).expect(204);

      // Live access tokens fail on their very next request.
      for (const actor of [owner, member]) {
        const me = await as(actor).get('/auth/me').expect(401);
        expect(me.body.code).toBe('AUTH_TOKEN_REVOKED');
      }
      // No new tokens for it: refresh, login into it, switch into it.
      await request(t.server)
        .post(`${API}/auth/refresh`)
        .send({ refresh_token: owner.refreshToken })
        .expect(401);
      const login = await request(t.server)
        .post(`${API}/auth/login`)
        .send({ email: owner.email, password: owner.password, organization_id: organization.id })
        .expect(403);
      expect(login.body.code).toBe('AUTH_ORGANIZATION_ACCESS_DENIED');
      const loginDefault = await request(t.server)
        .post(`${API}/auth/login`)
        .send({ email: owner.email, password: owner.password })
        .expect(403);
      expect(loginDefault.body.code).toBe('AUTH_ORGANIZATION_ACCESS_DENIED');
      const fallback = await loginTo(t.server, member);
      expect(fallback).toMatchObject({ organization_id: home.id });
      await request(t.server)
        .post(`${API}/auth/switch-organization`)
        .set('Authorization', `Bearer ${homeTokens.access_token}`)
        .send({ organization_id: organization.id })
        .expect(403);

      const sessions = await t.dataSource.query<{ revoked_reason: string | null }[]>(
        'SELECT revoked_reason FROM sessions WHERE organization_id = $1',
        [organization.id],
      );
      expect(sessions.length).toBeGreaterThanOrEqual(2);
      expect(sessions.every((s) => s.revoked_reason === 'organization_deleted')).toBe(true);
      const [event] = await auditEvents(t.dataSource, organization.id, 'organization.deleted');
      expect(event).toMatchObject({ outcome: 'success', actor_user_id: platformAdmin.userId });
      expect(event.details).toEqual({ slug: organization.slug, sessions_revoked: sessions.length });

      const read = await as(platformAdmin).get(`/organizations/${organization.id}`).expect(404);
      expect(read.body.code).toBe('ORGANIZATION_NOT_FOUND');
      await as(platformAdmin).delete(`/organizations/${organization.id}`).expect(404);
      const [row] = await t.dataSource.query<{ deleted_at: Date | null }[]>(
        'SELECT deleted_at FROM organizations WHERE id = $1',
        [organization.id],
      );
      expect(row.deleted_at).not.toBeNull();
    });

    it('refuses registration into a deleted organization with 404 and frees its slug', async () => {
      const organization = await createOrganization(t.dataSource);
      await as(platformAdmin).delete(`/organizations/${organization.id}`).expect(204);

      const response = await request(t.server)
        .post(`${API}/auth/register`)
        .send({
          email: `late-${uniqueSuffix()}@example.com`,
          password: 'Test123!@#',
          first_name: 'Late',
          last_name: 'Comer',
          organization_id: organization.id,
        })
        .expect(404);
      expect(response.body.code).toBe('ORGANIZATION_NOT_FOUND');
      await as(platformAdmin)
        .post('/organizations')
        .send({ name: 'Reborn', slug: organization.slug })
        .expect(201);
    });

    it("refuses to delete the caller's own current organization, which could lock them out", async () => {
      const response = await as(platformAdmin)
        .delete(`/organizations/${platformAdmin.organizationId}`)
        .expect(409);
      expect(response.body.code).toBe('ORGANIZATION_IS_CURRENT');
      const [row] = await t.dataSource.query<{ deleted_at: Date | null }[]>(
        'SELECT deleted_at FROM organizations WHERE id = $1',
        [platformAdmin.organizationId],
      );
      expect(row.deleted_at).toBeNull();
      await as(platformAdmin).get('/auth/me').expect(200);
    });

    it('is for platform administrators only', async () => {
      const { organization, owner } = await organizationWithOwner();
      const response = await as(owner).delete(`/organizations/${organization.id}`).expect(403);
      expect(response.body.code).toBe('AUTH_PERMISSION_DENIED');
    });
  });
});

describe('organizations, members and roles in the OpenAPI document', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t.close();
  });

  it('documents every route with a tag, bearer security, a typed success and problems', async () => {
    const response = await request(t.server).get('/enterprise/docs-json').expect(200);
    const paths = response.body.paths as Record<string, Record<string, OpenApiOperation>>;
    const expected: [string, string][] = [
      ['/api/v1/enterprise/organizations', 'post'],
      ['/api/v1/enterprise/organizations', 'get'],
      ['/api/v1/enterprise/organizations/current', 'get'],
      ['/api/v1/enterprise/organizations/current', 'patch'],
      ['/api/v1/enterprise/organizations/{id}', 'get'],
      ['/api/v1/enterprise/organizations/{id}', 'patch'],
      ['/api/v1/enterprise/organizations/{id}', 'delete'],
      ['/api/v1/enterprise/members', 'get'],
      ['/api/v1/enterprise/members/{user_id}', 'get'],
      ['/api/v1/enterprise/members/{user_id}', 'delete'],
      ['/api/v1/enterprise/members/{user_id}/roles', 'put'],
      ['/api/v1/enterprise/members/{user_id}/roles/{role}', 'post'],
      ['/api/v1/enterprise/members/{user_id}/roles/{role}', 'delete'],
      ['/api/v1/enterprise/members/{user_id}/deactivate', 'post'],
      ['/api/v1/enterprise/members/{user_id}/reactivate', 'post'],
      ['/api/v1/enterprise/permissions', 'get'],
      ['/api/v1/enterprise/roles', 'get'],
      ['/api/v1/enterprise/roles', 'post'],
      ['/api/v1/enterprise/roles/{id}', 'get'],
      ['/api/v1/enterprise/roles/{id}', 'patch'],
      ['/api/v1/enterprise/roles/{id}', 'delete'],
      ['/api/v1/enterprise/auth/switch-organization', 'post'],
    ];

    for (const [path, method] of expected) {
      const operation = paths[path]?.[method];
      expect({ path, method, documented: Boolean(operation) }).toEqual({
        path,
        method,
        documented: true,
      });
      expect(operation.tags?.length).toBeGreaterThan(0);
      expect(operation.summary).toBeTruthy();
      expect(operation.security).toEqual([{ bearer: [] }]);
      expect(operation.responses['401']).toBeDefined();
      const success = Object.keys(operation.responses).find((status) => status.startsWith('2'));
      expect(success).toBeDefined();
    }
  });
});

interface OpenApiOperation {
  tags?: string[];
  summary?: string;
  security?: unknown[];
  responses: Record<string, unknown>;
}
