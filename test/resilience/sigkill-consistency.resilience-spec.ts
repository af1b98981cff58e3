import type { RunningApp } from '../support/built-app';
import {
  API,
  Deployment,
  Outcome,
  PASSWORD,
  Tokens,
  User,
  attempt,
  call,
  describeResilience,
  login,
  register,
  sleep,
  startLoad,
  tally,
  uniqueEmail,
} from './support/deployment';

const REFRESHERS = 3;

/**
 * SIGKILL in the middle of registrations, invitations and refreshes: no shutdown hook runs,
 * transactions under way die with their connection. Whatever committed must be whole; whatever
 * did not must be absent. The invariants are those the services write in one transaction:
 * - AuthService.register: user + membership + `auth.register` event (with an invitation:
 *   + invitation accepted + `invitation.accepted` event);
 * - InvitationsService.create: invitation + `invitation.created` event;
 * - AuthService.refresh: spent token + its successor + `auth.token_refreshed` event;
 * - AuditService: every event extends its organization's chain, whose head names the last one.
 */
describeResilience('a built instance killed with SIGKILL mid-write', () => {
  let deployment: Deployment;
  let app: RunningApp;
  let organizationId: string;
  let owner: User;
  let ownerTokens: Tokens;
  let refreshers: Tokens[];

  beforeAll(async () => {
    // No grace window: every successful refresh spends exactly one token.
    deployment = await Deployment.start({ REFRESH_REUSE_GRACE_SECONDS: '0' });
    app = await deployment.startInstance();
    organizationId = await deployment.createOrganization();
    owner = await register(app.url, organizationId);
    await deployment.setRoles(owner.userId, organizationId, ['owner']);
    ownerTokens = await login(app.url, owner);
    refreshers = [];
    for (let index = 0; index < REFRESHERS; index++) {
      refreshers.push(await login(app.url, await register(app.url, organizationId)));
    }
  });

  afterAll(async () => {
    await deployment?.close();
  });

  it('leaves every registration, invitation and refresh whole or absent', async () => {
    const registerStep = async (): Promise<Outcome[]> => [
      await attempt('register', () =>
        call(app.url, 'POST', `${API}/auth/register`, {
          body: {
            email: uniqueEmail('plain'),
            password: PASSWORD,
            first_name: 'Killed',
            last_name: 'Midway',
            organization_id: organizationId,
          },
        }),
      ),
    ];
    const inviteStep = async (): Promise<Outcome[]> => {
      const email = uniqueEmail('invited');
      let token: string | undefined;
      const invite = await attempt('invite', async () => {
        const reply = await call(app.url, 'POST', `${API}/invitations`, {
          token: ownerTokens.access_token,
          body: { email, roles: ['member'] },
        });
        token = typeof reply.body?.token === 'string' ? reply.body.token : undefined;
        return reply;
      });
      if (!token) return [invite];
      const invitationToken = token;
      const accept = await attempt('register with invitation', () =>
        call(app.url, 'POST', `${API}/auth/register`, {
          body: {
            email,
            password: PASSWORD,
            first_name: 'Invited',
            last_name: 'Midway',
            invitation_token: invitationToken,
          },
        }),
      );

      return [invite, accept];
    };
    const refreshStep = async (index: number): Promise<Outcome[]> => [
      await attempt('refresh', async () => {
        const reply = await call(app.url, 'POST', `${API}/auth/refresh`, {
          body: { refresh_token: refreshers[index].refresh_token },
        });
        if (reply.status === 200) refreshers[index] = reply.body as unknown as Tokens;
        return reply;
      }),
    ];
    const steps = [
      registerStep,
      registerStep,
      inviteStep,
      inviteStep,
      ...refreshers.map((_, index) => () => refreshStep(index)),
    ];

    const load = startLoad(steps.length, (worker) => steps[worker]());
    await sleep(2_500);
    app.child.kill('SIGKILL');
    const exit = await app.exited;
    await load.stop();
    expect(exit.signal).toBe('SIGKILL');

    // Work was under way: each kind succeeded before the kill.
    const succeeded = tally(
      load.outcomes.filter((outcome) => outcome.status >= 200 && outcome.status < 300),
    );
    for (const kind of ['register', 'invite', 'register with invitation', 'refresh']) {
      expect(
        succeeded[`${kind} ${kind === 'invite' || kind.startsWith('register') ? 201 : 200}`],
      ).toBeGreaterThan(0);
    }
    // Nothing failed but what the kill cut off (no answer: status 0).
    const failures = load.outcomes.filter((outcome) => outcome.status >= 300);
    expect(tally(failures)).toEqual({});

    // Users: each with its membership and its registration event, or none of them.
    const users = await deployment.sql<{ id: string; memberships: number; events: number }>(
      `SELECT u.id,
              (SELECT count(*) FROM memberships m
                WHERE m.user_id = u.id AND m.organization_id = $1 AND m.status = 'active')::int
                AS memberships,
              (SELECT count(*) FROM audit_events e
                WHERE e.organization_id = $1 AND e.action = 'auth.register'
                  AND e.target_id = u.id::text)::int AS events
         FROM users u`,
      [organizationId],
    );
    expect(users.length).toBeGreaterThan(REFRESHERS + 1);
    expect(users.filter((user) => user.memberships !== 1 || user.events !== 1)).toEqual([]);
    const orphanEvents = await deployment.sql(
      `SELECT e.id FROM audit_events e
        WHERE e.action = 'auth.register'
          AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id::text = e.target_id)`,
    );
    expect(orphanEvents).toEqual([]);

    // Invitations: created with their event; accepted with their member and event.
    const invitations = await deployment.sql<{
      id: string;
      created_events: number;
      accepted: boolean;
      accepted_events: number;
      member: boolean;
    }>(
      `SELECT i.id,
              (SELECT count(*) FROM audit_events e WHERE e.action = 'invitation.created'
                AND e.target_id = i.id::text)::int AS created_events,
              i.accepted_at IS NOT NULL AS accepted,
              (SELECT count(*) FROM audit_events e WHERE e.action = 'invitation.accepted'
                AND e.target_id = i.id::text)::int AS accepted_events,
              EXISTS (SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id
                       WHERE m.organization_id = i.organization_id AND m.user_id = i.accepted_by
                         AND u.email = i.email AND m.status = 'active') AS member
         FROM invitations i WHERE i.organization_id = $1`,
      [organizationId],
    );
    expect(invitations.length).toBeGreaterThan(0);
    const broken = invitations.filter(
      (invitation) =>
        invitation.created_events !== 1 ||
        invitation.accepted_events !== (invitation.accepted ? 1 : 0) ||
        invitation.member !== invitation.accepted,
    );
    expect(broken).toEqual([]);
    const orphanInvitationEvents = await deployment.sql(
      `SELECT e.id FROM audit_events e
        WHERE e.action IN ('invitation.created', 'invitation.accepted')
          AND NOT EXISTS (SELECT 1 FROM invitations i WHERE i.id::text = e.target_id)`,
    );
    expect(orphanInvitationEvents).toEqual([]);
    // Every user invited and registered accepted an invitation.
    const invitedWithout = await deployment.sql(
      `SELECT u.id FROM users u WHERE u.email LIKE 'invited-%'
          AND NOT EXISTS (SELECT 1 FROM invitations i WHERE i.accepted_by = u.id)`,
    );
    expect(invitedWithout).toEqual([]);

    // Refresh tokens: each in an existing session; each session has one live token, and as
    // many spent ones as it has refresh events.
    const strayTokens = await deployment.sql(
      `SELECT t.id FROM refresh_tokens t
        WHERE NOT EXISTS (SELECT 1 FROM sessions s WHERE s.id = t.session_id)`,
    );
    expect(strayTokens).toEqual([]);
    const sessions = await deployment.sql<{
      id: string;
      live: number;
      spent: number;
      refreshed: number;
      logins: number;
    }>(
      `SELECT s.id,
              (SELECT count(*) FROM refresh_tokens t
                WHERE t.session_id = s.id AND t.used_at IS NULL)::int AS live,
              (SELECT count(*) FROM refresh_tokens t
                WHERE t.session_id = s.id AND t.used_at IS NOT NULL)::int AS spent,
              (SELECT count(*) FROM audit_events e WHERE e.action = 'auth.token_refreshed'
                AND e.target_id = s.id::text)::int AS refreshed,
              (SELECT count(*) FROM audit_events e WHERE e.action = 'auth.login'
                AND e.target_id = s.id::text)::int AS logins
         FROM sessions s WHERE s.organization_id = $1 AND s.revoked_at IS NULL`,
      [organizationId],
    );
    expect(sessions.length).toBe(REFRESHERS + 1);
    expect(sessions.reduce((total, session) => total + session.spent, 0)).toBeGreaterThan(0);
    expect(
      sessions.filter(
        (session) =>
          session.live !== 1 || session.spent !== session.refreshed || session.logins !== 1,
      ),
    ).toEqual([]);

    // The audit chain: the head names the last event, and the service verifies every link.
    const [head] = await deployment.sql<{ matches: boolean; events: number }>(
      `SELECT h.last_hash = e.hash AND h.last_sequence = e.sequence AS matches,
              (SELECT count(*) FROM audit_events a WHERE a.organization_id = $1)::int AS events
         FROM audit_chain_heads h
         JOIN audit_events e ON e.organization_id = h.organization_id
        WHERE h.organization_id = $1
        ORDER BY e.sequence DESC LIMIT 1`,
      [organizationId],
    );
    expect(head.matches).toBe(true);
    app = await deployment.startInstance();
    const verify = await call(app.url, 'GET', `${API}/audit/verify`, {
      token: (await login(app.url, owner)).access_token,
    });
    expect(verify.status).toBe(200);
    // The sign-in just made added one event.
    expect(verify.body).toEqual({ valid: true, checked: head.events + 1, first_invalid: null });

    // The sessions outlived the process: their access tokens work on the new one.
    for (const tokens of refreshers) {
      const reply = await call(app.url, 'GET', `${API}/auth/me`, { token: tokens.access_token });
      expect(reply.status).toBe(200);
    }
  });
});
