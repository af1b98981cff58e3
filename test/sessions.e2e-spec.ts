import { createHash, randomUUID } from 'node:crypto';
import request from 'supertest';
import { Actor, addMembership, auditEvents, createMember, loginTo } from './support/admin';
import { API, Tokens, createOrganization, expectProblem } from './support/factories';
import { TestApp, startTestApp } from './support/test-app';

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/** The session id (`sid`) of an access token. */
function sessionOf(accessToken: string): string {
  const payload = accessToken.split('.')[1];

  return (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sid: string }).sid;
}

describe('sessions and refresh reuse', () => {
  let t: TestApp;
  let organizationId: string;

  const me = (accessToken: string) =>
    request(t.server).get(`${API}/auth/me`).set('Authorization', `Bearer ${accessToken}`);
  const refresh = (refreshToken: string) =>
    request(t.server).post(`${API}/auth/refresh`).send({ refresh_token: refreshToken });
  const listSessions = (accessToken: string) =>
    request(t.server).get(`${API}/auth/sessions`).set('Authorization', `Bearer ${accessToken}`);
  const revokeSession = (accessToken: string, id: string) =>
    request(t.server)
      .delete(`${API}/auth/sessions/${id}`)
      .set('Authorization', `Bearer ${accessToken}`);
  const logoutAll = (accessToken: string) =>
    request(t.server).post(`${API}/auth/logout-all`).set('Authorization', `Bearer ${accessToken}`);

  /** A second sign-in of the actor, from another device. */
  const signInAgain = async (actor: Actor, userAgent: string, organization = organizationId) => {
    const response = await request(t.server)
      .post(`${API}/auth/login`)
      .set('User-Agent', userAgent)
      .send({ email: actor.email, password: actor.password, organization_id: organization })
      .expect(200);

    return response.body as Tokens;
  };

  /** Refresh tokens of the session that can still be exchanged. */
  const liveRefreshTokens = async (sessionId: string) => {
    const [row] = await t.dataSource.query<Array<{ live: number }>>(
      `SELECT count(*)::int AS live FROM refresh_tokens
       WHERE session_id = $1 AND used_at IS NULL AND expires_at > now()`,
      [sessionId],
    );

    return row.live;
  };

  beforeAll(async () => {
    t = await startTestApp({ REFRESH_REUSE_GRACE_SECONDS: '5' });
    organizationId = (await createOrganization(t.dataSource)).id;
  });

  afterAll(async () => {
    await t.close();
  });

  describe('GET auth/sessions', () => {
    it('lists my live sessions in every organization, marking the current one', async () => {
      const user = await createMember(t.server, t.dataSource, organizationId);
      const other = await createOrganization(t.dataSource);
      await addMembership(t.dataSource, user.userId, other.id);
      const laptop = await signInAgain(user, 'Laptop/1.0');
      const elsewhere = await signInAgain(user, 'Phone/2.0', other.id);
      const ended = await signInAgain(user, 'Old/0.1');
      await request(t.server)
        .post(`${API}/auth/logout`)
        .set('Authorization', `Bearer ${ended.access_token}`)
        .expect(204);
      const stranger = await createMember(t.server, t.dataSource, organizationId);

      const response = await listSessions(laptop.access_token).expect(200);

      const items = response.body.data as Array<Record<string, unknown>>;
      expect(items.map((item) => item.id).sort()).toEqual(
        [user.token, laptop.access_token, elsewhere.access_token].map(sessionOf).sort(),
      );
      expect(items.find((item) => item.id === sessionOf(laptop.access_token))).toEqual({
        id: sessionOf(laptop.access_token),
        organization_id: organizationId,
        organization_name: expect.any(String),
        user_agent: 'Laptop/1.0',
        ip_address: expect.any(String),
        created_at: expect.any(String),
        last_used_at: expect.any(String),
        expires_at: expect.any(String),
        current: true,
      });
      expect(items.find((item) => item.id === sessionOf(elsewhere.access_token))).toMatchObject({
        organization_id: other.id,
        organization_name: other.name,
        user_agent: 'Phone/2.0',
        current: false,
      });
      expect(items.filter((item) => item.current)).toHaveLength(1);
      expect(JSON.stringify(items)).not.toContain(sessionOf(stranger.token));
    });
  });

  describe('DELETE auth/sessions/:id', () => {
    it('ends one of my sessions: its tokens stop at once, the others keep working', async () => {
      const user = await createMember(t.server, t.dataSource, organizationId);
      const phone = await signInAgain(user, 'Phone/2.0');
      const phoneSession = sessionOf(phone.access_token);

      await revokeSession(user.token, phoneSession).expect(204);

      expectProblem(await me(phone.access_token), 401, 'AUTH_TOKEN_REVOKED');
      expectProblem(await refresh(phone.refresh_token), 401, 'AUTH_INVALID_REFRESH_TOKEN');
      await me(user.token).expect(200);
      await refresh(user.refreshToken).expect(200);
      const events = await auditEvents(t.dataSource, organizationId, 'auth.session_revoked');
      expect(events).toContainEqual(
        expect.objectContaining({
          outcome: 'success',
          actor_user_id: user.userId,
          target_type: 'session',
          target_id: phoneSession,
        }),
      );
      expectProblem(await revokeSession(user.token, phoneSession), 404, 'AUTH_SESSION_NOT_FOUND');
    });

    it("answers 404 for another user's session and leaves it alive", async () => {
      const attacker = await createMember(t.server, t.dataSource, organizationId, ['owner']);
      const victim = await createMember(t.server, t.dataSource, organizationId);

      const response = await revokeSession(attacker.token, sessionOf(victim.token));

      expectProblem(response, 404, 'AUTH_SESSION_NOT_FOUND');
      await me(victim.token).expect(200);
      await refresh(victim.refreshToken).expect(200);
      const unknown = await revokeSession(attacker.token, randomUUID());
      expectProblem(unknown, 404, 'AUTH_SESSION_NOT_FOUND');
      expect(unknown.body.title).toBe(response.body.title);
      expectProblem(await revokeSession(attacker.token, 'not-a-uuid'), 400, 'VALIDATION_FAILED');
    });
  });

  describe('POST auth/logout-all', () => {
    it('ends every session of mine in every organization at once, and no one else’s', async () => {
      const user = await createMember(t.server, t.dataSource, organizationId);
      const other = await createOrganization(t.dataSource);
      await addMembership(t.dataSource, user.userId, other.id);
      const phone = await signInAgain(user, 'Phone/2.0');
      const elsewhere = await loginTo(t.server, user, other.id);
      const bystander = await createMember(t.server, t.dataSource, organizationId);

      const response = await logoutAll(user.token).expect(200);

      expect(response.body).toEqual({ revoked_sessions: 3 });
      for (const tokens of [
        { access_token: user.token, refresh_token: user.refreshToken },
        phone,
        elsewhere,
      ]) {
        expectProblem(await me(tokens.access_token), 401, 'AUTH_TOKEN_REVOKED');
        expectProblem(await refresh(tokens.refresh_token), 401, 'AUTH_INVALID_REFRESH_TOKEN');
      }
      await me(bystander.token).expect(200);
      for (const organization of [organizationId, other.id]) {
        const events = await auditEvents(t.dataSource, organization, 'auth.logout_all');
        expect(events).toContainEqual(
          expect.objectContaining({ actor_user_id: user.userId, target_id: user.userId }),
        );
      }
      // A new sign-in works and lists only itself.
      const fresh = await loginTo(t.server, user, organizationId);
      const sessions = await listSessions(fresh.access_token).expect(200);
      expect(sessions.body.data).toHaveLength(1);
    });
  });

  describe('refresh reuse grace window', () => {
    it('answers parallel refreshes of one token alike, and the session keeps one live token', async () => {
      const user = await createMember(t.server, t.dataSource, organizationId);
      const sessionId = sessionOf(user.token);

      const answers = await Promise.all(
        Array.from({ length: 3 }, () => refresh(user.refreshToken)),
      );

      for (const answer of answers) expect(answer.status).toBe(200);
      const successors = new Set(answers.map((answer) => answer.body.refresh_token));
      expect(successors.size).toBe(1);
      expect(new Set(answers.map((answer) => answer.body.access_token)).size).toBe(3);
      for (const answer of answers) await me(answer.body.access_token).expect(200);
      expect(await liveRefreshTokens(sessionId)).toBe(1);
      const [successor] = successors;
      await refresh(successor).expect(200);
      const [session] = await t.dataSource.query<Array<{ revoked_at: Date | null }>>(
        'SELECT revoked_at FROM sessions WHERE id = $1',
        [sessionId],
      );
      expect(session.revoked_at).toBeNull();
      const reused = await auditEvents(t.dataSource, organizationId, 'auth.refresh_token_reused');
      expect(reused.filter((event) => event.target_id === sessionId)).toEqual([]);
    });

    it('answers the live token when the successor was already spent within the window', async () => {
      const user = await createMember(t.server, t.dataSource, organizationId);
      const second = (await refresh(user.refreshToken).expect(200)).body as Tokens;
      const third = (await refresh(second.refresh_token).expect(200)).body as Tokens;

      const late = await refresh(user.refreshToken).expect(200);

      expect(late.body.refresh_token).toBe(third.refresh_token);
      expect(await liveRefreshTokens(sessionOf(user.token))).toBe(1);
    });

    it('revokes the session and audits when a rotated token comes back after the window', async () => {
      const user = await createMember(t.server, t.dataSource, organizationId);
      const sessionId = sessionOf(user.token);
      const second = (await refresh(user.refreshToken).expect(200)).body as Tokens;
      await t.dataSource.query(
        `UPDATE refresh_tokens SET used_at = used_at - interval '6 seconds' WHERE token_hash = $1`,
        [sha256(user.refreshToken)],
      );

      const answers = await Promise.all([refresh(user.refreshToken), refresh(user.refreshToken)]);

      const codes = answers.map((answer) => answer.body.code as string).sort();
      for (const answer of answers) expect(answer.status).toBe(401);
      expect(codes).toContain('AUTH_REFRESH_TOKEN_REUSED');
      expectProblem(await refresh(second.refresh_token), 401, 'AUTH_INVALID_REFRESH_TOKEN');
      expectProblem(await me(second.access_token), 401, 'AUTH_TOKEN_REVOKED');
      expectProblem(await me(user.token), 401, 'AUTH_TOKEN_REVOKED');
      const [session] = await t.dataSource.query<Array<{ revoked_reason: string }>>(
        'SELECT revoked_reason FROM sessions WHERE id = $1',
        [sessionId],
      );
      expect(session.revoked_reason).toBe('refresh_token_reuse');
      const reused = await auditEvents(t.dataSource, organizationId, 'auth.refresh_token_reused');
      expect(reused.filter((event) => event.target_id === sessionId)).toEqual([
        expect.objectContaining({ outcome: 'denied', actor_user_id: user.userId }),
      ]);
    });

    it('refuses within the window once the session was revoked', async () => {
      const user = await createMember(t.server, t.dataSource, organizationId);
      await refresh(user.refreshToken).expect(200);
      await request(t.server)
        .post(`${API}/auth/logout`)
        .set('Authorization', `Bearer ${user.token}`)
        .expect(204);

      expectProblem(await refresh(user.refreshToken), 401, 'AUTH_INVALID_REFRESH_TOKEN');
    });
  });
});
