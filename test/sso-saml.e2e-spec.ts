import request from 'supertest';
import {
  API,
  createOrganization,
  expectProblem,
  registerUser,
  uniqueDomain,
} from './support/factories';
import { SignedInUser, bearer, orgAdmin } from './support/org-admin';
import {
  SamlPost,
  SamlResponseOverrides,
  SamlTestIdp,
  WRAPPING_POSITIONS,
  commentInNameId,
  createSamlIdp,
  resignAssertion,
  wrapSignature,
} from './support/saml-idp';
import {
  CLIENT_RETURN_URL,
  allowReturnUrl,
  createConnection,
  exchangeForProfile,
  failureReasons,
  ssoRows,
} from './support/sso';
import { TestApp, startTestApp } from './support/test-app';

const PUBLIC_URL = 'http://localhost:8000';

/**
 * SAML single sign-on through the service's real routes, answered by a real identity
 * provider (samlify) that signs its responses: SP-initiated login, provisioning, the code
 * exchange, and the attacks an SP must refuse without creating a user or a session.
 */
describe('SAML single sign-on', () => {
  let t: TestApp;
  let idp: SamlTestIdp;
  let otherIdp: SamlTestIdp;
  let organizationId: string;
  let admin: SignedInUser;
  let connectionId: string;
  const domain = uniqueDomain('saml');
  const alice = `alice@${domain}`;

  beforeAll(async () => {
    t = await startTestApp({ PUBLIC_URL });
    [idp, otherIdp] = await Promise.all([
      createSamlIdp({ name: 'corp' }),
      createSamlIdp({ name: 'other' }),
    ]);
    organizationId = (await createOrganization(t.dataSource)).id;
    admin = await orgAdmin(t, organizationId);
    await allowReturnUrl(t, organizationId);
    const connection = await createConnection(t, admin, {
      name: 'Corp IdP',
      protocol: 'saml',
      domains: [domain],
      saml: {
        metadata_xml: idp.metadata,
        attribute_mapping: { email: 'email', first_name: 'firstName', last_name: 'lastName' },
      },
    });
    connectionId = connection.id;
  });

  afterAll(async () => {
    await t?.close();
  });

  const acsPath = () => `${API}/sso/saml/${connectionId}/acs`;

  /** Starts a login as the browser would and answers the IdP's (overridden) response. */
  async function loginResponse(overrides: SamlResponseOverrides = {}): Promise<SamlPost> {
    const start = await request(t.server)
      .get(`${API}/sso/saml/${connectionId}/login`)
      .query({ return_url: CLIENT_RETURN_URL, state: 'client-state' })
      .expect(302);
    expect(start.headers.location.startsWith(idp.ssoUrl)).toBe(true);

    return idp.respond(start.headers.location, { nameId: alice, ...overrides });
  }

  function post(body: SamlPost) {
    return request(t.server).post(acsPath()).type('form').send(body);
  }

  /** Posts a response that must be refused; nothing may be created by it. */
  async function expectRefused(
    body: SamlPost,
    reason: string,
    status = 401,
  ): Promise<Record<string, unknown>> {
    const before = await ssoRows(t, connectionId, domain);
    const response = await post(body);

    const problem = expectProblem(
      response,
      status,
      status === 401 ? 'SSO_LOGIN_FAILED' : 'SSO_LOGIN_REFUSED',
    );
    expect(await ssoRows(t, connectionId, domain)).toEqual(before);
    expect((await failureReasons(t, connectionId)).at(-1)).toBe(reason);

    return problem;
  }

  it('publishes service provider metadata', async () => {
    const response = await request(t.server)
      .get(`${API}/sso/saml/${connectionId}/metadata`)
      .expect(200);

    expect(response.headers['content-type']).toMatch(/^application\/samlmetadata\+xml/);
    expect(response.text).toContain(`${PUBLIC_URL}${API}/sso/saml/${connectionId}/acs`);
  });

  it('signs a new user in: provisioning, the code exchange and the profile', async () => {
    const back = await post(await loginResponse()).expect(303);
    const landing = new URL(back.headers.location);
    expect(`${landing.origin}${landing.pathname}`).toBe(CLIENT_RETURN_URL);
    expect(landing.searchParams.get('state')).toBe('client-state');

    const { me } = await exchangeForProfile(t, landing);
    expect(me).toMatchObject({
      email: alice,
      first_name: 'Alice',
      last_name: 'Example',
      organization_id: organizationId,
      roles: ['member'],
    });
    const provisioned = await t.dataSource.query<Array<{ action: string }>>(
      "SELECT action FROM audit_events WHERE action IN ('sso.user_provisioned', 'auth.login') AND actor_user_id = $1 ORDER BY sequence",
      [me.id],
    );
    expect(provisioned.map((row) => row.action)).toEqual(['sso.user_provisioned', 'auth.login']);
  });

  it('updates the mapped profile on a later login', async () => {
    const back = await post(
      await loginResponse({
        attributes: { email: alice, firstName: 'Alicia', lastName: 'Example' },
      }),
    ).expect(303);
    const { me } = await exchangeForProfile(t, new URL(back.headers.location));
    expect(me.first_name).toBe('Alicia');
  });

  it('refuses an unsigned response', async () => {
    await expectRefused(await loginResponse({ sign: 'none' }), 'signature_missing');
  });

  it("refuses an assertion signed by another connection's identity provider", async () => {
    await expectRefused(resignAssertion(await loginResponse(), otherIdp), 'certificate_mismatch');
  });

  it.each(WRAPPING_POSITIONS)('refuses XML signature wrapping (%s)', async (position) => {
    const body = wrapSignature(await loginResponse(), position, `mallory@${domain}`);
    const before = await ssoRows(t, connectionId, domain);

    expect((await post(body)).status).toBe(401);
    expect(await ssoRows(t, connectionId, domain)).toEqual(before);
  });

  it('never reads a NameID cut short by a comment', async () => {
    // The signed NameID is alice@<domain>.evil.example; a reader stopping at the comment
    // would see alice@<domain> and sign Alice in.
    const body = commentInNameId(
      await loginResponse({
        nameId: `${alice}.evil.example`,
        attributes: { firstName: 'Mallory' },
      }),
      alice,
    );

    await expectRefused(body, 'email_domain_not_served', 403);
  });

  it('refuses a response for another audience', async () => {
    await expectRefused(
      await loginResponse({ audience: 'https://other-sp.example' }),
      'audience_mismatch',
    );
  });

  it('refuses an expired assertion', async () => {
    const past = new Date(Date.now() - 60 * 60 * 1000);
    await expectRefused(
      await loginResponse({ notBefore: new Date(past.getTime() - 60_000), notOnOrAfter: past }),
      'assertion_expired',
    );
  });

  it('refuses a replayed response', async () => {
    const body = await loginResponse();
    await post(body).expect(303);

    expect((await post(body)).status).toBe(401);
    expect(['replayed', 'unknown_request']).toContain(
      (await failureReasons(t, connectionId)).at(-1),
    );
  });

  it('refuses a response to a request this service never issued', async () => {
    await expectRefused(
      await loginResponse({ inResponseTo: '_forged-request-id' }),
      'unknown_request',
    );
  });

  it('refuses an IdP-initiated response unless the connection allows it', async () => {
    const sp = {
      entityId: `${PUBLIC_URL}${API}/sso/saml/${connectionId}/metadata`,
      acsUrl: `${PUBLIC_URL}${API}/sso/saml/${connectionId}/acs`,
    };
    await expectRefused(
      await idp.respondIdpInitiated(sp, { nameId: alice, relayState: CLIENT_RETURN_URL }),
      'idp_initiated_not_allowed',
    );

    await request(t.server)
      .patch(`${API}/sso/connections/${connectionId}`)
      .set(bearer(admin))
      .send({ saml: { allow_idp_initiated: true } })
      .expect(200);
    try {
      const allowed = await post(
        await idp.respondIdpInitiated(sp, { nameId: alice, relayState: CLIENT_RETURN_URL }),
      ).expect(303);
      expect(allowed.headers.location.startsWith(`${CLIENT_RETURN_URL}?code=`)).toBe(true);

      const elsewhere = await post(
        await idp.respondIdpInitiated(sp, { nameId: alice, relayState: 'https://evil.example' }),
      );
      expectProblem(elsewhere, 400, 'SSO_RETURN_URL_NOT_ALLOWED');
    } finally {
      await request(t.server)
        .patch(`${API}/sso/connections/${connectionId}`)
        .set(bearer(admin))
        .send({ saml: { allow_idp_initiated: false } })
        .expect(200);
    }
  });

  it('refuses a return URL the organization does not allow, before leaving', async () => {
    const response = await request(t.server)
      .get(`${API}/sso/saml/${connectionId}/login`)
      .query({ return_url: `${CLIENT_RETURN_URL}.evil.example` });
    expectProblem(response, 400, 'SSO_RETURN_URL_NOT_ALLOWED');
  });

  it('answers garbage at the ACS with a problem, never a 500', async () => {
    for (const body of ['SAMLResponse=%%%', 'SAMLResponse=PHhtbD4=', 'nothing=here', '']) {
      const response = await request(t.server).post(acsPath()).type('form').send(body);
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
    }
  });

  it('links an existing member only, never an account of another organization', async () => {
    const otherOrganization = (await createOrganization(t.dataSource)).id;
    const outsider = await registerUser(t.server, otherOrganization, {
      email: `bob@${domain}`,
    });

    const problem = await expectRefused(
      await loginResponse({ nameId: outsider.email, attributes: { email: outsider.email } }),
      'account_in_other_organization',
      403,
    );
    // Whoever runs the identity provider learns nothing about accounts elsewhere.
    expect(problem.detail).toBe('this account cannot sign in through this connection');
  });

  it('refuses a user removed from the organization, without adding them back', async () => {
    const carol = `carol@${domain}`;
    await post(
      await loginResponse({ nameId: carol, attributes: { email: carol, firstName: 'Carol' } }),
    ).expect(303);
    const [user] = await t.dataSource.query<Array<{ id: string }>>(
      'SELECT id FROM users WHERE email = $1',
      [carol],
    );
    await request(t.server).delete(`${API}/members/${user.id}`).set(bearer(admin)).expect(204);

    await expectRefused(
      await loginResponse({ nameId: carol, attributes: { email: carol } }),
      'removed_from_organization',
      403,
    );
    const memberships = await t.dataSource.query<unknown[]>(
      'SELECT 1 FROM memberships WHERE user_id = $1',
      [user.id],
    );
    expect(memberships).toHaveLength(0);
  });

  it('gives a user with MFA a challenge, not tokens, at the exchange', async () => {
    const [user] = await t.dataSource.query<Array<{ id: string }>>(
      'SELECT id FROM users WHERE email = $1',
      [alice],
    );
    await t.dataSource.query(
      `INSERT INTO user_totp_factors (user_id, secret_encrypted, enabled_at)
       VALUES ($1, 'v1.x.y.z.w', now())`,
      [user.id],
    );
    try {
      const back = await post(await loginResponse()).expect(303);
      const code = new URL(back.headers.location).searchParams.get('code');
      const answer = await request(t.server)
        .post(`${API}/auth/sso/exchange`)
        .send({ code })
        .expect(200);

      expect(answer.body).toMatchObject({ mfa_required: true });
      expect(answer.body.access_token).toBeUndefined();
    } finally {
      await t.dataSource.query('DELETE FROM user_totp_factors WHERE user_id = $1', [user.id]);
    }
  });
});
