import { X509Certificate } from 'node:crypto';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import request from 'supertest';
import { API, createOrganization, uniqueDomain } from './support/factories';
import { SignedInUser, bearer, orgAdmin } from './support/org-admin';
import { SamlTestIdp, createSamlIdp } from './support/saml-idp';
import { CLIENT_RETURN_URL, allowReturnUrl, createConnection } from './support/sso';
import { TestApp, startTestApp } from './support/test-app';

async function keyPair(commonName: string): Promise<{ cert: string; key: string }> {
  const pems = await generate([{ name: 'commonName', value: commonName }], {
    keySize: 2048,
    notAfterDate: new Date(Date.now() + 90 * 24 * 60 * 60 * 1000),
  });

  return { cert: pems.cert, key: pems.private };
}

/** The body of the single X509Certificate element of SP metadata, as DER base64. */
function publishedCertificate(metadata: string): string | null {
  const match = /<(?:ds:)?X509Certificate>([^<]+)</.exec(metadata);

  return match ? match[1].replace(/\s+/g, '') : null;
}

function derBase64(pem: string): string {
  return new X509Certificate(pem).raw.toString('base64');
}

/**
 * The platform SAML key mounted as a Kubernetes TLS secret (the deployment guide's
 * /var/secrets/saml): connections without a key of their own sign requests with it and
 * publish its certificate, and replacing the files takes effect without a restart.
 */
describe('SAML signing with the mounted platform key', () => {
  let t: TestApp;
  let idp: SamlTestIdp;
  let dir: string;
  let connectionId: string;
  let owner: SignedInUser;

  /** Replaces both files at once, as Kubernetes does when a secret volume is updated. */
  function mount(pair: { cert: string; key: string }): void {
    const staging = mkdtempSync(join(dir, '.stage-'));
    writeFileSync(join(staging, 'tls.crt'), pair.cert);
    writeFileSync(join(staging, 'tls.key'), pair.key, { mode: 0o600 });
    renameSync(join(staging, 'tls.crt'), join(dir, 'tls.crt'));
    renameSync(join(staging, 'tls.key'), join(dir, 'tls.key'));
    rmSync(staging, { recursive: true, force: true });
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fm-saml-secret-'));
    t = await startTestApp({ SAML_CERTIFICATE_DIR: dir, PUBLIC_URL: 'http://localhost:8000' });
    idp = await createSamlIdp({ name: 'mounted' });
    const organizationId = (await createOrganization(t.dataSource)).id;
    owner = await orgAdmin(t, organizationId);
    await allowReturnUrl(t, organizationId);
    const connection = await createConnection(t, owner, {
      name: 'Mounted key',
      protocol: 'saml',
      domains: [uniqueDomain('mounted')],
      saml: { metadata_xml: idp.metadata },
    });
    connectionId = connection.id;
  });

  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function metadata(): Promise<string> {
    const response = await request(t.server)
      .get(`${API}/sso/saml/${connectionId}/metadata`)
      .expect(200);

    return response.text;
  }

  async function loginRedirect(): Promise<string> {
    const response = await request(t.server)
      .get(`${API}/sso/saml/${connectionId}/login`)
      .query({ return_url: CLIENT_RETURN_URL })
      .expect(302);

    return response.headers.location;
  }

  it('sends unsigned requests and publishes no certificate while nothing is mounted', async () => {
    expect(publishedCertificate(await metadata())).toBeNull();
    expect(idp.readAuthnRequest(await loginRedirect()).signed).toBe(false);
  });

  it('signs with the mounted key and publishes its certificate, then follows a rotation', async () => {
    const first = await keyPair('sp-one');
    mount(first);

    expect(publishedCertificate(await metadata())).toBe(derBase64(first.cert));
    expect(idp.readAuthnRequest(await loginRedirect()).signed).toBe(true);
    const read = await request(t.server)
      .get(`${API}/sso/connections/${connectionId}`)
      .set(bearer(owner))
      .expect(200);
    expect(read.body.saml).toMatchObject({
      has_sp_private_key: false,
      sp_signing: 'mounted',
      sp_certificate: { subject: 'CN=sp-one' },
    });
    expect(read.text).not.toContain('PRIVATE KEY');

    const second = await keyPair('sp-two');
    mount(second);
    expect(publishedCertificate(await metadata())).toBe(derBase64(second.cert));
    expect(idp.readAuthnRequest(await loginRedirect()).signed).toBe(true);
  });

  it('ignores a mounted key that does not belong to its certificate', async () => {
    const [a, b] = await Promise.all([keyPair('sp-a'), keyPair('sp-b')]);
    mount({ cert: a.cert, key: b.key });

    expect(publishedCertificate(await metadata())).toBeNull();
    expect(idp.readAuthnRequest(await loginRedirect()).signed).toBe(false);
  });
});
