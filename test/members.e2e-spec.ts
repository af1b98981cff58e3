import request from 'supertest';
import { API, Actor, auditEvents, bearer, createMember, loginTo } from './support/admin';
import { createOrganization, uniqueSuffix } from './support/factories';
import { TestApp, startTestApp } from './support/test-app';

interface MemberBody {
  user_id: string;
  email: string;
  roles: string[];
  status: string;
  teams: { id: string; name: string }[];
}

describe('members', () => {
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
    put: (path: string) =>
      request(t.server).put(`${API}${path}`).set('Authorization', bearer(actor)),
    delete: (path: string) =>
      request(t.server).delete(`${API}${path}`).set('Authorization', bearer(actor)),
  });

  async function organizationWithOwner() {
    const organization = await createOrganization(t.dataSource);
    const owner = await createMember(t.server, t.dataSource, organization.id, ['owner']);

    return { organization, owner };
  }

  async function createTeam(organizationId: string, name: string, userIds: string[]) {
    const [team] = await t.dataSource.query<{ id: string }[]>(
      'INSERT INTO teams (organization_id, name, slug) VALUES ($1, $2, $3) RETURNING id',
      [organizationId, name, `${name.toLowerCase()}-${uniqueSuffix()}`],
    );
    for (const userId of userIds) {
      await t.dataSource.query('INSERT INTO team_members (team_id, user_id) VALUES ($1, $2)', [
        team.id,
        userId,
      ]);
    }

    return team.id;
  }

  describe('listing', () => {
    let owner: Actor;
    let ada: Actor;
    let bob: Actor;
    let teamId: string;
    let organizationId: string;

    beforeAll(async () => {
      const setup = await organizationWithOwner();
      owner = setup.owner;
      organizationId = setup.organization.id;
      ada = await createMember(t.server, t.dataSource, organizationId, ['admin'], {
        first_name: 'Ada',
        last_name: 'Lovelace',
      });
      bob = await createMember(t.server, t.dataSource, organizationId, ['viewer'], {
        first_name: 'Bob',
        last_name: 'Builder',
        email: `bob-${uniqueSuffix()}@builders.test`,
      });
      teamId = await createTeam(organizationId, 'Engines', [ada.userId]);
      await t.dataSource.query(
        "UPDATE memberships SET status = 'deactivated' WHERE user_id = $1 AND organization_id = $2",
        [bob.userId, organizationId],
      );
    });

    it('lists the members with the member DTO, paginated', async () => {
      const first = await as(owner).get('/members?limit=2').expect(200);
      expect(first.body.page).toEqual({ total: 3, limit: 2, offset: 0 });
      expect(first.body.data).toHaveLength(2);
      const second = await as(owner).get('/members?limit=2&offset=2').expect(200);
      expect(second.body.data).toHaveLength(1);

      const all = [...first.body.data, ...second.body.data] as MemberBody[];
      const adaRow = all.find((m) => m.user_id === ada.userId);
      expect(adaRow).toEqual({
        user_id: ada.userId,
        email: ada.email,
        first_name: 'Ada',
        last_name: 'Lovelace',
        roles: ['admin'],
        status: 'active',
        teams: [{ id: teamId, name: 'Engines' }],
        joined_at: expect.any(String),
        last_login_at: expect.any(String),
      });
    });

    it.each([
      ['search=lovelace', () => [ada.userId]],
      ['search=ada%20love', () => [ada.userId]],
      ['search=builders.test', () => [bob.userId]],
      ['role=viewer', () => [bob.userId]],
      ['role=owner', () => [owner.userId]],
      ['status=deactivated', () => [bob.userId]],
      ['status=active&role=admin', () => [ada.userId]],
    ])('filters with %s', async (filter, expected) => {
      const response = await as(owner).get(`/members?${filter}`).expect(200);
      expect(response.body.data.map((m: MemberBody) => m.user_id)).toEqual(expected());
    });

    it('filters by team', async () => {
      const response = await as(owner).get(`/members?team_id=${teamId}`).expect(200);
      expect(response.body.data.map((m: MemberBody) => m.user_id)).toEqual([ada.userId]);
    });

    it("answers 404 for another organization's team in the filter", async () => {
      const other = await organizationWithOwner();
      const foreignTeam = await createTeam(other.organization.id, 'Foreign', [other.owner.userId]);

      const response = await as(owner).get(`/members?team_id=${foreignTeam}`).expect(404);
      expect(response.body.code).toBe('TEAM_NOT_FOUND');
    });

    it('reads one member, and 404 for a user of another organization', async () => {
      const read = await as(owner).get(`/members/${ada.userId}`).expect(200);
      expect(read.body).toMatchObject({ user_id: ada.userId, roles: ['admin'] });

      const other = await organizationWithOwner();
      const response = await as(owner).get(`/members/${other.owner.userId}`).expect(404);
      expect(response.body.code).toBe('MEMBER_NOT_FOUND');
      expect(JSON.stringify(response.body)).not.toContain(other.owner.email);
    });

    it('refuses a status that is not one', async () => {
      await as(owner).get('/members?status=gone').expect(400);
    });
  });

  describe('roles', () => {
    it('lets an owner replace roles and audits what was added and removed', async () => {
      const { organization, owner } = await organizationWithOwner();
      const member = await createMember(t.server, t.dataSource, organization.id, ['member']);

      const response = await as(owner)
        .put(`/members/${member.userId}/roles`)
        .send({ roles: ['admin', 'viewer'] })
        .expect(200);
      expect(response.body.roles).toEqual(['admin', 'viewer']);
      const [event] = await auditEvents(t.dataSource, organization.id, 'member.roles_updated');
      expect(event).toMatchObject({
        actor_user_id: owner.userId,
        target_id: member.userId,
        details: { added: ['admin', 'viewer'], removed: ['member'] },
      });
    });

    it('assigns and unassigns one role', async () => {
      const { organization, owner } = await organizationWithOwner();
      const member = await createMember(t.server, t.dataSource, organization.id, ['member']);

      const assigned = await as(owner).post(`/members/${member.userId}/roles/viewer`).expect(200);
      expect(assigned.body.roles).toEqual(['member', 'viewer']);
      const unassigned = await as(owner)
        .delete(`/members/${member.userId}/roles/member`)
        .expect(200);
      expect(unassigned.body.roles).toEqual(['viewer']);

      const last = await as(owner).delete(`/members/${member.userId}/roles/viewer`).expect(409);
      expect(last.body.code).toBe('MEMBER_ROLE_REQUIRED');
      const unknown = await as(owner).post(`/members/${member.userId}/roles/wizard`).expect(404);
      expect(unknown.body.code).toBe('ROLE_NOT_FOUND');
      const actions = (await auditEvents(t.dataSource, organization.id)).map((e) => e.action);
      expect(actions).toEqual(
        expect.arrayContaining(['member.role_assigned', 'member.role_unassigned']),
      );
    });

    it('refuses roles that do not exist, naming them', async () => {
      const { organization, owner } = await organizationWithOwner();
      const member = await createMember(t.server, t.dataSource, organization.id);

      const response = await as(owner)
        .put(`/members/${member.userId}/roles`)
        .send({ roles: ['member', 'wizard'] })
        .expect(400);
      expect(response.body).toMatchObject({ code: 'ROLE_UNKNOWN' });
      expect(response.body.detail).toContain('wizard');
    });

    it('refuses a role given with the wrong shape', async () => {
      const { organization, owner } = await organizationWithOwner();
      const member = await createMember(t.server, t.dataSource, organization.id);
      for (const body of [{ roles: [] }, { roles: ['Owner'] }, { roles: 'owner' }, {}]) {
        await as(owner).put(`/members/${member.userId}/roles`).send(body).expect(400);
      }
    });

    it('does not let an admin make an owner, and audits the denial', async () => {
      const { organization } = await organizationWithOwner();
      const admin = await createMember(t.server, t.dataSource, organization.id, ['admin']);
      const member = await createMember(t.server, t.dataSource, organization.id, ['member']);

      const response = await as(admin)
        .put(`/members/${member.userId}/roles`)
        .send({ roles: ['owner'] })
        .expect(403);
      expect(response.body.code).toBe('ROLE_GRANT_FORBIDDEN');
      expect(response.body.detail).toContain('organizations:manage_security');
      await as(admin).post(`/members/${member.userId}/roles/owner`).expect(403);
      const denials = await auditEvents(t.dataSource, organization.id, 'authorization.denied');
      expect(denials).toHaveLength(2);
      expect(denials[0]).toMatchObject({
        actor_user_id: admin.userId,
        target_type: 'member',
        target_id: member.userId,
        details: { code: 'ROLE_GRANT_FORBIDDEN' },
      });
      const read = await as(admin).get(`/members/${member.userId}`).expect(200);
      expect(read.body.roles).toEqual(['member']);
    });

    it('does not let an admin unmake, deactivate or remove an owner', async () => {
      const { organization, owner } = await organizationWithOwner();
      const admin = await createMember(t.server, t.dataSource, organization.id, ['admin']);

      const demote = await as(admin)
        .put(`/members/${owner.userId}/roles`)
        .send({ roles: ['admin'] })
        .expect(403);
      expect(demote.body.code).toBe('ROLE_GRANT_FORBIDDEN');
      await as(admin).delete(`/members/${owner.userId}/roles/owner`).expect(403);
      const deactivate = await as(admin).post(`/members/${owner.userId}/deactivate`).expect(403);
      expect(deactivate.body.code).toBe('MEMBER_ACTION_FORBIDDEN');
      await as(admin).delete(`/members/${owner.userId}`).expect(403);
    });

    it('lets an admin manage roles within their own permissions', async () => {
      const { organization } = await organizationWithOwner();
      const admin = await createMember(t.server, t.dataSource, organization.id, ['admin']);
      const member = await createMember(t.server, t.dataSource, organization.id, ['member']);

      await as(admin)
        .put(`/members/${member.userId}/roles`)
        .send({ roles: ['admin'] })
        .expect(200);
    });

    it('refuses a member without members:update or roles:assign, audited', async () => {
      const { organization } = await organizationWithOwner();
      const member = await createMember(t.server, t.dataSource, organization.id, ['member']);
      const other = await createMember(t.server, t.dataSource, organization.id, ['viewer']);

      const response = await as(member)
        .put(`/members/${other.userId}/roles`)
        .send({ roles: ['admin'] })
        .expect(403);
      expect(response.body).toMatchObject({ code: 'AUTH_PERMISSION_DENIED' });
      expect(response.body.detail).toContain('members:update or roles:assign');
      const [denial] = await auditEvents(t.dataSource, organization.id, 'authorization.denied');
      expect(denial).toMatchObject({
        actor_user_id: member.userId,
        outcome: 'denied',
        target_id: 'PUT /api/v1/enterprise/members/:user_id/roles',
      });
    });

    it('accepts roles:assign alone for replacing roles', async () => {
      const { organization, owner } = await organizationWithOwner();
      await t.dataSource.query(
        `INSERT INTO roles (organization_id, key, name, permissions)
         VALUES ($1, 'assigner', 'Assigner', '{roles:assign,members:read}')`,
        [organization.id],
      );
      const assigner = await createMember(t.server, t.dataSource, organization.id, ['assigner']);
      const member = await createMember(t.server, t.dataSource, organization.id, ['member']);

      // roles:assign suffices to pass the route, but member/viewer hold more than assigner.
      const response = await as(assigner)
        .put(`/members/${member.userId}/roles`)
        .send({ roles: ['viewer'] })
        .expect(403);
      expect(response.body.code).toBe('ROLE_GRANT_FORBIDDEN');
      await as(owner)
        .put(`/members/${member.userId}/roles`)
        .send({ roles: ['assigner'] })
        .expect(200);
    });

    it("answers 404 for another organization's member", async () => {
      const { owner } = await organizationWithOwner();
      const other = await organizationWithOwner();
      const foreign = await createMember(t.server, t.dataSource, other.organization.id);

      for (const call of [
        as(owner)
          .put(`/members/${foreign.userId}/roles`)
          .send({ roles: ['viewer'] }),
        as(owner).post(`/members/${foreign.userId}/roles/viewer`),
        as(owner).post(`/members/${foreign.userId}/deactivate`),
        as(owner).post(`/members/${foreign.userId}/reactivate`),
        as(owner).delete(`/members/${foreign.userId}`),
      ]) {
        const response = await call.expect(404);
        expect(response.body.code).toBe('MEMBER_NOT_FOUND');
      }
      const [row] = await t.dataSource.query<{ roles: string[]; status: string }[]>(
        'SELECT roles, status FROM memberships WHERE user_id = $1',
        [foreign.userId],
      );
      expect(row).toEqual({ roles: ['member'], status: 'active' });
    });
  });

  describe('last owner', () => {
    it('cannot be demoted, deactivated or removed, even by themselves', async () => {
      const { organization, owner } = await organizationWithOwner();
      await createMember(t.server, t.dataSource, organization.id, ['admin']);

      for (const call of [
        as(owner)
          .put(`/members/${owner.userId}/roles`)
          .send({ roles: ['admin'] }),
        as(owner).delete(`/members/${owner.userId}/roles/owner`),
        as(owner).post(`/members/${owner.userId}/deactivate`),
        as(owner).delete(`/members/${owner.userId}`),
      ]) {
        const response = await call.expect(409);
        expect(response.body.code).toBe('MEMBER_LAST_OWNER');
      }
      const read = await as(owner).get(`/members/${owner.userId}`).expect(200);
      expect(read.body).toMatchObject({ roles: ['owner'], status: 'active' });
    });

    it('does not count a deactivated owner', async () => {
      const { organization, owner } = await organizationWithOwner();
      const second = await createMember(t.server, t.dataSource, organization.id, ['owner']);
      await as(owner).post(`/members/${second.userId}/deactivate`).expect(200);

      const response = await as(owner)
        .put(`/members/${owner.userId}/roles`)
        .send({ roles: ['admin'] })
        .expect(409);
      expect(response.body.code).toBe('MEMBER_LAST_OWNER');
    });

    it('can step down once another owner exists', async () => {
      const { organization, owner } = await organizationWithOwner();
      const member = await createMember(t.server, t.dataSource, organization.id, ['member']);
      await as(owner).post(`/members/${member.userId}/roles/owner`).expect(200);

      const response = await as(owner)
        .put(`/members/${owner.userId}/roles`)
        .send({ roles: ['admin'] })
        .expect(200);
      expect(response.body.roles).toEqual(['admin']);
    });

    it('survives two parallel demotions of the two last owners: exactly one succeeds', async () => {
      for (let round = 0; round < 3; round += 1) {
        const { organization, owner: first } = await organizationWithOwner();
        const second = await createMember(t.server, t.dataSource, organization.id, ['owner']);

        const results = await Promise.all([
          as(first)
            .put(`/members/${second.userId}/roles`)
            .send({ roles: ['admin'] }),
          as(second)
            .put(`/members/${first.userId}/roles`)
            .send({ roles: ['admin'] }),
        ]);
        const statuses = results.map((r) => r.status).sort();
        expect(statuses[0]).toBe(200);
        expect([403, 409]).toContain(statuses[1]);

        const [{ owners }] = await t.dataSource.query<{ owners: number }[]>(
          `SELECT count(*)::int AS owners FROM memberships
            WHERE organization_id = $1 AND status = 'active' AND 'owner' = ANY (roles)`,
          [organization.id],
        );
        expect(owners).toBe(1);
      }
    });

    it('survives parallel removals of two owners: one owner remains', async () => {
      const { organization, owner: first } = await organizationWithOwner();
      const second = await createMember(t.server, t.dataSource, organization.id, ['owner']);

      const results = await Promise.all([
        as(first).delete(`/members/${second.userId}`),
        as(second).delete(`/members/${first.userId}`),
        as(first).post(`/members/${first.userId}/deactivate`),
      ]);
      expect(results.filter((r) => r.status < 300).length).toBeGreaterThanOrEqual(1);
      const [{ owners }] = await t.dataSource.query<{ owners: number }[]>(
        `SELECT count(*)::int AS owners FROM memberships
          WHERE organization_id = $1 AND status = 'active' AND 'owner' = ANY (roles)`,
        [organization.id],
      );
      expect(owners).toBe(1);
    });
  });

  describe('deactivate, reactivate, remove', () => {
    it("deactivation ends the member's access at once; reactivation restores sign-in", async () => {
      const { organization, owner } = await organizationWithOwner();
      const member = await createMember(t.server, t.dataSource, organization.id, ['member']);

      const deactivated = await as(owner).post(`/members/${member.userId}/deactivate`).expect(200);
      expect(deactivated.body.status).toBe('deactivated');

      const me = await as(member).get('/auth/me').expect(401);
      expect(me.body.code).toBe('AUTH_TOKEN_REVOKED');
      await request(t.server)
        .post(`${API}/auth/refresh`)
        .send({ refresh_token: member.refreshToken })
        .expect(401);
      const login = await request(t.server)
        .post(`${API}/auth/login`)
        .send({ email: member.email, password: member.password })
        .expect(403);
      expect(login.body.code).toBe('AUTH_ORGANIZATION_ACCESS_DENIED');
      const sessions = await t.dataSource.query<{ revoked_reason: string }[]>(
        'SELECT revoked_reason FROM sessions WHERE user_id = $1',
        [member.userId],
      );
      expect(sessions.map((s) => s.revoked_reason)).toEqual(['membership_deactivated']);
      // Deactivating again changes nothing.
      await as(owner).post(`/members/${member.userId}/deactivate`).expect(200);

      const reactivated = await as(owner).post(`/members/${member.userId}/reactivate`).expect(200);
      expect(reactivated.body.status).toBe('active');
      const tokens = await loginTo(t.server, member);
      await request(t.server)
        .get(`${API}/auth/me`)
        .set('Authorization', `Bearer ${tokens.access_token}`)
        .expect(200);

      const actions = (await auditEvents(t.dataSource, organization.id))
        .filter((e) => e.target_id === member.userId && e.action.startsWith('member.'))
        .map((e) => e.action);
      expect(actions).toEqual(['member.deactivated', 'member.reactivated']);
      const [deactivation] = await auditEvents(t.dataSource, organization.id, 'member.deactivated');
      expect(deactivation.details).toEqual({ sessions_revoked: 1 });
    });

    it('reactivation respects max_users', async () => {
      const { organization, owner } = await organizationWithOwner();
      const member = await createMember(t.server, t.dataSource, organization.id);
      await as(owner).post(`/members/${member.userId}/deactivate`).expect(200);
      await createMember(t.server, t.dataSource, organization.id);
      await t.dataSource.query('UPDATE organizations SET max_users = 2 WHERE id = $1', [
        organization.id,
      ]);

      const response = await as(owner).post(`/members/${member.userId}/reactivate`).expect(409);
      expect(response.body.code).toBe('ORGANIZATION_FULL');
    });

    it('removal deletes the membership and team places and ends access', async () => {
      const { organization, owner } = await organizationWithOwner();
      const member = await createMember(t.server, t.dataSource, organization.id);
      await createTeam(organization.id, 'Crew', [member.userId]);

      await as(owner).delete(`/members/${member.userId}`).expect(204);

      await as(owner).get(`/members/${member.userId}`).expect(404);
      await as(member).get('/auth/me').expect(401);
      const [{ places }] = await t.dataSource.query<{ places: number }[]>(
        'SELECT count(*)::int AS places FROM team_members WHERE user_id = $1',
        [member.userId],
      );
      expect(places).toBe(0);
      const [event] = await auditEvents(t.dataSource, organization.id, 'member.removed');
      expect(event).toMatchObject({ target_id: member.userId, details: { roles: ['member'] } });
    });

    it('refuses deactivation without members:deactivate, audited', async () => {
      const { organization } = await organizationWithOwner();
      const viewer = await createMember(t.server, t.dataSource, organization.id, ['viewer']);
      const member = await createMember(t.server, t.dataSource, organization.id);

      await as(viewer).post(`/members/${member.userId}/deactivate`).expect(403);
      await as(viewer).delete(`/members/${member.userId}`).expect(403);
      const denials = await auditEvents(t.dataSource, organization.id, 'authorization.denied');
      expect(denials.map((d) => d.details.required)).toEqual([
        'members:deactivate',
        'members:remove',
      ]);
    });
  });
});
