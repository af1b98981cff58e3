import { createHash } from 'node:crypto';
import request from 'supertest';
import { KEY_VALUE_STORE, KeyValueStore, RevocationKeys } from '@app/cache';
import {
  API,
  GUIDE_PASSWORD,
  createOrganization,
  erroredFields,
  expectProblem,
  registerUser,
  uniqueEmail,
} from './support/factories';
import { SignedInUser, bearer, orgAdmin, signIn, signedInMember } from './support/org-admin';
import { TestApp, startTestApp } from './support/test-app';

interface CreatedInvitation {
  id: string;
  token: string;
  email: string;
  roles: string[];
  team_ids: string[];
  status: string;
}

describe('invitations', () => {
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

  async function invite(
    by: SignedInUser,
    body: Record<string, unknown>,
    status = 201,
  ): Promise<CreatedInvitation> {
    const response = await request(t.server)
      .post(`${API}/invitations`)
      .set(bearer(by))
      .send(body)
      .expect(status);

    return response.body as CreatedInvitation;
  }

  /** A user who exists in another organization and can accept invitations as themselves. */
  async function outsider(email = uniqueEmail('outsider')): Promise<SignedInUser> {
    const home = await createOrganization(t.dataSource);
    return signedInMember(t, home.id, ['member'], email);
  }

  function accept(user: SignedInUser, token: string) {
    return request(t.server).post(`${API}/invitations/accept`).set(bearer(user)).send({ token });
  }

  async function auditActions(orgId: string, targetId: string): Promise<string[]> {
    const rows = await t.dataSource.query<{ action: string }[]>(
      'SELECT action FROM audit_events WHERE organization_id = $1 AND target_id = $2 ORDER BY sequence',
      [orgId, targetId],
    );
    return rows.map((row) => row.action);
  }

  it('creates an invitation with the default role and a token stored only as its SHA-256', async () => {
    const email = uniqueEmail('Invitee').toUpperCase();
    const created = await invite(admin, { email });

    expect(created).toMatchObject({
      email: email.toLowerCase(),
      roles: ['member'],
      team_ids: [],
      status: 'pending',
      organization_id: organizationId,
      invited_by: admin.userId,
    });
    expect(created.token).toEqual(expect.any(String));
    const [row] = await t.dataSource.query<{ token_hash: string; expires_at: Date }[]>(
      'SELECT token_hash, expires_at FROM invitations WHERE id = $1',
      [created.id],
    );
    expect(row.token_hash).toBe(createHash('sha256').update(created.token).digest('hex'));
    const days = (new Date(row.expires_at).getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.9);
    expect(days).toBeLessThanOrEqual(7);

    const read = await request(t.server)
      .get(`${API}/invitations/${created.id}`)
      .set(bearer(admin))
      .expect(200);
    expect(read.body).toMatchObject({ id: created.id, status: 'pending' });
    expect(read.body).not.toHaveProperty('token');
    expect(await auditActions(organizationId, created.id)).toEqual(['invitation.created']);
  });

  it('lists invitations filtered by status, paginated', async () => {
    const pending = await invite(admin, { email: uniqueEmail('list') });
    const revoked = await invite(admin, { email: uniqueEmail('list') });
    await request(t.server)
      .delete(`${API}/invitations/${revoked.id}`)
      .set(bearer(admin))
      .expect(204);

    const pendingPage = await request(t.server)
      .get(`${API}/invitations?status=pending&limit=100`)
      .set(bearer(admin))
      .expect(200);
    const pendingIds = pendingPage.body.data.map((i: { id: string }) => i.id);
    expect(pendingIds).toContain(pending.id);
    expect(pendingIds).not.toContain(revoked.id);

    const revokedPage = await request(t.server)
      .get(`${API}/invitations?status=revoked`)
      .set(bearer(admin))
      .expect(200);
    expect(revokedPage.body.data.map((i: { id: string }) => i.id)).toContain(revoked.id);
    expect(revokedPage.body.data.every((i: { status: string }) => i.status === 'revoked')).toBe(
      true,
    );

    const limited = await request(t.server)
      .get(`${API}/invitations?limit=1&offset=1`)
      .set(bearer(admin))
      .expect(200);
    expect(limited.body.data).toHaveLength(1);
    expect(limited.body.page).toMatchObject({ limit: 1, offset: 1 });
    expect(limited.body.page.total).toBeGreaterThanOrEqual(2);
  });

  it.each([
    ['an unknown role', { roles: ['emperor'] }, 400, 'INVITATION_ROLE_UNKNOWN'],
    ['a malformed email', { email: 'not-an-email' }, 400, 'VALIDATION_FAILED'],
    ['an unknown field', { admin: true }, 400, 'VALIDATION_FAILED'],
    ['null roles, rather than the default role', { roles: null }, 400, 'VALIDATION_FAILED'],
    ['null team_ids', { team_ids: null }, 400, 'VALIDATION_FAILED'],
    [
      'a team of no organization',
      { team_ids: [crypto.randomUUID()] },
      404,
      'INVITATION_TEAM_NOT_FOUND',
    ],
  ])('refuses %s', async (_label, overrides, status, code) => {
    const response = await request(t.server)
      .post(`${API}/invitations`)
      .set(bearer(admin))
      .send({ email: uniqueEmail('bad'), ...overrides })
      .expect(status);

    expect(response.body.code).toBe(code);
  });

  it('lets an inviter grant only roles whose permissions they hold', async () => {
    const orgAdminOnly = await signedInMember(t, organizationId, ['admin']);

    const owner = await request(t.server)
      .post(`${API}/invitations`)
      .set(bearer(orgAdminOnly))
      .send({ email: uniqueEmail('owner'), roles: ['owner'] })
      .expect(403);
    expect(owner.body.code).toBe('INVITATION_ROLE_NOT_ALLOWED');

    await invite(orgAdminOnly, { email: uniqueEmail('admin'), roles: ['admin', 'viewer'] });

    const member = await signedInMember(t, organizationId, ['member']);
    const denied = await request(t.server)
      .post(`${API}/invitations`)
      .set(bearer(member))
      .send({ email: uniqueEmail('x') })
      .expect(403);
    expect(denied.body.code).toBe('AUTH_PERMISSION_DENIED');
  });

  it('refuses to invite an active member of the organization', async () => {
    const member = await signedInMember(t, organizationId);
    const response = await request(t.server)
      .post(`${API}/invitations`)
      .set(bearer(admin))
      .send({ email: member.email.toUpperCase() })
      .expect(409);

    expect(response.body.code).toBe('INVITATION_ALREADY_MEMBER');
  });

  it('replaces a pending invitation of the same address', async () => {
    const email = uniqueEmail('twice');
    const first = await invite(admin, { email });
    const second = await invite(admin, { email, roles: ['viewer'] });

    const old = await request(t.server)
      .get(`${API}/invitations/${first.id}`)
      .set(bearer(admin))
      .expect(200);
    expect(old.body.status).toBe('revoked');
    expect(second.status).toBe('pending');
    expect(await auditActions(organizationId, first.id)).toEqual([
      'invitation.created',
      'invitation.revoked',
    ]);
  });

  it('is accepted once by the invited user, who joins with the invited roles and teams', async () => {
    const [team] = await t.dataSource.query<{ id: string }[]>(
      `INSERT INTO teams (organization_id, name, slug) VALUES ($1, 'Ops', $2) RETURNING id`,
      [organizationId, `ops-${Date.now()}`],
    );
    const user = await outsider();
    const invitation = await invite(admin, {
      email: user.email,
      roles: ['viewer'],
      team_ids: [team.id],
    });

    const accepted = await accept(user, invitation.token).expect(200);
    expect(accepted.body).toMatchObject({
      id: invitation.id,
      status: 'accepted',
      accepted_by: user.userId,
    });
    const [membership] = await t.dataSource.query<{ roles: string[]; status: string }[]>(
      'SELECT roles, status FROM memberships WHERE user_id = $1 AND organization_id = $2',
      [user.userId, organizationId],
    );
    expect(membership).toEqual({ roles: ['viewer'], status: 'active' });
    const teams = await t.dataSource.query<{ role: string }[]>(
      'SELECT role FROM team_members WHERE team_id = $1 AND user_id = $2',
      [team.id, user.userId],
    );
    expect(teams).toEqual([{ role: 'member' }]);

    const token = await signIn(t, user, organizationId);
    const me = await request(t.server)
      .get(`${API}/auth/me`)
      .set('Authorization', `Bearer ${token}`)
      .expect(200);
    expect(me.body).toMatchObject({ organization_id: organizationId, roles: ['viewer'] });

    const again = await accept(user, invitation.token).expect(409);
    expect(again.body.code).toBe('INVITATION_ALREADY_ACCEPTED');
    expect(await auditActions(organizationId, invitation.id)).toEqual([
      'invitation.created',
      'invitation.accepted',
    ]);

    const revokeAccepted = await request(t.server)
      .delete(`${API}/invitations/${invitation.id}`)
      .set(bearer(admin))
      .expect(409);
    expect(revokeAccepted.body.code).toBe('INVITATION_ALREADY_ACCEPTED');
  });

  it('refuses another user, a revoked, an expired and an unknown invitation', async () => {
    const invited = await outsider();
    const stranger = await outsider();

    const forInvited = await invite(admin, { email: invited.email });
    const mismatch = await accept(stranger, forInvited.token).expect(403);
    expect(mismatch.body.code).toBe('INVITATION_EMAIL_MISMATCH');

    await request(t.server)
      .delete(`${API}/invitations/${forInvited.id}`)
      .set(bearer(admin))
      .expect(204);
    const revoked = await accept(invited, forInvited.token).expect(410);
    expect(revoked.body.code).toBe('INVITATION_REVOKED');

    const late = await invite(admin, { email: invited.email });
    await t.dataSource.query(
      "UPDATE invitations SET expires_at = now() - interval '1 minute' WHERE id = $1",
      [late.id],
    );
    const expired = await accept(invited, late.token).expect(410);
    expect(expired.body.code).toBe('INVITATION_EXPIRED');
    const expiredPage = await request(t.server)
      .get(`${API}/invitations?status=expired`)
      .set(bearer(admin))
      .expect(200);
    expect(expiredPage.body.data.map((i: { id: string }) => i.id)).toContain(late.id);

    const unknown = await accept(invited, 'no-such-token').expect(404);
    expect(unknown.body.code).toBe('INVITATION_NOT_FOUND');
  });

  it('lets exactly one of parallel acceptances of one invitation win', async () => {
    const user = await outsider();
    const invitation = await invite(admin, { email: user.email });

    const responses = await Promise.all(
      Array.from({ length: 6 }, () => accept(user, invitation.token)),
    );

    expect(responses.filter((r) => r.status === 200)).toHaveLength(1);
    expect(responses.filter((r) => r.status === 409)).toHaveLength(5);
    const [{ count }] = await t.dataSource.query<{ count: string }[]>(
      'SELECT count(*) FROM memberships WHERE user_id = $1 AND organization_id = $2',
      [user.userId, organizationId],
    );
    expect(Number(count)).toBe(1);
  });

  it('never admits more active members than max_users, however many accept at once', async () => {
    const small = await createOrganization(t.dataSource, { maxUsers: 3 });
    const owner = await orgAdmin(t, small.id);
    const users = await Promise.all(Array.from({ length: 6 }, () => outsider()));
    const invitations: CreatedInvitation[] = [];
    for (const user of users) {
      invitations.push(await invite(owner, { email: user.email }));
    }

    const responses = await Promise.all(
      users.map((user, index) => accept(user, invitations[index].token)),
    );

    expect(responses.filter((r) => r.status === 200)).toHaveLength(2);
    const refused = responses.filter((r) => r.status !== 200);
    expect(refused.map((r) => r.body.code)).toEqual(Array(4).fill('INVITATION_ORGANIZATION_FULL'));
    const [{ count }] = await t.dataSource.query<{ count: string }[]>(
      "SELECT count(*) FROM memberships WHERE organization_id = $1 AND status = 'active'",
      [small.id],
    );
    expect(Number(count)).toBe(3);
  });

  it('clears the revocation key of a user removed earlier who accepts a new invitation', async () => {
    const store = t.app.get<KeyValueStore>(KEY_VALUE_STORE);
    const user = await signedInMember(t, organizationId);
    await t.dataSource.query(
      'DELETE FROM memberships WHERE user_id = $1 AND organization_id = $2',
      [user.userId, organizationId],
    );
    await store.set(RevocationKeys.membership(organizationId, user.userId), '1', 900);
    const home = await createOrganization(t.dataSource);
    await t.dataSource.query(
      "INSERT INTO memberships (user_id, organization_id, roles) VALUES ($1, $2, '{member}')",
      [user.userId, home.id],
    );
    const elsewhere = { ...user, accessToken: await signIn(t, user, home.id) };
    const invitation = await invite(admin, { email: user.email });

    await accept(elsewhere, invitation.token).expect(200);

    expect(await store.get(RevocationKeys.membership(organizationId, user.userId))).toBeNull();
    const token = await signIn(t, user, organizationId);
    await request(t.server)
      .get(`${API}/invitations`)
      .set('Authorization', `Bearer ${token}`)
      .expect(200);
  });

  it('reactivates a deactivated member with the invited roles', async () => {
    const user = await signedInMember(t, organizationId, ['viewer']);
    await t.dataSource.query(
      "UPDATE memberships SET status = 'deactivated' WHERE user_id = $1 AND organization_id = $2",
      [user.userId, organizationId],
    );
    const invitation = await invite(admin, { email: user.email, roles: ['member'] });

    await accept(user, invitation.token).expect(200);

    const [membership] = await t.dataSource.query<{ roles: string[]; status: string }[]>(
      'SELECT roles, status FROM memberships WHERE user_id = $1 AND organization_id = $2',
      [user.userId, organizationId],
    );
    expect(membership).toEqual({ roles: ['member'], status: 'active' });
  });

  it('answers 404 for the invitations of another organization', async () => {
    const other = await createOrganization(t.dataSource);
    const otherAdmin = await orgAdmin(t, other.id);
    const invitation = await invite(admin, { email: uniqueEmail('mine') });

    for (const method of ['get', 'delete'] as const) {
      const response = await request(t.server)
        [method](`${API}/invitations/${invitation.id}`)
        .set(bearer(otherAdmin))
        .expect(404);
      expect(response.body.code).toBe('INVITATION_NOT_FOUND');
    }
    const list = await request(t.server)
      .get(`${API}/invitations?limit=100`)
      .set(bearer(otherAdmin))
      .expect(200);
    expect(list.body.data).toEqual([]);
  });

  describe('registration with an invitation token', () => {
    let closed: string;
    let closedAdmin: SignedInUser;

    beforeAll(async () => {
      // The admin registers while the organization is open, then it closes.
      closed = (await createOrganization(t.dataSource)).id;
      closedAdmin = await orgAdmin(t, closed);
      await t.dataSource.query(
        "UPDATE organizations SET registration_policy = 'invitation_only' WHERE id = $1",
        [closed],
      );
    });

    function register(body: Record<string, unknown>) {
      return request(t.server)
        .post(`${API}/auth/register`)
        .send({ password: GUIDE_PASSWORD, first_name: 'In', last_name: 'Vited', ...body });
    }

    it('joins an invitation-only organization with the invited roles', async () => {
      const email = uniqueEmail('newcomer');
      const invitation = await invite(closedAdmin, { email, roles: ['viewer'] });

      const registered = await register({ email, invitation_token: invitation.token }).expect(201);

      expect(registered.body).toMatchObject({
        email,
        organization_id: closed,
        roles: ['viewer'],
      });
      const read = await request(t.server)
        .get(`${API}/invitations/${invitation.id}`)
        .set(bearer(closedAdmin))
        .expect(200);
      expect(read.body).toMatchObject({ status: 'accepted', accepted_by: registered.body.id });
      const actions = await t.dataSource.query<{ action: string }[]>(
        'SELECT action FROM audit_events WHERE organization_id = $1 AND actor_user_id = $2 ORDER BY sequence',
        [closed, registered.body.id],
      );
      expect(actions.map((row) => row.action)).toEqual(['invitation.accepted', 'auth.register']);
      await register({ email: uniqueEmail('again'), invitation_token: invitation.token }).expect(
        409,
      );
    });

    it('still refuses self-registration without a token', async () => {
      const response = await register({ email: uniqueEmail('self'), organization_id: closed });

      expect(response.status).toBe(403);
      expect(response.body.code).toBe('AUTH_REGISTRATION_CLOSED');
    });

    it.each([
      ['another email', 'other', undefined, 403, 'INVITATION_EMAIL_MISMATCH'],
      ['another organization', 'same', 'other-org', 400, 'INVITATION_ORGANIZATION_MISMATCH'],
      ['an unknown token', 'same', undefined, 404, 'INVITATION_NOT_FOUND'],
    ])('refuses %s', async (label, emailKind, orgKind, status, code) => {
      const email = uniqueEmail('reg');
      const invitation = await invite(closedAdmin, { email });
      const response = await register({
        email: emailKind === 'same' ? email : uniqueEmail('someone'),
        invitation_token: label === 'an unknown token' ? 'bogus-token' : invitation.token,
        ...(orgKind ? { organization_id: organizationId } : {}),
      }).expect(status);

      expect(response.body.code).toBe(code);
      const [{ count }] = await t.dataSource.query<{ count: string }[]>(
        'SELECT count(*) FROM users WHERE email = $1',
        [email],
      );
      expect(Number(count)).toBe(0);
    });

    it('refuses a null invitation_token rather than taking it as absent', async () => {
      const response = await register({
        email: uniqueEmail('null-token'),
        organization_id: organizationId,
        invitation_token: null,
      });

      const body = expectProblem(response, 400, 'VALIDATION_FAILED');
      expect(erroredFields(body)).toEqual(['invitation_token']);
    });

    it('requires organization_id when no invitation token is given', async () => {
      const response = await register({ email: uniqueEmail('none') }).expect(400);

      expect(response.body.code).toBe('VALIDATION_FAILED');
    });

    it('refuses an email that already has an account', async () => {
      const existing = await registerUser(t.server, organizationId);
      const invitation = await invite(closedAdmin, { email: existing.email });

      const response = await register({
        email: existing.email,
        invitation_token: invitation.token,
      }).expect(409);
      expect(response.body.code).toBe('USER_EMAIL_TAKEN');
    });
  });
});
