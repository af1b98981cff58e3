import request from 'supertest';
import {
  API,
  createOrganization,
  erroredFields,
  expectProblem,
  uniqueSuffix,
} from './support/factories';
import { SignedInUser, bearer, orgAdmin, signedInMember } from './support/org-admin';
import { TestApp, startTestApp } from './support/test-app';

interface TeamBody {
  id: string;
  name: string;
  slug: string;
  description: string | null;
  member_count: number;
}

describe('teams', () => {
  let t: TestApp;
  let organizationId: string;
  let admin: SignedInUser;

  beforeAll(async () => {
    t = await startTestApp();
    organizationId = (await createOrganization(t.dataSource)).id;
    admin = await orgAdmin(t, organizationId);
  });

  afterAll(async () => {
    await t.close();
  });

  async function createTeam(
    by: SignedInUser,
    body: Record<string, unknown> = {},
    status = 201,
  ): Promise<TeamBody> {
    const response = await request(t.server)
      .post(`${API}/teams`)
      .set(bearer(by))
      .send({ name: `Team ${uniqueSuffix()}`, ...body })
      .expect(status);

    return response.body as TeamBody;
  }

  async function auditActions(targetId: string): Promise<string[]> {
    const rows = await t.dataSource.query<{ action: string }[]>(
      'SELECT action FROM audit_events WHERE organization_id = $1 AND target_id = $2 ORDER BY sequence',
      [organizationId, targetId],
    );
    return rows.map((row) => row.action);
  }

  it('creates, reads, lists, updates and deletes a team', async () => {
    const suffix = uniqueSuffix();
    const team = await createTeam(admin, {
      name: `Platform Reliability ${suffix}`,
      description: 'On call',
    });
    expect(team).toMatchObject({
      name: `Platform Reliability ${suffix}`,
      slug: `platform-reliability-${suffix}`,
      description: 'On call',
      member_count: 0,
      organization_id: organizationId,
    });

    await request(t.server).get(`${API}/teams/${team.id}`).set(bearer(admin)).expect(200);
    const found = await request(t.server)
      .get(`${API}/teams?search=${suffix.toUpperCase()}`)
      .set(bearer(admin))
      .expect(200);
    expect(found.body.data.map((x: TeamBody) => x.id)).toEqual([team.id]);
    expect(found.body.page).toMatchObject({ total: 1, limit: 50, offset: 0 });

    const updated = await request(t.server)
      .patch(`${API}/teams/${team.id}`)
      .set(bearer(admin))
      .send({ name: 'SRE', slug: `sre-${suffix}`, description: null })
      .expect(200);
    expect(updated.body).toMatchObject({ name: 'SRE', slug: `sre-${suffix}`, description: null });

    await request(t.server).delete(`${API}/teams/${team.id}`).set(bearer(admin)).expect(204);
    const gone = await request(t.server)
      .get(`${API}/teams/${team.id}`)
      .set(bearer(admin))
      .expect(404);
    expect(gone.body.code).toBe('TEAM_NOT_FOUND');
    // The slug of a deleted team is free again.
    await createTeam(admin, { slug: `sre-${suffix}` });
    expect(await auditActions(team.id)).toEqual(['team.created', 'team.updated', 'team.deleted']);
  });

  it.each(['name', 'slug'])(
    'refuses a null %s on update with 400, changing nothing',
    async (field) => {
      const team = await createTeam(admin);

      const response = await request(t.server)
        .patch(`${API}/teams/${team.id}`)
        .set(bearer(admin))
        .send({ [field]: null });

      const body = expectProblem(response, 400, 'VALIDATION_FAILED');
      expect(erroredFields(body)).toEqual([field]);
      const after = await request(t.server).get(`${API}/teams/${team.id}`).set(bearer(admin));
      expect(after.body).toMatchObject({ name: team.name, slug: team.slug });
    },
  );

  it('refuses a null slug on create with 400 naming it, rather than deriving one', async () => {
    const name = `Team ${uniqueSuffix()}`;

    const response = await request(t.server)
      .post(`${API}/teams`)
      .set(bearer(admin))
      .send({ name, slug: null });

    const body = expectProblem(response, 400, 'VALIDATION_FAILED');
    expect(erroredFields(body)).toEqual(['slug']);
    const [{ count }] = await t.dataSource.query<{ count: string }[]>(
      'SELECT count(*) FROM teams WHERE organization_id = $1 AND name = $2',
      [organizationId, name],
    );
    expect(Number(count)).toBe(0);
  });

  it('refuses a null role when adding a team member, rather than taking the default', async () => {
    const team = await createTeam(admin);
    const member = await signedInMember(t, organizationId);

    const response = await request(t.server)
      .post(`${API}/teams/${team.id}/members`)
      .set(bearer(admin))
      .send({ user_id: member.userId, role: null });

    const body = expectProblem(response, 400, 'VALIDATION_FAILED');
    expect(erroredFields(body)).toEqual(['role']);
  });

  it('refuses a slug already used by a live team of the organization', async () => {
    const slug = `dup-${uniqueSuffix()}`;
    await createTeam(admin, { slug });

    const clash = await request(t.server)
      .post(`${API}/teams`)
      .set(bearer(admin))
      .send({ name: 'Other', slug })
      .expect(409);
    expect(clash.body.code).toBe('TEAM_SLUG_TAKEN');

    const other = await createTeam(admin);
    const renamed = await request(t.server)
      .patch(`${API}/teams/${other.id}`)
      .set(bearer(admin))
      .send({ slug })
      .expect(409);
    expect(renamed.body.code).toBe('TEAM_SLUG_TAKEN');

    // Another organization may use the same slug.
    const elsewhere = await orgAdmin(t, (await createOrganization(t.dataSource)).id);
    await createTeam(elsewhere, { slug });
  });

  it.each([
    ['an empty name', { name: '' }],
    ['an invalid slug', { slug: 'Not A Slug' }],
    ['an unknown field', { owner_id: 'x' }],
  ])('refuses %s', async (_label, body) => {
    const response = await request(t.server)
      .post(`${API}/teams`)
      .set(bearer(admin))
      .send({ name: 'Valid', ...body })
      .expect(400);

    expect(response.body.code).toBe('VALIDATION_FAILED');
  });

  it('manages team members; a member can be on several teams', async () => {
    const first = await createTeam(admin);
    const second = await createTeam(admin);
    const member = await signedInMember(t, organizationId);

    const added = await request(t.server)
      .post(`${API}/teams/${first.id}/members`)
      .set(bearer(admin))
      .send({ user_id: member.userId, role: 'maintainer' })
      .expect(201);
    expect(added.body).toMatchObject({
      user_id: member.userId,
      email: member.email,
      role: 'maintainer',
    });
    await request(t.server)
      .post(`${API}/teams/${second.id}/members`)
      .set(bearer(admin))
      .send({ user_id: member.userId })
      .expect(201);

    const twice = await request(t.server)
      .post(`${API}/teams/${first.id}/members`)
      .set(bearer(admin))
      .send({ user_id: member.userId, role: 'member' })
      .expect(409);
    expect(twice.body.code).toBe('TEAM_MEMBER_EXISTS');

    const listed = await request(t.server)
      .get(`${API}/teams/${first.id}/members`)
      .set(bearer(member))
      .expect(200);
    expect(listed.body.data).toEqual([expect.objectContaining({ user_id: member.userId })]);
    const read = await request(t.server)
      .get(`${API}/teams/${second.id}`)
      .set(bearer(admin))
      .expect(200);
    expect(read.body.member_count).toBe(1);

    const changed = await request(t.server)
      .patch(`${API}/teams/${first.id}/members/${member.userId}`)
      .set(bearer(admin))
      .send({ role: 'member' })
      .expect(200);
    expect(changed.body.role).toBe('member');

    await request(t.server)
      .delete(`${API}/teams/${first.id}/members/${member.userId}`)
      .set(bearer(admin))
      .expect(204);
    const missing = await request(t.server)
      .patch(`${API}/teams/${first.id}/members/${member.userId}`)
      .set(bearer(admin))
      .send({ role: 'maintainer' })
      .expect(404);
    expect(missing.body.code).toBe('TEAM_MEMBER_NOT_FOUND');

    expect(await auditActions(first.id)).toEqual([
      'team.created',
      'team.member_added',
      'team.member_updated',
      'team.member_removed',
    ]);
  });

  it('adds only active members of the organization', async () => {
    const team = await createTeam(admin);
    const outsider = await orgAdmin(t, (await createOrganization(t.dataSource)).id);
    const deactivated = await signedInMember(t, organizationId);
    await t.dataSource.query(
      "UPDATE memberships SET status = 'deactivated' WHERE user_id = $1 AND organization_id = $2",
      [deactivated.userId, organizationId],
    );

    for (const userId of [outsider.userId, deactivated.userId, crypto.randomUUID()]) {
      const response = await request(t.server)
        .post(`${API}/teams/${team.id}/members`)
        .set(bearer(admin))
        .send({ user_id: userId, role: 'member' })
        .expect(404);
      expect(response.body.code).toBe('TEAM_USER_NOT_FOUND');
    }
  });

  it('checks permissions: a viewer reads but cannot change teams', async () => {
    const team = await createTeam(admin);
    const viewer = await signedInMember(t, organizationId, ['viewer']);

    await request(t.server).get(`${API}/teams/${team.id}`).set(bearer(viewer)).expect(200);
    const denied = await request(t.server)
      .post(`${API}/teams`)
      .set(bearer(viewer))
      .send({ name: 'Nope' })
      .expect(403);
    expect(denied.body.code).toBe('AUTH_PERMISSION_DENIED');
    await request(t.server).delete(`${API}/teams/${team.id}`).set(bearer(viewer)).expect(403);
  });

  it('never creates more teams than max_teams, however many requests race', async () => {
    const limited = await createOrganization(t.dataSource, { maxTeams: 3 });
    const owner = await orgAdmin(t, limited.id);

    const responses = await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        request(t.server)
          .post(`${API}/teams`)
          .set(bearer(owner))
          .send({ name: `Race ${index}` }),
      ),
    );

    expect(responses.filter((r) => r.status === 201)).toHaveLength(3);
    expect(responses.filter((r) => r.status !== 201).map((r) => r.body.code)).toEqual(
      Array(5).fill('TEAM_LIMIT_REACHED'),
    );
    const [{ count }] = await t.dataSource.query<{ count: string }[]>(
      'SELECT count(*) FROM teams WHERE organization_id = $1 AND deleted_at IS NULL',
      [limited.id],
    );
    expect(Number(count)).toBe(3);
  });

  it('answers 404 for the teams of another organization, on every route', async () => {
    const team = await createTeam(admin);
    const member = await signedInMember(t, organizationId);
    const otherOrganization = (await createOrganization(t.dataSource)).id;
    const other = await orgAdmin(t, otherOrganization);
    const otherMember = await signedInMember(t, otherOrganization);

    const calls = [
      request(t.server).get(`${API}/teams/${team.id}`),
      request(t.server).patch(`${API}/teams/${team.id}`).send({ name: 'Stolen' }),
      request(t.server).delete(`${API}/teams/${team.id}`),
      request(t.server).get(`${API}/teams/${team.id}/members`),
      request(t.server)
        .post(`${API}/teams/${team.id}/members`)
        .send({ user_id: otherMember.userId, role: 'member' }),
      request(t.server)
        .patch(`${API}/teams/${team.id}/members/${member.userId}`)
        .send({ role: 'member' }),
      request(t.server).delete(`${API}/teams/${team.id}/members/${member.userId}`),
    ];
    for (const call of calls) {
      const response = await call.set(bearer(other)).expect(404);
      expect(response.body.code).toBe('TEAM_NOT_FOUND');
    }
    const list = await request(t.server).get(`${API}/teams`).set(bearer(other)).expect(200);
    expect(list.body.data).toEqual([]);

    // And a user of another organization cannot be put on a team of this one.
    const response = await request(t.server)
      .post(`${API}/teams/${team.id}/members`)
      .set(bearer(admin))
      .send({ user_id: otherMember.userId })
      .expect(404);
    expect(response.body.code).toBe('TEAM_USER_NOT_FOUND');
  });

  it('appears in the OpenAPI document', async () => {
    const response = await request(t.server).get('/enterprise/docs-json').expect(200);

    expect(Object.keys(response.body.paths)).toEqual(
      expect.arrayContaining([`${API}/teams`, `${API}/teams/{id}/members/{user_id}`]),
    );
  });
});

describe('teams with ENABLE_TEAM_MANAGEMENT=false', () => {
  let t: TestApp;
  let admin: SignedInUser;

  beforeAll(async () => {
    t = await startTestApp({ ENABLE_TEAM_MANAGEMENT: 'false' });
    admin = await orgAdmin(t, (await createOrganization(t.dataSource)).id);
  });

  afterAll(async () => {
    await t.close();
  });

  it('answers 404 on every team route', async () => {
    const id = crypto.randomUUID();
    const calls = [
      request(t.server).get(`${API}/teams`),
      request(t.server).post(`${API}/teams`).send({ name: 'x' }),
      request(t.server).get(`${API}/teams/${id}`),
      request(t.server).delete(`${API}/teams/${id}`),
      request(t.server).post(`${API}/teams/${id}/members`).send({}),
    ];
    for (const call of calls) {
      const response = await call.set(bearer(admin)).expect(404);
      expect(response.body.code).toBe('NOT_FOUND');
    }
  });

  it('leaves the team routes out of the OpenAPI document', async () => {
    const response = await request(t.server).get('/enterprise/docs-json').expect(200);
    const paths = Object.keys(response.body.paths);

    expect(paths.filter((path) => path.includes('/teams'))).toEqual([]);
    expect(paths).toContain(`${API}/invitations`);
  });
});
