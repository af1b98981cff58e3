import { randomBytes } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { DOMParser } from '@xmldom/xmldom';
import * as samlify from 'samlify';
import { generate } from 'selfsigned';
import type { SamlConnectionSettings, ServiceProviderEndpoints } from '@app/sso';

/**
 * A real SAML 2.0 identity provider (samlify in IdP mode) with its own key and certificate,
 * for tests: it reads the service's AuthnRequest from the redirect URL and answers the
 * `{ SAMLResponse, RelayState }` a browser would POST to the assertion consumer service, with
 * overrides to make any part of the response wrong. Helpers below craft attacks on a real
 * signed response.
 */

const ASSERTION_NS = 'urn:oasis:names:tc:SAML:2.0:assertion';
const PROTOCOL_NS = 'urn:oasis:names:tc:SAML:2.0:protocol';
const POST_BINDING = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
const REDIRECT_BINDING = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
export const EMAIL_NAME_ID_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
export const SAML_STATUS = {
  success: 'urn:oasis:names:tc:SAML:2.0:status:Success',
  responder: 'urn:oasis:names:tc:SAML:2.0:status:Responder',
} as const;

// Schema validation of samlify's own output adds nothing to these tests.
samlify.setSchemaValidator({ validate: async () => 'ok' });

/** Which parts of the response the identity provider signs. */
export type SamlSigning = 'assertion' | 'response' | 'both' | 'none';

/** What to change in a response; everything else is what a correct IdP would send. */
export interface SamlResponseOverrides {
  nameId?: string;
  nameIdFormat?: string;
  /** Replaces the default attributes (email, firstName, lastName, groups) entirely. */
  attributes?: Record<string, string | string[]>;
  audience?: string;
  recipient?: string;
  /** Null leaves the Destination attribute out. */
  destination?: string | null;
  /** Null leaves InResponseTo out (what an IdP-initiated response looks like). */
  inResponseTo?: string | null;
  /** The Issuer of both the Response and the Assertion. */
  issuer?: string;
  notBefore?: Date;
  /** Of the Conditions and of the SubjectConfirmationData. */
  notOnOrAfter?: Date;
  status?: string;
  sign?: SamlSigning;
  relayState?: string;
}

/** The form fields a browser POSTs to the assertion consumer service. */
export interface SamlPost {
  SAMLResponse: string;
  RelayState?: string;
}

export interface SamlTestIdp {
  entityId: string;
  ssoUrl: string;
  certificate: string;
  privateKey: string;
  /** The IdP's metadata XML, as an administrator would upload it. */
  metadata: string;
  /** Settings of a connection to this IdP; spread over them what a test needs to change. */
  connectionSettings(): Omit<SamlConnectionSettings, 'connectionId'>;
  /** Answers the AuthnRequest in the redirect URL the service produced. */
  respond(authnRequestUrl: string, overrides?: SamlResponseOverrides): Promise<SamlPost>;
  /** An unsolicited response, as when a user starts from the IdP's portal. */
  respondIdpInitiated(
    sp: ServiceProviderEndpoints,
    overrides?: SamlResponseOverrides,
  ): Promise<SamlPost>;
  /** The AuthnRequest in a redirect URL, inflated and parsed. */
  readAuthnRequest(authnRequestUrl: string): AuthnRequestInfo;
}

export interface AuthnRequestInfo {
  id: string;
  issuer: string;
  acsUrl: string;
  destination: string;
  relayState: string | null;
  signed: boolean;
  xml: string;
}

/** Starts an identity provider with a fresh key; `name` keeps several apart in one test. */
export async function createSamlIdp(
  options: { name?: string; entityId?: string; ssoUrl?: string } = {},
): Promise<SamlTestIdp> {
  const name = options.name ?? 'idp';
  const entityId = options.entityId ?? `https://${name}.idp.test/metadata`;
  const ssoUrl = options.ssoUrl ?? `https://${name}.idp.test/sso`;
  const pems = await generate([{ name: 'commonName', value: name }], {
    notAfterDate: new Date(Date.now() + 30 * 24 * 60 * 60 * 1000),
    keySize: 2048,
  });
  const identityProvider = samlify.IdentityProvider({
    entityID: entityId,
    privateKey: pems.private,
    signingCert: pems.cert,
    nameIDFormat: [EMAIL_NAME_ID_FORMAT],
    singleSignOnService: [
      { Binding: REDIRECT_BINDING, Location: ssoUrl },
      { Binding: POST_BINDING, Location: ssoUrl },
    ],
    singleLogoutService: [{ Binding: REDIRECT_BINDING, Location: `${ssoUrl}/logout` }],
  });

  const buildPost = async (
    sp: ServiceProviderEndpoints,
    inResponseTo: string | null,
    relayState: string | undefined,
    overrides: SamlResponseOverrides,
  ): Promise<SamlPost> => {
    const xml = responseXml({ entityId, sp, inResponseTo, overrides });
    const sign = overrides.sign ?? 'assertion';
    const post = (SAMLResponse: string): SamlPost =>
      relayState === undefined ? { SAMLResponse } : { SAMLResponse, RelayState: relayState };
    if (sign === 'none') return post(Buffer.from(xml.xml).toString('base64'));

    const serviceProvider = samlify.ServiceProvider({
      entityID: sp.entityId,
      assertionConsumerService: [{ Binding: POST_BINDING, Location: sp.acsUrl }],
      wantAssertionsSigned: sign === 'assertion' || sign === 'both',
      wantMessageSigned: sign === 'response' || sign === 'both',
    });
    const { context } = await identityProvider.createLoginResponse(
      serviceProvider,
      { extract: { request: { id: inResponseTo ?? '' } } },
      'post',
      { email: xml.nameId },
      { customTagReplacement: () => ({ id: xml.responseId, context: xml.xml }) },
    );

    return post(context);
  };

  const idp: SamlTestIdp = {
    entityId,
    ssoUrl,
    certificate: pems.cert,
    privateKey: pems.private,
    metadata: identityProvider.getMetadata(),
    connectionSettings: () => ({
      idpEntityId: entityId,
      ssoUrl,
      idpCertificates: [pems.cert],
      nameIdFormat: EMAIL_NAME_ID_FORMAT,
      attributeMapping: {},
      wantAssertionsSigned: true,
      allowIdpInitiated: false,
      spPrivateKey: null,
      spCertificate: null,
    }),
    readAuthnRequest,
    respond: async (authnRequestUrl, overrides = {}) => {
      const request = readAuthnRequest(authnRequestUrl);
      const sp = { entityId: request.issuer, acsUrl: request.acsUrl };
      const inResponseTo =
        overrides.inResponseTo === undefined ? request.id : overrides.inResponseTo;
      const relayState = overrides.relayState ?? request.relayState ?? undefined;

      return buildPost(sp, inResponseTo, relayState, overrides);
    },
    respondIdpInitiated: async (sp, overrides = {}) =>
      buildPost(sp, overrides.inResponseTo ?? null, overrides.relayState, overrides),
  };

  return idp;
}

function readAuthnRequest(authnRequestUrl: string): AuthnRequestInfo {
  const url = new URL(authnRequestUrl);
  const encoded = url.searchParams.get('SAMLRequest');
  if (!encoded) throw new Error('The URL carries no SAMLRequest');
  const xml = inflateRawSync(Buffer.from(encoded, 'base64')).toString('utf8');
  const request = new DOMParser().parseFromString(xml, 'text/xml').documentElement;
  const issuer = request.getElementsByTagNameNS(ASSERTION_NS, 'Issuer')[0];

  return {
    id: request.getAttribute('ID') ?? '',
    issuer: issuer?.textContent ?? '',
    acsUrl: request.getAttribute('AssertionConsumerServiceURL') ?? '',
    destination: request.getAttribute('Destination') ?? '',
    relayState: url.searchParams.get('RelayState'),
    signed: url.searchParams.has('Signature'),
    xml,
  };
}

const escapeXml = (value: string) =>
  value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const newId = () => `_${randomBytes(16).toString('hex')}`;

function responseXml(input: {
  entityId: string;
  sp: ServiceProviderEndpoints;
  inResponseTo: string | null;
  overrides: SamlResponseOverrides;
}): { xml: string; responseId: string; nameId: string } {
  const { entityId, sp, inResponseTo, overrides } = input;
  const now = new Date();
  const notBefore = overrides.notBefore ?? new Date(now.getTime() - 60_000);
  const notOnOrAfter = overrides.notOnOrAfter ?? new Date(now.getTime() + 5 * 60_000);
  const nameId = overrides.nameId ?? 'alice@corp.example';
  const attributes = overrides.attributes ?? {
    email: nameId,
    firstName: 'Alice',
    lastName: 'Example',
    groups: ['engineering', 'sre'],
  };
  const issuer = escapeXml(overrides.issuer ?? entityId);
  const responseId = newId();
  const inResponseToAttribute =
    inResponseTo === null ? '' : ` InResponseTo="${escapeXml(inResponseTo)}"`;
  const destination = overrides.destination === undefined ? sp.acsUrl : overrides.destination;
  const destinationAttribute =
    destination === null ? '' : ` Destination="${escapeXml(destination)}"`;
  const attributeXml = Object.entries(attributes)
    .map(([name, value]) => {
      const values = (Array.isArray(value) ? value : [value])
        .map(
          (item) =>
            `<saml:AttributeValue xsi:type="xs:string">${escapeXml(item)}</saml:AttributeValue>`,
        )
        .join('');
      return `<saml:Attribute Name="${escapeXml(name)}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified">${values}</saml:Attribute>`;
    })
    .join('');

  const xml =
    `<samlp:Response xmlns:samlp="${PROTOCOL_NS}" xmlns:saml="${ASSERTION_NS}" ID="${responseId}" Version="2.0" IssueInstant="${now.toISOString()}"${destinationAttribute}${inResponseToAttribute}>` +
    `<saml:Issuer>${issuer}</saml:Issuer>` +
    `<samlp:Status><samlp:StatusCode Value="${escapeXml(overrides.status ?? SAML_STATUS.success)}"/></samlp:Status>` +
    `<saml:Assertion xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xs="http://www.w3.org/2001/XMLSchema" ID="${newId()}" Version="2.0" IssueInstant="${now.toISOString()}">` +
    `<saml:Issuer>${issuer}</saml:Issuer>` +
    `<saml:Subject><saml:NameID Format="${escapeXml(overrides.nameIdFormat ?? EMAIL_NAME_ID_FORMAT)}">${escapeXml(nameId)}</saml:NameID>` +
    `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="${notOnOrAfter.toISOString()}" Recipient="${escapeXml(overrides.recipient ?? sp.acsUrl)}"${inResponseToAttribute}/></saml:SubjectConfirmation></saml:Subject>` +
    `<saml:Conditions NotBefore="${notBefore.toISOString()}" NotOnOrAfter="${notOnOrAfter.toISOString()}"><saml:AudienceRestriction><saml:Audience>${escapeXml(overrides.audience ?? sp.entityId)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
    `<saml:AuthnStatement AuthnInstant="${now.toISOString()}" SessionIndex="${newId()}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
    (attributeXml ? `<saml:AttributeStatement>${attributeXml}</saml:AttributeStatement>` : '') +
    `</saml:Assertion></samlp:Response>`;

  return { xml, responseId, nameId };
}

// ---- Attacks on a real signed response ------------------------------------------------------

/** The decoded XML of a posted SAMLResponse. */
export function decodeSamlResponse(post: SamlPost): string {
  return Buffer.from(post.SAMLResponse, 'base64').toString('utf8');
}

/** The same post with its response XML edited, without re-signing anything. */
export function editSamlResponse(post: SamlPost, edit: (xml: string) => string): SamlPost {
  return { ...post, SAMLResponse: Buffer.from(edit(decodeSamlResponse(post))).toString('base64') };
}

/**
 * Where XML signature wrapping puts the genuine signed assertion and the forged one:
 * - `sibling`: the forged, unsigned assertion before the signed one, both in the Response;
 * - `forged-wraps-original`: the forged assertion in the Response, the signed one inside it;
 * - `original-in-extensions`: the signed assertion moved into samlp:Extensions, the forged
 *   one in its place carrying a copy of the genuine signature and the same ID;
 * - `original-in-signature-object`: the forged assertion carries the genuine signature, with
 *   the signed assertion hidden in a ds:Object inside that signature.
 */
export type WrappingPosition =
  'sibling' | 'forged-wraps-original' | 'original-in-extensions' | 'original-in-signature-object';

export const WRAPPING_POSITIONS: WrappingPosition[] = [
  'sibling',
  'forged-wraps-original',
  'original-in-extensions',
  'original-in-signature-object',
];

/** Wraps a signed response so that a naive reader would see `forgedNameId` logged in. */
export function wrapSignature(
  post: SamlPost,
  position: WrappingPosition,
  forgedNameId: string,
): SamlPost {
  return editSamlResponse(post, (xml) => {
    const original = xml.match(/<saml:Assertion[\s\S]*<\/saml:Assertion>/)?.[0];
    if (!original) throw new Error('No assertion to wrap');
    const signature = original.match(/<ds:Signature[\s\S]*<\/ds:Signature>/)?.[0];
    if (!signature) throw new Error('The assertion is not signed');
    const unsigned = original.replace(signature, '');
    const forged = unsigned
      .replace(/(<saml:NameID[^>]*>)[^<]*(<\/saml:NameID>)/, `$1${escapeXml(forgedNameId)}$2`)
      .replace(
        /(<saml:Attribute Name="email"[^>]*><saml:AttributeValue[^>]*>)[^<]*/,
        `$1${escapeXml(forgedNameId)}`,
      );
    const withNewId = (assertion: string) => assertion.replace(/ ID="[^"]*"/, ` ID="${newId()}"`);
    const afterIssuer = (assertion: string, inserted: string) =>
      assertion.replace('</saml:Issuer>', `</saml:Issuer>${inserted}`);

    switch (position) {
      case 'sibling':
        return xml.replace(original, withNewId(forged) + original);
      case 'forged-wraps-original':
        return xml.replace(
          original,
          withNewId(forged).replace(
            '</saml:Assertion>',
            `<saml:Advice>${original}</saml:Advice></saml:Assertion>`,
          ),
        );
      case 'original-in-extensions':
        return xml
          .replace(original, afterIssuer(forged, signature))
          .replace(
            '<samlp:Status>',
            `<samlp:Extensions>${original}</samlp:Extensions><samlp:Status>`,
          );
      case 'original-in-signature-object':
        return xml.replace(
          original,
          afterIssuer(
            withNewId(forged),
            signature.replace(
              '</ds:Signature>',
              `<ds:Object>${original}</ds:Object></ds:Signature>`,
            ),
          ),
        );
    }
  });
}

/**
 * Puts an XML comment inside the NameID of a signed response after `prefix`. The signature
 * still verifies (canonicalization drops comments); a reader that takes only the first text
 * node would see `prefix` alone.
 */
export function commentInNameId(post: SamlPost, prefix: string): SamlPost {
  return editSamlResponse(post, (xml) =>
    xml.replace(
      /(<saml:NameID[^>]*>)([^<]*)(<\/saml:NameID>)/,
      (_match, open: string, value: string, close: string) => {
        if (!value.startsWith(prefix)) throw new Error('The NameID does not start with the prefix');
        return `${open}${prefix}<!---->${value.slice(prefix.length)}${close}`;
      },
    ),
  );
}

/** Strips every signature and signs the assertion again with another identity provider's key. */
export function resignAssertion(post: SamlPost, signer: SamlTestIdp): SamlPost {
  return editSamlResponse(post, (xml) => {
    const stripped = xml.replace(/<ds:Signature[\s\S]*?<\/ds:Signature>/g, '');
    return samlify.SamlLib.constructSAMLSignature({
      rawSamlMessage: stripped,
      referenceTagXPath: "/*[local-name(.)='Response']/*[local-name(.)='Assertion']",
      privateKey: signer.privateKey,
      // samlify wants the certificate's base64 body, as metadata carries it.
      signingCert: signer.certificate.replace(/-----[A-Z ]+-----|\s/g, ''),
      signatureAlgorithm: samlify.Constants.algorithms.signature.RSA_SHA256,
      isBase64Output: false,
      signatureConfig: {
        prefix: 'ds',
        location: {
          reference:
            "/*[local-name(.)='Response']/*[local-name(.)='Assertion']/*[local-name(.)='Issuer']",
          action: 'after',
        },
      },
    });
  });
}
