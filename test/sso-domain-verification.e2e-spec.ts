import request from 'supertest';
import { API, createOrganization, expectProblem, uniqueDomain } from './support/factories';
import { TestDnsServer, startDnsServer } from './support/dns-server';
import { SignedInUser, bearer, orgAdmin } from './support/org-admin';
import { TestApp, startTestApp } from './support/test-app';

interface DomainVerification {
  domain: string;
  verified: boolean;
  txt_record_name: string;
  txt_record_value: string;
}

interface Connection {
  id: string;
  domains: string[];
  domain_verification: DomainVerification[];
  warnings: string[];
}

/**
 * SSO domains must be proven with a DNS TXT record before they route anything, against a real
 * DNS server on loopback: an organization cannot take the logins of a domain it does not own,
 * nor squat on one before its owner.
 */
describe('SSO domain verification by DNS', () => {
  let t: TestApp;
  let dns: TestDnsServer;
  let owner: SignedInUser;
  let rivalOwner: SignedInUser;
  let organizationId: string;

  beforeAll(async () => {
    dns = await startDnsServer();
    t = await startTestApp({ SSO_DOMAIN_VERIFICATION: 'dns', SSO_DNS_SERVERS: dns.address });
    organizationId = (await createOrganization(t.dataSource)).id;
    owner = await orgAdmin(t, organizationId);
    rivalOwner = await orgAdmin(t, (await createOrganization(t.dataSource)).id);
  });

  afterAll(async () => {
    await t?.close();
    await dns?.stop();
  });

  async function create(by: SignedInUser, domains: string[]): Promise<Connection> {
    const response = await request(t.server)
      .post(`${API}/sso/connections`)
      .set(bearer(by))
      .send({
        name: 'OP',
        protocol: 'oidc',
        domains,
        oidc: { issuer: 'https://op.example.com', client_id: 'fm', client_secret: 'secret' },
      })
      .expect(201);

    return response.body as Connection;
  }

  const verify = (by: SignedInUser, id: string) =>
    request(t.server).post(`${API}/sso/connections/${id}/domains/verify`).set(bearer(by));

  const discover = async (email: string) =>
    (await request(t.server).post(`${API}/sso/discover`).send({ email }).expect(200)).body;

  it('routes nothing to a connection until its domain publishes the record', async () => {
    const domain = uniqueDomain('proof');
    const connection = await create(owner, [domain]);
    const [claim] = connection.domain_verification;
    expect(claim).toMatchObject({
      domain,
      verified: false,
      txt_record_name: `_faultmaven-sso.${domain}`,
      txt_record_value: expect.stringMatching(/^faultmaven-sso-verification=[0-9a-f]{32}$/),
    });
    expect(connection.warnings).toEqual([expect.stringContaining(`Domain ${domain}`)]);
    expect(await discover(`jane@${domain}`)).toEqual({ method: 'password' });

    dns.setTxt(claim.txt_record_name, ['faultmaven-sso-verification=wrong']);
    const wrong = await verify(owner, connection.id).expect(200);
    expect(wrong.body.domain_verification[0].verified).toBe(false);
    expect(await discover(`jane@${domain}`)).toEqual({ method: 'password' });

    dns.setTxt(claim.txt_record_name, ['v=spf1 -all', claim.txt_record_value]);
    const proven = await verify(owner, connection.id).expect(200);
    expect(proven.body.domain_verification[0].verified).toBe(true);
    expect(proven.body.warnings).toEqual([]);
    expect(await discover(`jane@${domain}`)).toMatchObject({
      method: 'sso',
      connection_id: connection.id,
    });
    const audited = await t.dataSource.query<Array<{ action: string }>>(
      "SELECT action FROM audit_events WHERE target_id = $1 AND action = 'sso_connection.domain_verified'",
      [connection.id],
    );
    expect(audited).toHaveLength(1);
  });

  it('lets no organization squat on a domain or take it from its prover', async () => {
    const domain = uniqueDomain('contested');
    // The rival claims first, but cannot publish the record: nothing changes for the owner.
    const rival = await create(rivalOwner, [domain]);
    const connection = await create(owner, [domain]);
    const claim = connection.domain_verification[0];
    dns.setTxt(claim.txt_record_name, [claim.txt_record_value]);

    await verify(rivalOwner, rival.id).expect(200);
    await verify(owner, connection.id).expect(200);
    expect(await discover(`a@${domain}`)).toMatchObject({ connection_id: connection.id });

    // Even with the owner's record in place, the rival's own token is not there.
    const again = await verify(rivalOwner, rival.id).expect(200);
    expect(again.body.domain_verification[0].verified).toBe(false);
  });

  it('refuses to prove a domain another connection has proven', async () => {
    const domain = uniqueDomain('second');
    const first = await create(owner, [domain]);
    const second = await create(rivalOwner, [domain]);
    dns.setTxt(`_faultmaven-sso.${domain}`, [
      first.domain_verification[0].txt_record_value,
      second.domain_verification[0].txt_record_value,
    ]);
    await verify(owner, first.id).expect(200);

    expectProblem(await verify(rivalOwner, second.id), 409, 'SSO_DOMAIN_TAKEN');
  });

  it('treats a Unicode domain and its punycode form as one domain', async () => {
    const label = uniqueDomain('idn').replace(/^idn-/, 'müller-');
    const connection = await create(owner, [label]);

    expect(connection.domains).toEqual([new URL(`http://${label}`).hostname]);
    expect(connection.domains[0]).toMatch(/^xn--/);
  });

  it("keeps a kept domain's proof when the domain list changes", async () => {
    const kept = uniqueDomain('kept');
    const connection = await create(owner, [kept]);
    const claim = connection.domain_verification[0];
    dns.setTxt(claim.txt_record_name, [claim.txt_record_value]);
    await verify(owner, connection.id).expect(200);

    const added = uniqueDomain('added');
    const updated = await request(t.server)
      .patch(`${API}/sso/connections/${connection.id}`)
      .set(bearer(owner))
      .send({ domains: [kept, added] })
      .expect(200);
    const states = Object.fromEntries(
      (updated.body as Connection).domain_verification.map((row) => [row.domain, row.verified]),
    );
    expect(states).toEqual({ [kept]: true, [added]: false });
  });

  it('answers 502 when DNS cannot be asked', async () => {
    const broken = await startTestApp({
      SSO_DOMAIN_VERIFICATION: 'dns',
      // Nothing answers on this port: the resolver times out.
      SSO_DNS_SERVERS: '127.0.0.1:9',
    });
    try {
      const otherOwner = await orgAdmin(broken, (await createOrganization(broken.dataSource)).id);
      const response = await request(broken.server)
        .post(`${API}/sso/connections`)
        .set(bearer(otherOwner))
        .send({
          name: 'OP',
          protocol: 'oidc',
          domains: [uniqueDomain('nodns')],
          oidc: { issuer: 'https://op.example.com', client_id: 'fm', client_secret: 'secret' },
        })
        .expect(201);
      const answer = await request(broken.server)
        .post(`${API}/sso/connections/${response.body.id}/domains/verify`)
        .set(bearer(otherOwner));
      expectProblem(answer, 502, 'SSO_DNS_UNAVAILABLE');
    } finally {
      await broken.close();
    }
  });
});
