import request from 'supertest';
import {
  API,
  createOrganization,
  expectProblem,
  uniqueDomain,
  uniqueSuffix,
} from './support/factories';
import { OidcIdp, startOidcIdp } from './support/oidc-idp';
import { SignedInUser, bearer, orgAdmin } from './support/org-admin';
import {
  CLIENT_RETURN_URL,
  allowReturnUrl,
  createConnection,
  exchangeForProfile,
  failureReasons,
  pathOf,
  ssoRows,
} from './support/sso';
import { TestApp, startTestApp } from './support/test-app';

const PUBLIC_URL = 'http://localhost:8000';

/**
 * OIDC single sign-on through the service's real routes against a real OpenID provider
 * (oidc-provider on loopback): start, the provider's login, the callback, the code exchange.
 */
describe('OIDC single sign-on', () => {
  let t: TestApp;
  let idp: OidcIdp;
  let organizationId: string;
  let admin: SignedInUser;
  let connectionId: string;
  const domain = uniqueDomain('oidc');
  const alice = { sub: `alice-${uniqueSuffix()}`, email: `alice@${domain}` };
  /** A directory entry with a terminal bell, a bidi override and a name past the column. */
  const zoe = {
    sub: `zoe-${uniqueSuffix()}`,
    email: `zoe@${domain}`,
    email_verified: true,
    given_name: `\u0007Zoë ${'x'.repeat(150)}`,
    family_name: '\u202eNg\u200b',
  };

  beforeAll(async () => {
    t = await startTestApp({ PUBLIC_URL });
    organizationId = (await createOrganization(t.dataSource)).id;
    admin = await orgAdmin(t, organizationId);
    await allowReturnUrl(t, organizationId);
    // The provider registers the redirect URI, which holds the connection id: create the
    // connection first, then point it at the provider once it runs.
    const connection = await createConnection(t, admin, {
      name: 'Test OP',
      protocol: 'oidc',
      domains: [domain],
      oidc: { issuer: 'http://127.0.0.1:9', client_id: 'faultmaven', client_secret: 's3cret' },
    });
    connectionId = connection.id;
    const redirectUri = `${PUBLIC_URL}${API}/sso/oidc/${connectionId}/callback`;
    idp = await startOidcIdp({
      clients: [
        { client_id: 'faultmaven', client_secret: 's3cret', redirect_uris: [redirectUri] },
        { client_id: 'other-app', client_secret: 'other', redirect_uris: [redirectUri] },
      ],
      accounts: [
        { ...alice, email_verified: true, given_name: 'Alice', family_name: 'Ng' },
        { sub: 'mallory', email: 'mallory@elsewhere.example', email_verified: true },
        zoe,
      ],
    });
    await request(t.server)
      .patch(`${API}/sso/connections/${connectionId}`)
      .set(bearer(admin))
      .send({ oidc: { issuer: idp.issuer } })
      .expect(200);
  });

  afterAll(async () => {
    await idp?.stop();
    await t?.close();
  });

  /** Starts a login and answers the provider's redirect back to our callback. */
  async function throughProvider(account: string, state?: string): Promise<URL> {
    const start = await request(t.server)
      .get(`${API}/sso/oidc/${connectionId}/login`)
      .query({ return_url: CLIENT_RETURN_URL, ...(state ? { state } : {}) })
      .expect(302);

    return idp.authorize(start.headers.location, account);
  }

  it('signs a new user in: provisioning, the code exchange and the profile', async () => {
    const callback = await throughProvider(alice.sub, 'client-state-1');
    const back = await request(t.server).get(pathOf(callback.href)).expect(303);
    const landing = new URL(back.headers.location);
    expect(`${landing.origin}${landing.pathname}`).toBe(CLIENT_RETURN_URL);
    expect(landing.searchParams.get('state')).toBe('client-state-1');

    const { tokens, me } = await exchangeForProfile(t, landing);
    expect(tokens).toMatchObject({ organization_id: organizationId, token_type: 'Bearer' });
    expect(me).toMatchObject({
      email: alice.email,
      first_name: 'Alice',
      last_name: 'Ng',
      email_verified: true,
      roles: ['member'],
    });
    const [session] = await t.dataSource.query<Array<{ auth_method: string }>>(
      'SELECT auth_method FROM sessions WHERE user_id = $1',
      [me.id],
    );
    expect(session.auth_method).toBe('sso');
  });

  it('stores names from the provider as a form would take them: cleaned and cut to fit', async () => {
    const callback = await throughProvider(zoe.sub);
    const back = await request(t.server).get(pathOf(callback.href)).expect(303);

    const { me } = await exchangeForProfile(t, new URL(back.headers.location));
    expect(me).toMatchObject({
      first_name: `Zoë ${'x'.repeat(96)}`,
      last_name: 'Ng',
    });
  });

  it('refuses a code exchanged twice', async () => {
    const callback = await throughProvider(alice.sub);
    const back = await request(t.server).get(pathOf(callback.href)).expect(303);
    const code = new URL(back.headers.location).searchParams.get('code');

    await request(t.server).post(`${API}/auth/sso/exchange`).send({ code }).expect(200);
    const again = await request(t.server).post(`${API}/auth/sso/exchange`).send({ code });
    expectProblem(again, 400, 'SSO_INVALID_CODE');
  });

  it('links the returning user to the same account', async () => {
    const callback = await throughProvider(alice.sub);
    await request(t.server).get(pathOf(callback.href)).expect(303);

    const rows = await t.dataSource.query<Array<{ count: number }>>(
      'SELECT count(*)::int AS count FROM users WHERE email = $1',
      [alice.email],
    );
    expect(rows[0].count).toBe(1);
  });

  it('refuses a return URL the organization does not allow, before leaving', async () => {
    const response = await request(t.server)
      .get(`${API}/sso/oidc/${connectionId}/login`)
      .query({ return_url: 'https://evil.example/steal' });
    expectProblem(response, 400, 'SSO_RETURN_URL_NOT_ALLOWED');
  });

  it('refuses a replayed callback (the state is single use)', async () => {
    const callback = await throughProvider(alice.sub);
    await request(t.server).get(pathOf(callback.href)).expect(303);
    const before = await ssoRows(t, connectionId, domain);

    const replay = await request(t.server).get(pathOf(callback.href));
    expectProblem(replay, 401, 'SSO_LOGIN_FAILED');
    expect(await ssoRows(t, connectionId, domain)).toEqual(before);
    expect((await failureReasons(t, connectionId)).at(-1)).toBe('state_mismatch');
  });

  it('refuses a callback whose state was never issued', async () => {
    const callback = await throughProvider(alice.sub);
    callback.searchParams.set('state', 'forged-state');
    const before = await ssoRows(t, connectionId, domain);

    expectProblem(await request(t.server).get(pathOf(callback.href)), 401, 'SSO_LOGIN_FAILED');
    expect(await ssoRows(t, connectionId, domain)).toEqual(before);
  });

  it('refuses an ID token issued to another client', async () => {
    // A genuine ID token of the same provider for another application, swapped in on the
    // way back from the token endpoint.
    const otherIdToken = await idTokenForOtherClient();
    idp.rewriteTokenResponses((body) => ({ ...body, id_token: otherIdToken }));
    try {
      const callback = await throughProvider(alice.sub);
      const before = await ssoRows(t, connectionId, domain);
      expectProblem(await request(t.server).get(pathOf(callback.href)), 401, 'SSO_LOGIN_FAILED');
      expect(await ssoRows(t, connectionId, domain)).toEqual(before);
      expect((await failureReasons(t, connectionId)).at(-1)).toBe('token_invalid');
    } finally {
      idp.rewriteTokenResponses(null);
    }
  });

  it('refuses an ID token minted for another login (nonce mismatch)', async () => {
    // The victim's login is begun; an attacker completes a login of their own and captures
    // the genuine ID token it got, which then replaces the victim's.
    const victim = await throughProvider(alice.sub);
    let captured = '';
    idp.rewriteTokenResponses((body) => {
      captured = String(body.id_token);
      return body;
    });
    const attacker = await throughProvider(alice.sub);
    await request(t.server).get(pathOf(attacker.href)).expect(303);
    idp.rewriteTokenResponses((body) => ({ ...body, id_token: captured }));
    try {
      const before = await ssoRows(t, connectionId, domain);
      expectProblem(await request(t.server).get(pathOf(victim.href)), 401, 'SSO_LOGIN_FAILED');
      expect(await ssoRows(t, connectionId, domain)).toEqual(before);
      expect((await failureReasons(t, connectionId)).at(-1)).toBe('nonce_mismatch');
    } finally {
      idp.rewriteTokenResponses(null);
    }
  });

  it('refuses an email outside the connection domains and creates nobody', async () => {
    const callback = await throughProvider('mallory');
    const response = await request(t.server).get(pathOf(callback.href));
    expectProblem(response, 403, 'SSO_LOGIN_REFUSED');
    const users = await t.dataSource.query<unknown[]>('SELECT 1 FROM users WHERE email = $1', [
      'mallory@elsewhere.example',
    ]);
    expect(users).toHaveLength(0);
    expect((await failureReasons(t, connectionId)).at(-1)).toBe('email_domain_not_served');
  });

  it('refuses a login the user cancelled at the provider', async () => {
    const start = await request(t.server)
      .get(`${API}/sso/oidc/${connectionId}/login`)
      .query({ return_url: CLIENT_RETURN_URL })
      .expect(302);
    const denied = await idp.deny(start.headers.location);

    expectProblem(await request(t.server).get(pathOf(denied.href)), 401, 'SSO_LOGIN_FAILED');
    expect((await failureReasons(t, connectionId)).at(-1)).toBe('provider_error');
  });

  it('refuses a deactivated member', async () => {
    const [user] = await t.dataSource.query<Array<{ id: string }>>(
      'SELECT id FROM users WHERE email = $1',
      [alice.email],
    );
    await t.dataSource.query(
      "UPDATE memberships SET status = 'deactivated' WHERE user_id = $1 AND organization_id = $2",
      [user.id, organizationId],
    );
    try {
      const callback = await throughProvider(alice.sub);
      expectProblem(await request(t.server).get(pathOf(callback.href)), 403, 'SSO_LOGIN_REFUSED');
      expect((await failureReasons(t, connectionId)).at(-1)).toBe('membership_deactivated');
    } finally {
      await t.dataSource.query(
        "UPDATE memberships SET status = 'active' WHERE user_id = $1 AND organization_id = $2",
        [user.id, organizationId],
      );
    }
  });

  it('stops logins at once when the connection is disabled', async () => {
    await request(t.server)
      .post(`${API}/sso/connections/${connectionId}/disable`)
      .set(bearer(admin))
      .expect(200);
    try {
      const response = await request(t.server)
        .get(`${API}/sso/oidc/${connectionId}/login`)
        .query({ return_url: CLIENT_RETURN_URL });
      expectProblem(response, 404, 'SSO_CONNECTION_DISABLED');
    } finally {
      await request(t.server)
        .post(`${API}/sso/connections/${connectionId}/enable`)
        .set(bearer(admin))
        .expect(200);
    }
  });

  /** An ID token the provider really issued, but to the `other-app` client. */
  async function idTokenForOtherClient(): Promise<string> {
    const verifier = 'v'.repeat(64);
    const { createHash } = await import('node:crypto');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const redirectUri = `${PUBLIC_URL}${API}/sso/oidc/${connectionId}/callback`;
    const authorize = new URL(`${idp.issuer}/auth`);
    authorize.search = new URLSearchParams({
      client_id: 'other-app',
      response_type: 'code',
      scope: 'openid email',
      redirect_uri: redirectUri,
      state: 'other',
      nonce: 'other-nonce',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    }).toString();
    const back = await idp.authorize(authorize.href, alice.sub);
    const response = await fetch(`${idp.issuer}/token`, {
      method: 'POST',
      headers: {
        Authorization: `Basic ${Buffer.from('other-app:other').toString('base64')}`,
        'Content-Type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: back.searchParams.get('code') ?? '',
        redirect_uri: redirectUri,
        code_verifier: verifier,
      }),
    });
    const body = (await response.json()) as { id_token?: string };
    if (!body.id_token) throw new Error('The provider issued no ID token to the other client');

    return body.id_token;
  }
});
