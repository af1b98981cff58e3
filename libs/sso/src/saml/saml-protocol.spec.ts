import { createVerify } from 'node:crypto';
import { DOMParser } from '@xmldom/xmldom';
import { generate } from 'selfsigned';
import { MemoryStore } from '@app/cache';
import {
  SamlTestIdp,
  WRAPPING_POSITIONS,
  WrappingPosition,
  commentInNameId,
  createSamlIdp,
  editSamlResponse,
  resignAssertion,
  wrapSignature,
  SAML_STATUS,
} from '../../../../test/support/saml-idp';
import {
  SamlConnectionSettings,
  ServiceProviderEndpoints,
  SsoFailureReason,
  SsoProtocolOptions,
} from '../sso-protocol';
import { SamlMetadataError, parseIdpMetadata } from './saml-metadata';
import { SamlProtocol } from './saml-protocol';

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const options: SsoProtocolOptions = {
  clockSkewSeconds: 60,
  flowTtlSeconds: 600,
  allowHttpLoopbackIssuers: false,
  issuerAddresses: { loopback: false, private: false },
};

const spFor = (connectionId: string): ServiceProviderEndpoints => ({
  entityId: `https://auth.test/sso/saml/${connectionId}/metadata`,
  acsUrl: `https://auth.test/sso/saml/${connectionId}/acs`,
});
const spA = spFor('conn-a');

const minutes = (count: number) => new Date(Date.now() + count * 60_000);
const certificateBody = (pem: string) => pem.replace(/-----[A-Z ]+-----|\s/g, '');

describe('SamlProtocol', () => {
  let idp: SamlTestIdp;
  let otherIdp: SamlTestIdp;
  let idpNextKey: SamlTestIdp;
  let spKey: { private: string; cert: string };
  let store: MemoryStore;
  let protocol: SamlProtocol;

  beforeAll(async () => {
    idp = await createSamlIdp({ name: 'corp' });
    otherIdp = await createSamlIdp({ name: 'other' });
    // The same identity provider after it rolled its signing key over.
    idpNextKey = await createSamlIdp({
      name: 'corp-next',
      entityId: idp.entityId,
      ssoUrl: idp.ssoUrl,
    });
    spKey = await generate([{ name: 'commonName', value: 'auth.test' }], { keySize: 2048 });
  });

  beforeEach(() => {
    store = new MemoryStore();
    protocol = new SamlProtocol(store, options);
  });

  afterEach(async () => {
    await store.close();
  });

  const settingsFor = (
    provider: SamlTestIdp,
    overrides: Partial<SamlConnectionSettings> = {},
  ): SamlConnectionSettings => ({
    connectionId: 'conn-a',
    ...provider.connectionSettings(),
    ...overrides,
  });

  /** Starts a login at connection A and answers it from `provider`. */
  const startLogin = async (settings = settingsFor(idp), sp = spA) =>
    protocol.loginUrl(settings, sp, { connectionId: settings.connectionId, returnUrl: '/after' });

  describe('loginUrl', () => {
    it('sends the browser to the IdP with an AuthnRequest for this service and an opaque RelayState', async () => {
      const url = await startLogin();

      const request = idp.readAuthnRequest(url);
      expect(url.startsWith(`${idp.ssoUrl}?`)).toBe(true);
      expect(request).toMatchObject({
        issuer: spA.entityId,
        acsUrl: spA.acsUrl,
        destination: idp.ssoUrl,
        signed: false,
      });
      expect(request.id).toMatch(/^_[0-9a-f]{40}$/);
      expect(request.relayState).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(url).not.toContain('after');
    });

    it('signs the AuthnRequest with the service-provider key when the connection has one', async () => {
      const settings = settingsFor(idp, { spPrivateKey: spKey.private, spCertificate: spKey.cert });

      const url = await startLogin(settings);

      const query = new URL(url).search.slice(1).split('&');
      const signed = query.filter((pair) => !pair.startsWith('Signature=')).join('&');
      const signature = new URL(url).searchParams.get('Signature')!;
      expect(new URL(url).searchParams.get('SigAlg')).toBe(
        'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
      );
      expect(
        createVerify('RSA-SHA256').update(signed).verify(spKey.cert, signature, 'base64'),
      ).toBe(true);
    });
  });

  describe('acs', () => {
    it('completes an SP-initiated login with the asserted profile and the carry', async () => {
      const url = await startLogin();
      const post = await idp.respond(url);

      const result = await protocol.acs(settingsFor(idp), spA, post);

      expect(result).toEqual({
        profile: {
          subject: 'alice@corp.example',
          email: 'alice@corp.example',
          emailVerified: true,
          firstName: 'Alice',
          lastName: 'Example',
          groups: ['engineering', 'sre'],
        },
        carry: { connectionId: 'conn-a', returnUrl: '/after' },
        relayState: null,
      });
    });

    it('accepts a response signed with either certificate during a rollover', async () => {
      const settings = settingsFor(idp, {
        idpCertificates: [idp.certificate, idpNextKey.certificate],
      });

      const before = await protocol.acs(
        settings,
        spA,
        await idp.respond(await startLogin(settings)),
      );
      const after = await protocol.acs(
        settings,
        spA,
        await idpNextKey.respond(await startLogin(settings)),
      );

      expect(before.profile.subject).toBe('alice@corp.example');
      expect(after.profile.subject).toBe('alice@corp.example');
    });

    it('accepts an assertion signed only through the response when assertions need no signature', async () => {
      const settings = settingsFor(idp, { wantAssertionsSigned: false });
      const post = await idp.respond(await startLogin(settings), { sign: 'response' });

      const result = await protocol.acs(settings, spA, post);

      expect(result.profile.subject).toBe('alice@corp.example');
    });

    it('accepts a response whose assertion and envelope are both signed', async () => {
      const post = await idp.respond(await startLogin(), { sign: 'both' });

      const result = await protocol.acs(settingsFor(idp), spA, post);

      expect(result.profile.email).toBe('alice@corp.example');
    });

    it('reads the profile from mapped attribute names', async () => {
      const settings = settingsFor(idp, {
        attributeMapping: { email: 'mailbox', first_name: 'fn', last_name: 'ln', groups: 'teams' },
      });
      const post = await idp.respond(await startLogin(settings), {
        nameId: 'u-123',
        nameIdFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
        attributes: { mailbox: 'bob@corp.example', fn: 'Bob', ln: 'Builder', teams: 'ops' },
      });

      const { profile } = await protocol.acs(settings, spA, post);

      expect(profile).toEqual({
        subject: 'u-123',
        email: 'bob@corp.example',
        emailVerified: true,
        firstName: 'Bob',
        lastName: 'Builder',
        groups: ['ops'],
      });
    });

    it('reads the profile from the claim URIs Microsoft identity providers send by default', async () => {
      const claims = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims';
      const post = await idp.respond(await startLogin(), {
        nameId: 'opaque-id',
        nameIdFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
        attributes: {
          [`${claims}/emailaddress`]: 'carol@corp.example',
          [`${claims}/givenname`]: 'Carol',
          [`${claims}/surname`]: 'Jones',
          'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups': ['g1', 'g2'],
        },
      });

      const { profile } = await protocol.acs(settingsFor(idp), spA, post);

      expect(profile).toMatchObject({
        subject: 'opaque-id',
        email: 'carol@corp.example',
        firstName: 'Carol',
        lastName: 'Jones',
        groups: ['g1', 'g2'],
      });
    });

    it('takes the email from an email-shaped NameID when no attribute carries one', async () => {
      const post = await idp.respond(await startLogin(), {
        nameId: 'dave@corp.example',
        attributes: {},
      });

      const { profile } = await protocol.acs(settingsFor(idp), spA, post);

      expect(profile).toMatchObject({
        email: 'dave@corp.example',
        firstName: null,
        lastName: null,
        groups: [],
      });
    });

    it('refuses a profile without an email', async () => {
      const post = await idp.respond(await startLogin(), {
        nameId: 'opaque-id',
        nameIdFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
        attributes: { firstName: 'Eve' },
      });

      await expect(protocol.acs(settingsFor(idp), spA, post)).rejects.toMatchObject({
        reason: 'missing_email',
      });
    });

    const refusals: [string, Parameters<SamlTestIdp['respond']>[1], SsoFailureReason][] = [
      ['an unsigned response', { sign: 'none' }, 'signature_missing'],
      ['a response whose assertion is unsigned', { sign: 'response' }, 'signature_missing'],
      ['a wrong audience', { audience: 'https://someone-else.test/metadata' }, 'audience_mismatch'],
      ['a wrong recipient', { recipient: 'https://evil.test/acs' }, 'recipient_mismatch'],
      ['a wrong destination', { destination: 'https://evil.test/acs' }, 'destination_mismatch'],
      ['a wrong issuer', { issuer: 'https://evil.test/idp' }, 'issuer_mismatch'],
      [
        'an expired assertion',
        { notBefore: minutes(-20), notOnOrAfter: minutes(-5) },
        'assertion_expired',
      ],
      ['an assertion not yet valid', { notBefore: minutes(10) }, 'assertion_not_yet_valid'],
      ['a failure status', { status: SAML_STATUS.responder }, 'status_not_success'],
      [
        'an unsigned failure status',
        { status: SAML_STATUS.responder, sign: 'none' },
        'status_not_success',
      ],
      ['an InResponseTo this service never issued', { inResponseTo: '_forged' }, 'unknown_request'],
    ];

    it.each(refusals)('refuses %s', async (_case, overrides, reason) => {
      const post = await idp.respond(await startLogin(), overrides);

      await expect(protocol.acs(settingsFor(idp), spA, post)).rejects.toMatchObject({
        name: 'SsoProtocolError',
        reason,
      });
    });

    it('refuses an assertion whose content was changed after signing', async () => {
      const post = editSamlResponse(await idp.respond(await startLogin()), (xml) =>
        xml.replace('>alice@corp.example</saml:NameID>', '>admin@corp.example</saml:NameID>'),
      );

      await expect(protocol.acs(settingsFor(idp), spA, post)).rejects.toMatchObject({
        reason: 'certificate_mismatch',
      });
    });

    it("refuses an assertion signed by another connection's identity provider", async () => {
      const post = await otherIdp.respond(await startLogin());

      await expect(protocol.acs(settingsFor(idp), spA, post)).rejects.toMatchObject({
        reason: 'certificate_mismatch',
      });
    });

    it('refuses an assertion re-signed with a foreign key under the right issuer', async () => {
      const post = resignAssertion(await idp.respond(await startLogin()), otherIdp);

      await expect(protocol.acs(settingsFor(idp), spA, post)).rejects.toMatchObject({
        reason: 'certificate_mismatch',
      });
    });

    const wrapping: [WrappingPosition, SsoFailureReason][] = [
      ['sibling', 'malformed_response'],
      ['forged-wraps-original', 'signature_missing'],
      ['original-in-extensions', 'certificate_mismatch'],
      ['original-in-signature-object', 'certificate_mismatch'],
    ];

    it('covers every wrapping position', () => {
      expect(wrapping.map(([position]) => position)).toEqual(WRAPPING_POSITIONS);
    });

    it.each(wrapping)(
      'refuses XML signature wrapping with the genuine assertion in position %s',
      async (position, reason) => {
        const post = wrapSignature(
          await idp.respond(await startLogin()),
          position,
          'admin@corp.example',
        );

        await expect(protocol.acs(settingsFor(idp), spA, post)).rejects.toMatchObject({ reason });
      },
    );

    it('reads the whole NameID when a comment splits it, never the part before the comment', async () => {
      const post = commentInNameId(
        await idp.respond(await startLogin(), {
          nameId: 'admin@corp.example.evil.example',
          attributes: {},
        }),
        'admin@corp.example',
      );

      const { profile } = await protocol.acs(settingsFor(idp), spA, post);

      expect(profile.subject).toBe('admin@corp.example.evil.example');
      expect(profile.email).toBe('admin@corp.example.evil.example');
    });

    it('refuses a response posted a second time', async () => {
      const post = await idp.respond(await startLogin());
      await protocol.acs(settingsFor(idp), spA, post);

      await expect(protocol.acs(settingsFor(idp), spA, post)).rejects.toMatchObject({
        reason: 'replayed',
      });
    });

    it('refuses an answer to a request another connection issued', async () => {
      const settingsB = settingsFor(idp, { connectionId: 'conn-b' });
      const post = await idp.respond(await startLogin(settingsB));

      await expect(protocol.acs(settingsFor(idp), spA, post)).rejects.toMatchObject({
        reason: 'unknown_request',
      });
    });

    it('refuses a response that comes back with the RelayState of another login', async () => {
      const first = await startLogin();
      const second = await startLogin();
      const post = await idp.respond(first, {
        relayState: idp.readAuthnRequest(second).relayState!,
      });

      await expect(protocol.acs(settingsFor(idp), spA, post)).rejects.toMatchObject({
        reason: 'state_mismatch',
      });
    });

    it('refuses a response to an SP-initiated login without its RelayState', async () => {
      const { SAMLResponse } = await idp.respond(await startLogin());

      await expect(protocol.acs(settingsFor(idp), spA, { SAMLResponse })).rejects.toMatchObject({
        reason: 'state_mismatch',
      });
    });

    it('refuses an IdP-initiated login when the connection does not allow it', async () => {
      const post = await idp.respondIdpInitiated(spA, { relayState: '/deep/link' });

      await expect(protocol.acs(settingsFor(idp), spA, post)).rejects.toMatchObject({
        reason: 'idp_initiated_not_allowed',
      });
    });

    it('accepts an IdP-initiated login when the connection allows it, once', async () => {
      const settings = settingsFor(idp, { allowIdpInitiated: true });
      const post = await idp.respondIdpInitiated(spA, { relayState: '/deep/link' });

      const result = await protocol.acs(settings, spA, post);

      expect(result).toMatchObject({
        profile: { subject: 'alice@corp.example' },
        carry: null,
        relayState: '/deep/link',
      });
      await expect(protocol.acs(settings, spA, post)).rejects.toMatchObject({
        reason: 'replayed',
      });
    });

    it('refuses an unsolicited response whose signed assertion claims to answer a request', async () => {
      const settings = settingsFor(idp, { allowIdpInitiated: true });
      const post = editSamlResponse(await idp.respond(await startLogin(settings)), (xml) =>
        xml.replace(/(<samlp:Response[^>]*?) InResponseTo="[^"]*"/, '$1'),
      );

      await expect(protocol.acs(settings, spA, post)).rejects.toMatchObject({
        reason: 'unknown_request',
      });
    });

    const base64 = (text: string) => Buffer.from(text).toString('base64');
    const garbage: [string, unknown][] = [
      ['nothing', undefined],
      ['an empty string', ''],
      ['a number', 42],
      ['an array', [base64('<a/>')]],
      ['an object', { xml: '<a/>' }],
      ['text that is not base64', 'not base64 at all!'],
      ['base64 of text that is not XML', base64('hello, world')],
      ['base64 of XML that is not a SAML Response', base64('<html><body/></html>')],
      [
        'base64 of XML with an entity expansion bomb',
        base64(
          '<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>' +
            '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">&b;</samlp:Response>',
        ),
      ],
      ['a huge string', 'A'.repeat(600 * 1024)],
    ];

    it.each(garbage)('refuses %s as a malformed response', async (_case, SAMLResponse) => {
      await expect(protocol.acs(settingsFor(idp), spA, { SAMLResponse })).rejects.toMatchObject({
        name: 'SsoProtocolError',
        reason: 'malformed_response',
      });
    });
  });

  describe('metadata', () => {
    const parse = (xml: string) => new DOMParser().parseFromString(xml, 'text/xml');

    it('describes the service provider: entity id, POST assertion consumer service, signed assertions', async () => {
      const document = parse(protocol.metadata(settingsFor(idp), spA));

      const entity = document.documentElement;
      const descriptor = entity.getElementsByTagNameNS(MD, 'SPSSODescriptor')[0];
      const acs = descriptor.getElementsByTagNameNS(MD, 'AssertionConsumerService')[0];
      expect(entity.getAttribute('entityID')).toBe(spA.entityId);
      expect(acs.getAttribute('Location')).toBe(spA.acsUrl);
      expect(acs.getAttribute('Binding')).toBe('urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST');
      expect(descriptor.getAttribute('WantAssertionsSigned')).toBe('true');
      expect(descriptor.getAttribute('AuthnRequestsSigned')).toBe('false');
      expect(descriptor.getElementsByTagNameNS(MD, 'KeyDescriptor')).toHaveLength(0);
    });

    it('publishes the signing certificate when the service signs its requests', async () => {
      const settings = settingsFor(idp, { spPrivateKey: spKey.private, spCertificate: spKey.cert });

      const document = parse(protocol.metadata(settings, spA));

      const descriptor = document.getElementsByTagNameNS(MD, 'SPSSODescriptor')[0];
      const key = descriptor.getElementsByTagNameNS(MD, 'KeyDescriptor')[0];
      const certificate = key.getElementsByTagNameNS(DS, 'X509Certificate')[0];
      expect(descriptor.getAttribute('AuthnRequestsSigned')).toBe('true');
      expect(key.getAttribute('use')).toBe('signing');
      expect(certificateBody(certificate.textContent ?? '')).toBe(certificateBody(spKey.cert));
    });
  });

  describe('parseIdpMetadata', () => {
    it("reads the identity provider's entity id, redirect SSO URL, certificate and NameID format", () => {
      const metadata = parseIdpMetadata(idp.metadata);

      expect(metadata).toMatchObject({
        idpEntityId: idp.entityId,
        ssoUrl: idp.ssoUrl,
        nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
      });
      expect(metadata.idpCertificates.map(certificateBody)).toEqual([
        certificateBody(idp.certificate),
      ]);
    });

    const ssoService = (binding: string) =>
      new RegExp(`<SingleSignOnService Binding="[^"]*${binding}"[^>]*></SingleSignOnService>`);

    it('falls back to the HTTP-POST SSO URL when there is no redirect binding', () => {
      const postOnly = idp.metadata
        .replace(ssoService('HTTP-Redirect'), '')
        .replace(/(Binding="[^"]*HTTP-POST" Location=")[^"]*/, '$1https://corp.idp.test/sso/post');

      expect(parseIdpMetadata(postOnly).ssoUrl).toBe('https://corp.idp.test/sso/post');
    });

    it('reads both signing certificates of an identity provider rolling its key over', () => {
      const keyDescriptor = /<KeyDescriptor use="signing">[\s\S]*?<\/KeyDescriptor>/;
      const nextKey = idpNextKey.metadata.match(keyDescriptor)![0];
      const rolling = idp.metadata.replace(keyDescriptor, (current) => current + nextKey);

      const { idpCertificates } = parseIdpMetadata(rolling);

      expect(idpCertificates.map(certificateBody)).toEqual([
        certificateBody(idp.certificate),
        certificateBody(idpNextKey.certificate),
      ]);
    });

    const bad: [string, () => string, RegExp][] = [
      ['empty input', () => '', /empty/],
      ['text that is not XML', () => 'not xml <', /well-formed/],
      [
        'an external entity (XXE)',
        () =>
          '<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>' +
          `<EntityDescriptor xmlns="${MD}" entityID="&x;"/>`,
        /well-formed XML without a DTD/,
      ],
      [
        "a service provider's metadata",
        () => new SamlProtocol(new MemoryStore(), options).metadata(settingsFor(idp), spA),
        /no identity provider/,
      ],
      [
        'no single sign-on service',
        () =>
          idp.metadata
            .replace(ssoService('HTTP-Redirect'), '')
            .replace(ssoService('HTTP-POST'), ''),
        /SingleSignOnService/,
      ],
      [
        'no certificate',
        () => idp.metadata.replace(/<KeyDescriptor[\s\S]*?<\/KeyDescriptor>/g, ''),
        /no signing certificate/,
      ],
    ];

    it.each(bad)('refuses metadata with %s, saying why', (_case, xml, message) => {
      const read = () => parseIdpMetadata(xml());

      expect(read).toThrow(SamlMetadataError);
      expect(read).toThrow(message);
    });
  });
});
