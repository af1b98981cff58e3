import type { RunningApp } from '../support/built-app';
import { API, Deployment, call, describeResilience, login, register } from './support/deployment';

/** The per-IP limit of the authentication routes, for the whole deployment. */
const AUTH_LIMIT = 20;

describeResilience('two built instances on one PostgreSQL and one Redis', () => {
  let deployment: Deployment;
  let one: RunningApp;
  let two: RunningApp;
  let organizationId: string;

  beforeAll(async () => {
    deployment = await Deployment.start({
      RATE_LIMIT_AUTH_PER_MINUTE: String(AUTH_LIMIT),
      // The rate limit test speaks for a client address of its own through X-Forwarded-For,
      // so the sign-ins of the other tests (from 127.0.0.1) count apart.
      TRUST_PROXY: 'loopback',
    });
    // Both start at once on the empty database: one migrates under the migration lock, the
    // other waits for it and finds nothing pending.
    [one, two] = await Promise.all([deployment.startInstance(), deployment.startInstance()]);
    organizationId = await deployment.createOrganization();
  });

  afterAll(async () => {
    await deployment?.close();
  });

  it('accepts on one instance a token issued by the other, both ways', async () => {
    const user = await register(one.url, organizationId);
    const fromOne = await login(one.url, user);
    const fromTwo = await login(two.url, user);

    const onTwo = await call(two.url, 'GET', `${API}/auth/me`, { token: fromOne.access_token });
    const onOne = await call(one.url, 'GET', `${API}/auth/me`, { token: fromTwo.access_token });
    expect([onTwo.status, onOne.status]).toEqual([200, 200]);
    expect(onTwo.body?.id).toBe(user.userId);

    // A refresh token issued by one rotates on the other.
    const refreshed = await call(two.url, 'POST', `${API}/auth/refresh`, {
      body: { refresh_token: fromOne.refresh_token },
    });
    expect(refreshed.status).toBe(200);
  });

  it('refuses on one instance, at the next request, a token logged out on the other', async () => {
    const user = await register(two.url, organizationId);
    const tokens = await login(two.url, user);
    const before = await call(two.url, 'GET', `${API}/auth/me`, { token: tokens.access_token });
    expect(before.status).toBe(200);

    const logout = await call(one.url, 'POST', `${API}/auth/logout`, {
      token: tokens.access_token,
    });
    expect(logout.status).toBe(204);

    const after = await call(two.url, 'GET', `${API}/auth/me`, { token: tokens.access_token });
    expect(after.status).toBe(401);
    expect(after.body?.code).toBe('AUTH_TOKEN_REVOKED');
    const refresh = await call(two.url, 'POST', `${API}/auth/refresh`, {
      body: { refresh_token: tokens.refresh_token },
    });
    expect(refresh.status).toBe(401);
  });

  it('applies a role change made on one instance to the next request on the other', async () => {
    const owner = await register(one.url, organizationId);
    await deployment.setRoles(owner.userId, organizationId, ['owner']);
    const member = await register(one.url, organizationId);
    await deployment.setRoles(member.userId, organizationId, ['viewer']);
    const ownerTokens = await login(one.url, owner);
    const memberTokens = await login(two.url, member);

    const listRoles = () =>
      call(two.url, 'GET', `${API}/roles`, { token: memberTokens.access_token });
    expect((await listRoles()).status).toBe(403);

    const grant = await call(one.url, 'PUT', `${API}/members/${member.userId}/roles`, {
      token: ownerTokens.access_token,
      body: { roles: ['member'] },
    });
    expect(grant.status).toBe(200);
    expect((await listRoles()).status).toBe(200);

    const withdraw = await call(two.url, 'PUT', `${API}/members/${member.userId}/roles`, {
      token: ownerTokens.access_token,
      body: { roles: ['viewer'] },
    });
    expect(withdraw.status).toBe(200);
    const onOne = await call(one.url, 'GET', `${API}/roles`, {
      token: memberTokens.access_token,
    });
    expect(onOne.status).toBe(403);
  });

  it('counts one per-IP limit over requests split across both instances', async () => {
    const client = { 'X-Forwarded-For': '203.0.113.77' };
    const statuses: number[] = [];
    for (let index = 0; index < AUTH_LIMIT + 6; index++) {
      const instance = index % 2 === 0 ? one : two;
      const reply = await call(instance.url, 'POST', `${API}/auth/refresh`, {
        headers: client,
        body: { refresh_token: 'not-a-refresh-token-but-long-enough-to-pass-validation' },
      });
      statuses.push(reply.status);
    }

    // Each instance saw only half of the requests, yet the limit holds for their total.
    expect(statuses.slice(0, AUTH_LIMIT).every((status) => status !== 429)).toBe(true);
    expect(statuses.slice(AUTH_LIMIT)).toEqual(Array(6).fill(429));
    // Another client address still has its whole allowance, on either instance.
    const other = await call(two.url, 'POST', `${API}/auth/refresh`, {
      headers: { 'X-Forwarded-For': '203.0.113.78' },
      body: { refresh_token: 'not-a-refresh-token-but-long-enough-to-pass-validation' },
    });
    expect(other.status).not.toBe(429);
  });
});
