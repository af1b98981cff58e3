import { createHash, randomBytes, randomUUID } from 'node:crypto';
import request from 'supertest';
import {
  API,
  RegisteredUser,
  RowScope,
  Tokens,
  createOrganization,
  expectNoRowChanges,
  expectProblem,
  login,
  registerUser,
  signAccessToken,
  uniqueDomain,
  uniqueEmail,
  unsignedToken,
} from './support/factories';
import { TestApp, startTestApp } from './support/test-app';

describe('access and refresh tokens', () => {
  let t: TestApp;
  let domain: string;
  let organizationId: string;
  let scope: RowScope;
  let user: RegisteredUser;

  const me = (accessToken: string) =>
    request(t.server).get(`${API}/auth/me`).set('Authorization', `Bearer ${accessToken}`);
  const refresh = (refreshToken: string) =>
    request(t.server).post(`${API}/auth/refresh`).send({ refresh_token: refreshToken });
  const logout = (accessToken: string) =>
    request(t.server).post(`${API}/auth/logout`).set('Authorization', `Bearer ${accessToken}`);

  /** The claims of a token the service itself would issue to `user`. */
  const claims = () => ({
    sub: user.userId,
    org_id: organizationId,
    sid: randomUUID(),
    jti: randomUUID(),
  });

  beforeAll(async () => {
    // Without a grace window a second presentation is reuse at once; the window itself is
    // tested in sessions.e2e-spec.ts.
    t = await startTestApp({
      JWT_SECRET_KEY: randomBytes(48).toString('hex'),
      REFRESH_REUSE_GRACE_SECONDS: '0',
    });
    domain = uniqueDomain('tokens');
    organizationId = (await createOrganization(t.dataSource)).id;
    scope = { organizationIds: [organizationId], emailDomains: [domain] };
    user = await registerUser(t.server, organizationId, { email: uniqueEmail('holder', domain) });
  });

  afterAll(async () => {
    await t.close();
  });

  describe('access tokens on GET auth/me', () => {
    it('accepts a token signed here with the service key (the control for the cases below)', async () => {
      const response = await me(signAccessToken(t.config, claims())).expect(200);

      expect(response.body).toMatchObject({ id: user.userId, organization_id: organizationId });
    });

    it('refuses a request without a token with AUTH_TOKEN_MISSING and a Bearer challenge', async () => {
      const response = await request(t.server).get(`${API}/auth/me`);

      expectProblem(response, 401, 'AUTH_TOKEN_MISSING');
      // RFC 6750 section 3: how to authenticate, and no error, since no token was sent.
      expect(response.headers['www-authenticate']).toBe('Bearer');
    });

    it('refuses a token sent in another scheme with AUTH_TOKEN_MISSING', async () => {
      const response = await request(t.server)
        .get(`${API}/auth/me`)
        .set('Authorization', `Token ${signAccessToken(t.config, claims())}`);

      expectProblem(response, 401, 'AUTH_TOKEN_MISSING');
    });

    const invalid: Array<{ name: string; token: () => string }> = [
      { name: 'a garbled token', token: () => 'eyJhbGciOi.garbage.here' },
      {
        name: 'an expired token',
        token: () =>
          signAccessToken(t.config, claims(), { clockTimestamp: Date.now() - 3_600_000 }),
      },
      { name: 'an alg none token', token: () => unsignedToken({ ...claims(), type: 'access' }) },
      {
        name: 'an alg none token with the right issuer and audience',
        token: () =>
          unsignedToken({
            ...claims(),
            type: 'access',
            roles: ['owner'],
            iss: t.config.jwt.issuer,
            aud: t.config.jwt.audience,
          }),
      },
      {
        name: 'a token signed with another secret',
        token: () => signAccessToken(t.config, claims(), { key: randomBytes(48).toString('hex') }),
      },
      {
        name: 'a token signed with HS512 and the service key',
        token: () => signAccessToken(t.config, claims(), { algorithm: 'HS512' }),
      },
      {
        name: 'a token from another issuer',
        token: () => signAccessToken(t.config, { ...claims(), iss: 'someone-else' }),
      },
      {
        name: 'a token for another audience',
        token: () => signAccessToken(t.config, { ...claims(), aud: 'another-service' }),
      },
      {
        name: 'a token without an audience',
        token: () => signAccessToken(t.config, { ...claims(), aud: undefined }),
      },
      {
        name: 'a token without an issuer',
        token: () => signAccessToken(t.config, { ...claims(), iss: undefined }),
      },
      {
        name: 'a token without an expiry',
        token: () => signAccessToken(t.config, claims(), { expiresIn: 0 }),
      },
      {
        name: 'a token of type refresh',
        token: () => signAccessToken(t.config, { ...claims(), type: 'refresh' }),
      },
      {
        name: 'a token without a type',
        token: () => signAccessToken(t.config, { ...claims(), type: undefined }),
      },
      {
        name: 'a token without a session id',
        token: () => signAccessToken(t.config, { ...claims(), sid: undefined }),
      },
      {
        name: 'a token whose subject is not a UUID',
        token: () => signAccessToken(t.config, { ...claims(), sub: 'admin' }),
      },
      {
        name: 'a token whose roles are not a list',
        token: () => signAccessToken(t.config, { ...claims(), roles: 'owner' }),
      },
      {
        name: 'a token for a user who does not exist',
        token: () => signAccessToken(t.config, { ...claims(), sub: randomUUID() }),
      },
      {
        name: 'a token whose payload was edited after signing',
        token: () => {
          const [header, , signature] = signAccessToken(t.config, claims()).split('.');
          const payload = Buffer.from(
            JSON.stringify({ ...claims(), type: 'access', roles: ['owner'] }),
          ).toString('base64url');
          return `${header}.${payload}.${signature}`;
        },
      },
    ];

    it.each(invalid)('refuses $name with AUTH_INVALID_TOKEN', async ({ token }) => {
      const response = await me(token());

      expectProblem(response, 401, 'AUTH_INVALID_TOKEN');
      expect(response.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    });

    it('refuses a refresh token used as a bearer token with AUTH_INVALID_TOKEN', async () => {
      const tokens = await login(t.server, user);

      const response = await me(tokens.refresh_token);

      expectProblem(response, 401, 'AUTH_INVALID_TOKEN');
    });
  });

  describe('refresh', () => {
    it('rotates: answers new tokens that work', async () => {
      const first = await login(t.server, user);

      const response = await refresh(first.refresh_token).expect(200);

      expect(response.body).toMatchObject({
        token_type: 'Bearer',
        organization_id: organizationId,
        user_id: user.userId,
        expires_in: t.config.jwt.accessTokenTtlSeconds,
      });
      expect(response.body.refresh_token).not.toBe(first.refresh_token);
      expect(response.body.access_token).not.toBe(first.access_token);
      await me(response.body.access_token).expect(200);
      await refresh(response.body.refresh_token).expect(200);
    });

    it('refuses a refresh token once it has been exchanged', async () => {
      const first = await login(t.server, user);
      await refresh(first.refresh_token).expect(200);

      const response = await refresh(first.refresh_token);

      expectProblem(response, 401, 'AUTH_REFRESH_TOKEN_REUSED');
    });

    it('revokes the whole session when a refresh token is used twice', async () => {
      const first = await login(t.server, user);
      const second = (await refresh(first.refresh_token).expect(200)).body as Tokens;
      const otherSession = await login(t.server, user);

      const reused = await refresh(first.refresh_token);

      expectProblem(reused, 401, 'AUTH_REFRESH_TOKEN_REUSED');
      expectProblem(await refresh(second.refresh_token), 401, 'AUTH_INVALID_REFRESH_TOKEN');
      const revoked = await me(second.access_token);
      expectProblem(revoked, 401, 'AUTH_TOKEN_REVOKED');
      expect(revoked.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
      expectProblem(await me(first.access_token), 401, 'AUTH_TOKEN_REVOKED');
      const [session] = await t.dataSource.query<Array<{ revoked_reason: string }>>(
        `SELECT s.revoked_reason FROM sessions s
         JOIN refresh_tokens r ON r.session_id = s.id AND r.token_hash = $1`,
        [sha256(first.refresh_token)],
      );
      expect(session.revoked_reason).toBe('refresh_token_reuse');
      await me(otherSession.access_token).expect(200);
      await refresh(otherSession.refresh_token).expect(200);
    });

    it('refuses an unknown refresh token without writing anything', async () => {
      const response = await expectNoRowChanges(t.dataSource, scope, () =>
        refresh(randomBytes(32).toString('base64url')),
      );

      expectProblem(response, 401, 'AUTH_INVALID_REFRESH_TOKEN');
    });

    it('refuses a refresh token of the right length but unknown content', async () => {
      const response = await refresh('a'.repeat(512));

      expectProblem(response, 401, 'AUTH_INVALID_REFRESH_TOKEN');
    });
  });

  describe('logout', () => {
    it('revokes the access token at once', async () => {
      const tokens = await login(t.server, user);

      await logout(tokens.access_token).expect(204);

      expectProblem(await me(tokens.access_token), 401, 'AUTH_TOKEN_REVOKED');
    });

    it('makes the refresh token of the session useless', async () => {
      const tokens = await login(t.server, user);
      await logout(tokens.access_token).expect(204);

      const response = await expectNoRowChanges(t.dataSource, scope, () =>
        refresh(tokens.refresh_token),
      );

      expectProblem(response, 401, 'AUTH_INVALID_REFRESH_TOKEN');
    });

    it('revokes the access tokens of the session issued by earlier refreshes', async () => {
      const first = await login(t.server, user);
      const second = (await refresh(first.refresh_token).expect(200)).body as Tokens;

      await logout(second.access_token).expect(204);

      expectProblem(await me(first.access_token), 401, 'AUTH_TOKEN_REVOKED');
    });

    it('refuses a second logout with the same token', async () => {
      const tokens = await login(t.server, user);
      await logout(tokens.access_token).expect(204);

      const response = await expectNoRowChanges(t.dataSource, scope, () =>
        logout(tokens.access_token),
      );

      expectProblem(response, 401, 'AUTH_TOKEN_REVOKED');
    });

    it('leaves the other sessions of the user signed in', async () => {
      const ended = await login(t.server, user);
      const kept = await login(t.server, user);

      await logout(ended.access_token).expect(204);

      await me(kept.access_token).expect(200);
    });
  });
});

/** Refresh tokens are stored only as their SHA-256, as TokenService.hashRefreshToken does. */
function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
