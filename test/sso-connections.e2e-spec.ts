import { generate } from 'selfsigned';
import request from 'supertest';
import {
  API,
  GUIDE_PASSWORD,
  createOrganization,
  expectProblem,
  registerUser,
  uniqueDomain,
  uniqueEmail,
} from './support/factories';
import { SignedInUser, bearer, orgAdmin, signIn, signedInMember } from './support/org-admin';
import { createConnection } from './support/sso';
import { TestApp, startTestApp } from './support/test-app';

const DAY = 24 * 60 * 60 * 1000;

async function certificate(notAfter: Date, notBefore = new Date(Date.now() - DAY)) {
  const pems = await generate([{ name: 'commonName', value: 'idp.test' }], {
    keySize: 2048,
    notBeforeDate: notBefore,
    notAfterDate: notAfter,
  });

  return { cert: pems.cert, key: pems.private };
}

function idpMetadata(entityId: string, ssoUrl: string, certificatePem: string): string {
  const body = certificatePem.replace(/-----[A-Z ]+-----|\s/g, '');

  return `<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="${entityId}">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
        <ds:X509Data><ds:X509Certificate>${body}</ds:X509Certificate></ds:X509Data>
      </ds:KeyInfo>
    </md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${ssoUrl}"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`;
}

describe('SSO connections', () => {
  let t: TestApp;
  let organizationId: string;
  let owner: SignedInUser;
  let valid: { cert: string; key: string };
  let expiringSoon: { cert: string; key: string };
  let expired: { cert: string; key: string };

  beforeAll(async () => {
    t = await startTestApp();
    organizationId = (await createOrganization(t.dataSource)).id;
    owner = await orgAdmin(t, organizationId);
    [valid, expiringSoon, expired] = await Promise.all([
      certificate(new Date(Date.now() + 365 * DAY)),
      certificate(new Date(Date.now() + 10 * DAY)),
      certificate(new Date(Date.now() - DAY), new Date(Date.now() - 30 * DAY)),
    ]);
  });

  afterAll(async () => {
    await t.close();
  });

  function samlBody(overrides: Record<string, unknown> = {}, saml: Record<string, unknown> = {}) {
    return {
      name: 'Acme IdP',
      protocol: 'saml',
      domains: [uniqueDomain('saml')],
      saml: {
        idp_entity_id: 'https://idp.acme.test/saml',
        sso_url: 'https://idp.acme.test/saml/sso',
        idp_certificates: [valid.cert],
        ...saml,
      },
      ...overrides,
    };
  }

  it('creates, reads, lists, updates, disables, enables and deletes a SAML connection', async () => {
    const created = await createConnection(t, owner, samlBody());
    expect(created).toMatchObject({
      organization_id: organizationId,
      protocol: 'saml',
      enabled: true,
      default_role: 'member',
      warnings: [],
      saml: {
        idp_entity_id: 'https://idp.acme.test/saml',
        want_assertions_signed: true,
        allow_idp_initiated: false,
        has_sp_private_key: false,
        acs_url: expect.stringContaining(`/api/v1/enterprise/sso/saml/${created.id}/acs`),
      },
    });

    const read = await request(t.server)
      .get(`${API}/sso/connections/${created.id}`)
      .set(bearer(owner))
      .expect(200);
    expect(read.body).toEqual(created);
    const listed = await request(t.server).get(`${API}/sso/connections`).set(bearer(owner));
    expect(listed.body.data.map((c: { id: string }) => c.id)).toContain(created.id);

    const updated = await request(t.server)
      .patch(`${API}/sso/connections/${created.id}`)
      .set(bearer(owner))
      .send({ name: 'Renamed', saml: { allow_idp_initiated: true } })
      .expect(200);
    expect(updated.body).toMatchObject({
      name: 'Renamed',
      saml: { allow_idp_initiated: true, idp_entity_id: 'https://idp.acme.test/saml' },
    });

    await request(t.server)
      .post(`${API}/sso/connections/${created.id}/disable`)
      .set(bearer(owner))
      .expect(200)
      .expect((response) => expect(response.body.enabled).toBe(false));
    await request(t.server)
      .post(`${API}/sso/connections/${created.id}/enable`)
      .set(bearer(owner))
      .expect(200)
      .expect((response) => expect(response.body.enabled).toBe(true));

    await request(t.server)
      .delete(`${API}/sso/connections/${created.id}`)
      .set(bearer(owner))
      .expect(204);
    expectProblem(
      await request(t.server).get(`${API}/sso/connections/${created.id}`).set(bearer(owner)),
      404,
      'SSO_CONNECTION_NOT_FOUND',
    );
    const actions = await t.dataSource.query<Array<{ action: string }>>(
      'SELECT action FROM audit_events WHERE target_id = $1 ORDER BY sequence',
      [created.id],
    );
    expect(actions.map((row) => row.action)).toEqual([
      'sso_connection.created',
      'sso_connection.updated',
      'sso_connection.disabled',
      'sso_connection.enabled',
      'sso_connection.deleted',
    ]);
  });

  it('fills SAML settings from IdP metadata XML', async () => {
    const created = await createConnection(t, owner, {
      name: 'From metadata',
      protocol: 'saml',
      domains: [uniqueDomain('meta')],
      saml: {
        metadata_xml: idpMetadata('https://idp.meta.test', 'https://idp.meta.test/sso', valid.cert),
      },
    });

    expect(created.saml).toMatchObject({
      idp_entity_id: 'https://idp.meta.test',
      sso_url: 'https://idp.meta.test/sso',
      name_id_format: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
      idp_certificates: [expect.objectContaining({ subject: 'CN=idp.test' })],
    });
  });

  it.each([
    ['garbage', { metadata_xml: 'not xml at all' }, 'SSO_INVALID_METADATA'],
    [
      'an invalid certificate',
      { idp_certificates: ['-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----'] },
      'SSO_INVALID_CERTIFICATE',
    ],
    [
      'a non-base64 certificate',
      { idp_certificates: ['not a certificate!'] },
      'SSO_INVALID_CERTIFICATE',
    ],
    ['three certificates', { idp_certificates: ['a', 'b', 'c'] }, 'VALIDATION_FAILED'],
    ['an sso_url that is not a URL', { sso_url: 'javascript:alert(1)' }, 'VALIDATION_FAILED'],
    ['a key without its certificate', { sp_private_key: 'x' }, 'SSO_CONNECTION_INVALID'],
    ['a certificate removed without its key', { sp_certificate: null }, 'SSO_CONNECTION_INVALID'],
    ['an entity id that is no URI', { idp_entity_id: 'not a url at all' }, 'VALIDATION_FAILED'],
    ['a made-up NameID format', { name_id_format: 'garbage' }, 'VALIDATION_FAILED'],
  ])('refuses a SAML connection with %s', async (_name, saml, code) => {
    const response = await request(t.server)
      .post(`${API}/sso/connections`)
      .set(bearer(owner))
      .send(samlBody({}, saml));

    expectProblem(response, 400, code);
  });

  it('refuses metadata that describes several identity providers', async () => {
    const one = idpMetadata('https://a.test', 'https://a.test/sso', valid.cert);
    const two = idpMetadata('https://b.test', 'https://b.test/sso', valid.cert);
    const aggregate =
      '<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">' +
      one.replace(/^<\?xml[^>]*>/, '') +
      two.replace(/^<\?xml[^>]*>/, '') +
      '</md:EntitiesDescriptor>';
    const response = await request(t.server)
      .post(`${API}/sso/connections`)
      .set(bearer(owner))
      .send({
        name: 'Aggregate',
        protocol: 'saml',
        domains: [uniqueDomain('agg')],
        saml: { metadata_xml: aggregate },
      });

    const body = expectProblem(response, 400, 'SSO_INVALID_METADATA');
    expect(body.detail).toContain('2 identity providers');
  });

  it('refuses a connection name with invisible characters', async () => {
    const response = await request(t.server)
      .post(`${API}/sso/connections`)
      .set(bearer(owner))
      .send(samlBody({ name: '\u200b' }));

    expectProblem(response, 400, 'VALIDATION_FAILED');
  });

  it('refuses an expired IdP certificate, naming it', async () => {
    const response = await request(t.server)
      .post(`${API}/sso/connections`)
      .set(bearer(owner))
      .send(samlBody({}, { idp_certificates: [valid.cert, expired.cert] }));

    const body = expectProblem(response, 400, 'SSO_CERTIFICATE_EXPIRED');
    expect(body.detail).toContain('saml.idp_certificates[1]');
  });

  it('flags a certificate that expires within 30 days', async () => {
    const created = await createConnection(
      t,
      owner,
      samlBody({}, { idp_certificates: [valid.cert, expiringSoon.cert] }),
    );

    const saml = created.saml as { idp_certificates: Array<{ expires_soon: boolean }> };
    expect(saml.idp_certificates.map((c) => c.expires_soon)).toEqual([false, true]);
    expect(created.warnings).toEqual([expect.stringContaining('IdP certificate 2 expires')]);
  });

  it('keeps the SP private key write-only and checks it belongs to its certificate', async () => {
    const mismatch = await request(t.server)
      .post(`${API}/sso/connections`)
      .set(bearer(owner))
      .send(samlBody({}, { sp_private_key: expiringSoon.key, sp_certificate: valid.cert }));
    expectProblem(mismatch, 400, 'SSO_INVALID_CERTIFICATE');

    const created = await createConnection(
      t,
      owner,
      samlBody({}, { sp_private_key: valid.key, sp_certificate: valid.cert }),
    );
    expect(JSON.stringify(created)).not.toContain('PRIVATE KEY');
    expect(created.saml).toMatchObject({ has_sp_private_key: true });
    const [row] = await t.dataSource.query<Array<{ key: string }>>(
      'SELECT saml_sp_private_key AS key FROM sso_connections WHERE id = $1',
      [created.id],
    );
    expect(row.key).toMatch(/^v1\./);
  });

  it('refuses an elliptic-curve SP key, since requests are signed with RSA-SHA256', async () => {
    const ec = await generate([{ name: 'commonName', value: 'sp.test' }], {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      notAfterDate: new Date(Date.now() + 90 * DAY),
    });
    const response = await request(t.server)
      .post(`${API}/sso/connections`)
      .set(bearer(owner))
      .send(samlBody({}, { sp_private_key: ec.private, sp_certificate: ec.cert }));

    const body = expectProblem(response, 400, 'SSO_INVALID_CERTIFICATE');
    expect(body.detail).toContain('RSA');
  });

  it('encrypts the OIDC client secret and never returns it', async () => {
    const created = await createConnection(t, owner, {
      name: 'OP',
      protocol: 'oidc',
      domains: [uniqueDomain('op')],
      oidc: {
        issuer: 'https://op.example.com',
        client_id: 'fm',
        client_secret: 'top-secret-value',
      },
    });

    expect(JSON.stringify(created)).not.toContain('top-secret-value');
    expect(created.oidc).toMatchObject({
      issuer: 'https://op.example.com',
      has_client_secret: true,
      scopes: ['openid', 'email', 'profile'],
      redirect_uri: expect.stringContaining(`/sso/oidc/${created.id}/callback`),
    });
    const [row] = await t.dataSource.query<Array<{ secret: string }>>(
      'SELECT oidc_client_secret AS secret FROM sso_connections WHERE id = $1',
      [created.id],
    );
    expect(row.secret).toMatch(/^v1\./);
    expect(row.secret).not.toContain('top-secret-value');
  });

  it.each([
    [
      'plain http',
      { issuer: 'http://op.example.com', client_id: 'a', client_secret: 'b' },
      'SSO_CONNECTION_INVALID',
    ],
    [
      'no client secret',
      { issuer: 'https://op.example.com', client_id: 'a' },
      'SSO_CONNECTION_INVALID',
    ],
  ])('refuses an OIDC connection with %s', async (_name, oidc, code) => {
    const response = await request(t.server)
      .post(`${API}/sso/connections`)
      .set(bearer(owner))
      .send({ name: 'OP', protocol: 'oidc', domains: [uniqueDomain('op')], oidc });

    expectProblem(response, 400, code);
  });

  it('refuses settings of the other protocol', async () => {
    const response = await request(t.server)
      .post(`${API}/sso/connections`)
      .set(bearer(owner))
      .send({ ...samlBody(), oidc: { issuer: 'https://op.example.com' } });

    expectProblem(response, 400, 'SSO_CONNECTION_INVALID');
  });

  it('gives each email domain to one connection on the whole platform', async () => {
    const domain = uniqueDomain('taken');
    await createConnection(t, owner, samlBody({ domains: [domain] }));
    const otherOrganization = (await createOrganization(t.dataSource)).id;
    const otherOwner = await orgAdmin(t, otherOrganization);

    const response = await request(t.server)
      .post(`${API}/sso/connections`)
      .set(bearer(otherOwner))
      .send(samlBody({ domains: [domain] }));

    expectProblem(response, 409, 'SSO_DOMAIN_TAKEN');
  });

  it('refuses a default role the administrator could not grant', async () => {
    const admin = await signedInMember(t, organizationId, ['admin']);
    const response = await request(t.server)
      .post(`${API}/sso/connections`)
      .set(bearer(admin))
      .send(samlBody({ default_role: 'owner' }));
    expectProblem(response, 400, 'SSO_CONNECTION_INVALID');

    const unknown = await request(t.server)
      .post(`${API}/sso/connections`)
      .set(bearer(owner))
      .send(samlBody({ default_role: 'no-such-role' }));
    expectProblem(unknown, 400, 'SSO_UNKNOWN_ROLE');
  });

  it('lets only sso:manage change connections, and sso:read read them', async () => {
    const created = await createConnection(t, owner, samlBody());
    const member = await signedInMember(t, organizationId, ['member']);

    expectProblem(
      await request(t.server).get(`${API}/sso/connections`).set(bearer(member)),
      403,
      'AUTH_PERMISSION_DENIED',
    );
    expectProblem(
      await request(t.server)
        .post(`${API}/sso/connections/${created.id}/disable`)
        .set(bearer(member)),
      403,
      'AUTH_PERMISSION_DENIED',
    );
  });

  it("answers 404 for another organization's connection", async () => {
    const created = await createConnection(t, owner, samlBody());
    const otherOrganization = (await createOrganization(t.dataSource)).id;
    const otherOwner = await orgAdmin(t, otherOrganization);

    for (const call of [
      request(t.server).get(`${API}/sso/connections/${created.id}`),
      request(t.server).patch(`${API}/sso/connections/${created.id}`).send({ name: 'x' }),
      request(t.server).post(`${API}/sso/connections/${created.id}/disable`),
      request(t.server).delete(`${API}/sso/connections/${created.id}`),
    ]) {
      expectProblem(await call.set(bearer(otherOwner)), 404, 'SSO_CONNECTION_NOT_FOUND');
    }
  });

  describe('discovery', () => {
    it('names the connection of the email domain, and password for any other domain', async () => {
      const domain = uniqueDomain('disco');
      const created = await createConnection(t, owner, samlBody({ domains: [domain] }));

      const sso = await request(t.server)
        .post(`${API}/sso/discover`)
        .send({ email: `Someone@${domain.toUpperCase()}` })
        .expect(200);
      expect(sso.body).toEqual({
        method: 'sso',
        connection_id: created.id,
        protocol: 'saml',
        organization_id: organizationId,
        login_url: created.login_url,
      });

      const password = await request(t.server)
        .post(`${API}/sso/discover`)
        .send({ email: uniqueEmail('x') })
        .expect(200);
      expect(password.body).toEqual({ method: 'password' });
    });

    it('answers alike whether or not the user exists', async () => {
      const domain = uniqueDomain('alike');
      await createConnection(t, owner, samlBody({ domains: [domain] }));
      await registerUser(t.server, organizationId, { email: `known@${domain}` });

      const known = await request(t.server)
        .post(`${API}/sso/discover`)
        .send({ email: `known@${domain}` });
      const unknown = await request(t.server)
        .post(`${API}/sso/discover`)
        .send({ email: `unknown@${domain}` });
      expect(known.body).toEqual(unknown.body);
    });

    it('answers password for a disabled connection', async () => {
      const domain = uniqueDomain('off');
      await createConnection(t, owner, samlBody({ domains: [domain], enabled: false }));

      const response = await request(t.server)
        .post(`${API}/sso/discover`)
        .send({ email: `a@${domain}` })
        .expect(200);
      expect(response.body).toEqual({ method: 'password' });
    });
  });

  describe('require_sso', () => {
    it('refuses password logins, switches and refreshes of members in SSO domains', async () => {
      const domain = uniqueDomain('required');
      const organization = (await createOrganization(t.dataSource)).id;
      const orgOwner = await orgAdmin(t, organization);
      const member = await registerUser(t.server, organization, { email: `m@${domain}` });
      const outsider = await registerUser(t.server, organization, { email: uniqueEmail('o') });
      const before = await request(t.server)
        .post(`${API}/auth/login`)
        .send({ email: member.email, password: GUIDE_PASSWORD, organization_id: organization })
        .expect(200);
      await createConnection(t, orgOwner, samlBody({ domains: [domain] }));
      await request(t.server)
        .patch(`${API}/organizations/current`)
        .set(bearer(orgOwner))
        .send({ require_sso: true })
        .expect(200);

      const login = await request(t.server)
        .post(`${API}/auth/login`)
        .send({ email: member.email, password: GUIDE_PASSWORD });
      expectProblem(login, 403, 'AUTH_SSO_REQUIRED');
      const refresh = await request(t.server)
        .post(`${API}/auth/refresh`)
        .send({ refresh_token: before.body.refresh_token });
      expectProblem(refresh, 401, 'AUTH_INVALID_REFRESH_TOKEN');
      const register = await request(t.server)
        .post(`${API}/auth/register`)
        .send({
          email: `new@${domain}`,
          password: GUIDE_PASSWORD,
          first_name: 'N',
          last_name: 'U',
          organization_id: organization,
        });
      expectProblem(register, 403, 'AUTH_SSO_REQUIRED');

      // Members outside the connection's domains keep their password.
      await signIn(t, outsider, organization);
    });
  });

  it('will not let an owner require SSO before signing in through it', async () => {
    const domain = uniqueDomain('lockout');
    const organization = (await createOrganization(t.dataSource)).id;
    const boss = await signedInMember(t, organization, ['owner'], `boss@${domain}`);
    const connection = await createConnection(t, boss, samlBody({ domains: [domain] }));

    const refused = await request(t.server)
      .patch(`${API}/organizations/current`)
      .set(bearer(boss))
      .send({ require_sso: true });
    expectProblem(refused, 409, 'ORGANIZATION_SSO_LOCKOUT');

    // Once the owner has an identity at the connection (a first SSO sign-in), it is allowed.
    await t.dataSource.query(
      'INSERT INTO sso_identities (connection_id, user_id, subject) VALUES ($1, $2, $3)',
      [connection.id, boss.userId, boss.email],
    );
    await request(t.server)
      .patch(`${API}/organizations/current`)
      .set(bearer(boss))
      .send({ require_sso: true })
      .expect(200);
  });

  it('has no SSO routes with ENABLE_SSO=false', async () => {
    const off = await startTestApp({ ENABLE_SSO: 'false' });
    try {
      expectProblem(
        await request(off.server).post(`${API}/sso/discover`).send({ email: 'a@b.example' }),
        404,
        'NOT_FOUND',
      );
      const document = await request(off.server).get('/enterprise/docs-json').expect(200);
      expect(Object.keys(document.body.paths).filter((path) => path.includes('/sso'))).toEqual([]);
    } finally {
      await off.close();
    }
  });
});
