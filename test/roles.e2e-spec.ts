import request from 'supertest';
import { API, Actor, auditEvents, bearer, createMember } from './support/admin';
import { createOrganization, expectProblem } from './support/factories';
import { TestApp, startTestApp } from './support/test-app';

interface RoleBody {
  id: string | null;
  key: string;
  name: string;
  permissions: string[];
  built_in: boolean;
}

describe('roles and permissions', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
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

  async function createRole(owner: Actor, key: string, permissions: string[]): Promise<RoleBody> {
    const response = await as(owner)
      .post('/roles')
      .send({ key, name: key.toUpperCase(), permissions })
      .expect(201);

    return response.body as RoleBody;
  }

  it('lists the permission catalogue with descriptions', async () => {
    const { owner } = await organizationWithOwner();
    const response = await as(owner).get('/permissions').expect(200);
    expect(response.body.data).toEqual(
      expect.arrayContaining([
        { key: 'members:read', description: 'List and read members' },
        { key: 'roles:assign', description: expect.any(String) },
      ]),
    );
  });

  it('lists the built-in roles with their fixed sets, then custom roles', async () => {
    const { owner } = await organizationWithOwner();
    await createRole(owner, 'auditor', ['audit:read', 'members:read']);

    const response = await as(owner).get('/roles').expect(200);
    const roles = response.body.data as RoleBody[];
    expect(roles.map((r) => r.key)).toEqual(['owner', 'admin', 'member', 'viewer', 'auditor']);
    expect(roles[3]).toMatchObject({
      id: null,
      built_in: true,
      permissions: ['organizations:read', 'members:read', 'teams:read'],
    });
    expect(roles[1].permissions).not.toContain('organizations:manage_security');
    expect(roles[4]).toMatchObject({
      built_in: false,
      permissions: ['members:read', 'audit:read'],
    });
    expect(response.body.page).toEqual({ total: 5, limit: 50, offset: 0 });

    const paged = await as(owner).get('/roles?limit=2&offset=3').expect(200);
    expect(paged.body.data.map((r: RoleBody) => r.key)).toEqual(['viewer', 'auditor']);
  });

  it('reads a built-in role by its key and a custom role by its id', async () => {
    const { owner } = await organizationWithOwner();
    const auditor = await createRole(owner, 'auditor', ['audit:read']);
    const listed = (await as(owner).get('/roles').expect(200)).body.data as RoleBody[];

    const viewer = await as(owner).get('/roles/viewer').expect(200);
    expect(viewer.body).toEqual(listed.find((role) => role.key === 'viewer'));
    const custom = await as(owner).get(`/roles/${auditor.id}`).expect(200);
    expect(custom.body).toEqual(listed.find((role) => role.key === 'auditor'));
  });

  it.each(['auditor', 'OWNER', 'not a role'])(
    'refuses %p as a role id: neither a built-in key nor a UUID',
    async (id) => {
      const { owner } = await organizationWithOwner();
      await createRole(owner, 'auditor', ['audit:read']);

      const response = await as(owner).get(`/roles/${encodeURIComponent(id)}`);
      const body = expectProblem(response, 400, 'VALIDATION_FAILED');
      expect(body.detail).toMatch(/UUID or a built-in role key/);
    },
  );

  it('refuses roles:read to a viewer, audited', async () => {
    const { organization } = await organizationWithOwner();
    const viewer = await createMember(t.server, t.dataSource, organization.id, ['viewer']);

    const response = await as(viewer).get('/roles').expect(403);
    expect(response.body.code).toBe('AUTH_PERMISSION_DENIED');
    const [denial] = await auditEvents(t.dataSource, organization.id, 'authorization.denied');
    expect(denial).toMatchObject({
      actor_user_id: viewer.userId,
      details: { required: 'roles:read' },
    });
  });

  describe('create', () => {
    it('creates a custom role and audits it', async () => {
      const { organization, owner } = await organizationWithOwner();

      const role = await createRole(owner, 'support', ['members:read', 'teams:read']);
      expect(role).toMatchObject({ key: 'support', name: 'SUPPORT', built_in: false });
      const read = await as(owner).get(`/roles/${role.id}`).expect(200);
      expect(read.body.key).toBe('support');
      const [event] = await auditEvents(t.dataSource, organization.id, 'role.created');
      expect(event).toMatchObject({ target_id: role.id, details: { key: 'support' } });
    });

    it.each([['owner'], ['admin'], ['viewer']])(
      'refuses the built-in key %s with 409',
      async (key) => {
        const { owner } = await organizationWithOwner();
        const response = await as(owner)
          .post('/roles')
          .send({ key, name: 'Mine', permissions: [] })
          .expect(409);
        expect(response.body.code).toBe('ROLE_KEY_TAKEN');
      },
    );

    it('refuses a key already used in the organization, but not in another', async () => {
      const { owner } = await organizationWithOwner();
      await createRole(owner, 'dup', []);
      const response = await as(owner)
        .post('/roles')
        .send({ key: 'dup', name: 'Dup', permissions: [] })
        .expect(409);
      expect(response.body.code).toBe('ROLE_KEY_TAKEN');

      const other = await organizationWithOwner();
      await createRole(other.owner, 'dup', []);
    });

    it.each([['Upper'], ['with space'], ['1starts-with-digit'], ['a'.repeat(51)]])(
      'refuses the key %s with 400',
      async (key) => {
        const { owner } = await organizationWithOwner();
        await as(owner).post('/roles').send({ key, name: 'X', permissions: [] }).expect(400);
      },
    );

    it('refuses unknown permissions with 400, listing them', async () => {
      const { owner } = await organizationWithOwner();
      const response = await as(owner)
        .post('/roles')
        .send({ key: 'bad', name: 'Bad', permissions: ['members:read', 'root:all', 'x'] })
        .expect(400);
      expect(response.body.code).toBe('ROLE_UNKNOWN_PERMISSIONS');
      expect(response.body.errors).toEqual([
        { field: 'permissions', message: 'root:all is not a known permission' },
        { field: 'permissions', message: 'x is not a known permission' },
      ]);
    });

    it('refuses (403, audited) a role granting what the caller does not hold', async () => {
      const { organization } = await organizationWithOwner();
      const admin = await createMember(t.server, t.dataSource, organization.id, ['admin']);

      const response = await as(admin)
        .post('/roles')
        .send({ key: 'security', name: 'Sec', permissions: ['organizations:manage_security'] })
        .expect(403);
      expect(response.body.code).toBe('ROLE_GRANT_FORBIDDEN');
      const [denial] = await auditEvents(t.dataSource, organization.id, 'authorization.denied');
      expect(denial.details).toMatchObject({
        code: 'ROLE_GRANT_FORBIDDEN',
        missing_permissions: ['organizations:manage_security'],
      });
      await as(admin)
        .post('/roles')
        .send({ key: 'helper', name: 'Helper', permissions: ['members:read'] })
        .expect(201);
    });

    it('refuses roles:create to a member', async () => {
      const { organization } = await organizationWithOwner();
      const member = await createMember(t.server, t.dataSource, organization.id, ['member']);
      await as(member).post('/roles').send({ key: 'x', name: 'X', permissions: [] }).expect(403);
    });
  });

  describe('update and delete', () => {
    it('updates name, description and permissions, auditing the difference', async () => {
      const { organization, owner } = await organizationWithOwner();
      const role = await createRole(owner, 'ops', ['members:read']);

      const response = await as(owner)
        .patch(`/roles/${role.id}`)
        .send({ name: 'Operations', description: 'Runs things', permissions: ['teams:read'] })
        .expect(200);
      expect(response.body).toMatchObject({
        key: 'ops',
        name: 'Operations',
        description: 'Runs things',
        permissions: ['teams:read'],
      });
      const [event] = await auditEvents(t.dataSource, organization.id, 'role.updated');
      expect(event.details).toEqual({
        key: 'ops',
        changed_fields: ['name', 'description', 'permissions'],
        added_permissions: ['teams:read'],
        removed_permissions: ['members:read'],
      });
    });

    it('refuses an admin widening a role beyond their permissions, or editing a wider one', async () => {
      const { organization, owner } = await organizationWithOwner();
      const admin = await createMember(t.server, t.dataSource, organization.id, ['admin']);
      const role = await createRole(owner, 'narrow', ['members:read']);
      const wide = await createRole(owner, 'wide', ['organizations:manage_security']);

      await as(admin)
        .patch(`/roles/${role.id}`)
        .send({ permissions: ['members:read', 'organizations:manage_security'] })
        .expect(403);
      await as(admin).patch(`/roles/${wide.id}`).send({ permissions: [] }).expect(403);
      await as(admin).delete(`/roles/${wide.id}`).expect(403);
      await as(admin).patch(`/roles/${role.id}`).send({ name: 'Narrower' }).expect(200);
    });

    it("answers 404 for another organization's role, and for a built-in one", async () => {
      const { owner } = await organizationWithOwner();
      const other = await organizationWithOwner();
      const foreign = await createRole(other.owner, 'foreign', ['members:read']);

      for (const call of [
        as(owner).get(`/roles/${foreign.id}`),
        as(owner).patch(`/roles/${foreign.id}`).send({ name: 'Mine now' }),
        as(owner).delete(`/roles/${foreign.id}`),
      ]) {
        const response = await call.expect(404);
        expect(response.body.code).toBe('ROLE_NOT_FOUND');
      }
      // Another organization's custom key is no role here either.
      const mine = await createMember(t.server, t.dataSource, owner.organizationId);
      const assign = await as(owner).post(`/members/${mine.userId}/roles/foreign`).expect(404);
      expect(assign.body.code).toBe('ROLE_NOT_FOUND');
      const [row] = await t.dataSource.query<{ name: string }[]>(
        'SELECT name FROM roles WHERE id = $1',
        [foreign.id],
      );
      expect(row.name).toBe('FOREIGN');
    });

    it('deletes a role and takes its key from every member in the same change', async () => {
      const { organization, owner } = await organizationWithOwner();
      const role = await createRole(owner, 'temp', ['members:read']);
      const member = await createMember(t.server, t.dataSource, organization.id, ['viewer']);
      await as(owner).post(`/members/${member.userId}/roles/temp`).expect(200);

      await as(owner).delete(`/roles/${role.id}`).expect(204);

      const read = await as(owner).get(`/members/${member.userId}`).expect(200);
      expect(read.body.roles).toEqual(['viewer']);
      await as(owner).get(`/roles/${role.id}`).expect(404);
      const [event] = await auditEvents(t.dataSource, organization.id, 'role.deleted');
      expect(event.details).toEqual({ key: 'temp', members_affected: 1 });
    });
  });

  it("applies a role change to the member's very next request", async () => {
    const { organization, owner } = await organizationWithOwner();
    const role = await createRole(owner, 'reader', ['organizations:read']);
    const member = await createMember(t.server, t.dataSource, organization.id, ['reader']);

    await as(member).get('/members').expect(403);
    await as(owner)
      .patch(`/roles/${role.id}`)
      .send({ permissions: ['organizations:read', 'members:read'] })
      .expect(200);
    await as(member).get('/members').expect(200);

    await as(owner).patch(`/roles/${role.id}`).send({ permissions: [] }).expect(200);
    await as(member).get('/members').expect(403);
    await as(member).get('/organizations/current').expect(403);

    // A built-in role change through membership applies just as fast.
    await as(owner).post(`/members/${member.userId}/roles/viewer`).expect(200);
    await as(member).get('/members').expect(200);
  });

  it('keeps a role consistent under two parallel edits', async () => {
    const { organization, owner } = await organizationWithOwner();
    const admin = await createMember(t.server, t.dataSource, organization.id, ['admin']);
    const role = await createRole(owner, 'contested', ['members:read']);
    const bodies = [
      { name: 'Team readers', permissions: ['teams:read'] },
      { name: 'Audit readers', permissions: ['audit:read', 'audit:export'] },
    ];

    for (let round = 0; round < 3; round += 1) {
      const results = await Promise.all([
        as(owner).patch(`/roles/${role.id}`).send(bodies[0]),
        as(admin).patch(`/roles/${role.id}`).send(bodies[1]),
      ]);
      expect(results.map((r) => r.status)).toEqual([200, 200]);

      const [row] = await t.dataSource.query<{ name: string; permissions: string[] }[]>(
        'SELECT name, permissions FROM roles WHERE id = $1',
        [role.id],
      );
      expect(bodies).toContainEqual(row);
      bodies.reverse();
    }
    const events = await auditEvents(t.dataSource, organization.id, 'role.updated');
    expect(events.length).toBeGreaterThanOrEqual(3);
  });
});
