import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  CacheItem,
  CacheProvider,
  SAML,
  SamlStatusError,
  ValidateInResponseTo,
  generateServiceProviderMetadata,
} from '@node-saml/node-saml';
import { KEY_VALUE_STORE, KeyValueStore } from '@app/cache';
import {
  ExternalProfile,
  SSO_PROTOCOL_OPTIONS,
  SamlConnectionSettings,
  ServiceProviderEndpoints,
  SsoFailureReason,
  SsoFlowCarry,
  SsoProtocolError,
  SsoProtocolOptions,
} from '../sso-protocol';
import {
  SAML_NAMESPACES,
  attributeValue,
  childElement,
  childElements,
  elementText,
  isElement,
  parseXml,
} from './saml-xml';

const STATUS_SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
const EMAIL_NAME_ID = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';

/** Far above any real response (hundreds of groups included), far below a memory problem. */
const MAX_RESPONSE_LENGTH = 512 * 1024;
const MAX_RELAY_STATE_LENGTH = 512;
/** How long a used assertion id is remembered: its own lifetime, within these bounds. */
const MIN_REPLAY_TTL_SECONDS = 60;
const MAX_REPLAY_TTL_SECONDS = 24 * 60 * 60;

const CLAIMS = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims';

/** Attribute names tried, in order, when the connection maps no name for a field. */
const DEFAULT_ATTRIBUTES = {
  email: [
    'email',
    'mail',
    'emailAddress',
    'urn:oid:0.9.2342.19200300.100.1.3',
    `${CLAIMS}/emailaddress`,
  ],
  first_name: ['firstName', 'givenName', 'given_name', 'urn:oid:2.5.4.42', `${CLAIMS}/givenname`],
  last_name: ['lastName', 'surname', 'sn', 'family_name', 'urn:oid:2.5.4.4', `${CLAIMS}/surname`],
  groups: [
    'groups',
    'memberOf',
    'urn:oid:1.3.6.1.4.1.5923.1.5.1.1',
    'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups',
    'http://schemas.xmlsoap.org/claims/Group',
  ],
} as const;

const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex');

const StoreKeys = {
  /** Scoped by connection: a response to connection A's request cannot complete at B. */
  request: (connectionId: string, requestId: string) =>
    `sso:saml:request:${connectionId}:${sha256(requestId)}`,
  /** The hash, so the store never holds the value the browser presents. */
  relayState: (relayState: string) => `sso:saml:relay:${sha256(relayState)}`,
  assertion: (connectionId: string, assertionId: string) =>
    `sso:saml:assertion:${connectionId}:${sha256(assertionId)}`,
};

/** What the RelayState entry remembers between `loginUrl` and `acs`. */
interface RelayStateEntry {
  carry: SsoFlowCarry;
  requestId: string;
}

/** The result of a validated response. */
export interface SamlLoginResult {
  profile: ExternalProfile;
  /** Null for an identity-provider-initiated login. */
  carry: SsoFlowCarry | null;
  /** The raw RelayState of an identity-provider-initiated login, else null. */
  relayState: string | null;
}

/**
 * node-saml's `cacheProvider` over the shared store, so the request ids this service issued
 * are known to every instance, and only for the connection that issued them.
 */
class RequestIdCache implements CacheProvider {
  constructor(
    private readonly store: KeyValueStore,
    private readonly connectionId: string,
    private readonly ttlSeconds: number,
  ) {}

  async saveAsync(key: string, value: string): Promise<CacheItem | null> {
    await this.store.set(StoreKeys.request(this.connectionId, key), value, this.ttlSeconds);

    return { value, createdAt: Date.now() };
  }

  async getAsync(key: string): Promise<string | null> {
    return this.store.get(StoreKeys.request(this.connectionId, key));
  }

  async removeAsync(key: string | null): Promise<string | null> {
    if (key === null) return null;
    const storeKey = StoreKeys.request(this.connectionId, key);
    const value = await this.store.get(storeKey);
    await this.store.delete(storeKey);

    return value;
  }
}

/**
 * The SAML 2.0 service-provider side of single sign-on: builds AuthnRequests, validates the
 * identity provider's responses and describes this service in metadata. Signatures, the
 * InResponseTo cache, time conditions and the audience are checked by node-saml; issuer,
 * recipient, destination, the RelayState binding, replay and the profile are checked here, on
 * the assertion node-saml verified, never on the unsigned rest of the document.
 */
@Injectable()
export class SamlProtocol {
  constructor(
    @Inject(KEY_VALUE_STORE) private readonly store: KeyValueStore,
    @Inject(SSO_PROTOCOL_OPTIONS) private readonly options: SsoProtocolOptions,
  ) {}

  /**
   * Starts an SP-initiated login: the identity provider's URL carrying a new AuthnRequest
   * (HTTP-Redirect binding, signed when the connection has a key) and an opaque RelayState.
   * The request id and the carry are remembered in the store for `flowTtlSeconds`.
   */
  async loginUrl(
    settings: SamlConnectionSettings,
    sp: ServiceProviderEndpoints,
    carry: SsoFlowCarry,
  ): Promise<string> {
    const requestId = `_${randomBytes(20).toString('hex')}`;
    const relayState = randomBytes(32).toString('base64url');
    const entry: RelayStateEntry = { carry, requestId };

    await this.store.set(
      StoreKeys.relayState(relayState),
      JSON.stringify(entry),
      this.options.flowTtlSeconds,
    );

    return this.client(settings, sp, () => requestId).getAuthorizeUrlAsync(
      relayState,
      undefined,
      {},
    );
  }

  /**
   * Validates what the identity provider POSTed to the assertion consumer service and answers
   * the asserted profile with the carry of the login it completes.
   *
   * @throws SsoProtocolError with the most specific reason for any refusal.
   */
  async acs(
    settings: SamlConnectionSettings,
    sp: ServiceProviderEndpoints,
    body: { SAMLResponse?: unknown; RelayState?: unknown },
  ): Promise<SamlLoginResult> {
    const encoded = body.SAMLResponse;
    const response = decodeResponse(encoded);
    const received = readResponse(response);
    const relayState = readRelayState(body.RelayState);

    await this.refuseEarly(settings, received, relayState);

    let signedAssertionXml: string;
    try {
      const { profile } = await this.client(settings, sp).validatePostResponseAsync({
        SAMLResponse: encoded as string,
      });
      const xml = profile?.getAssertionXml?.();
      if (!xml) throw new SsoProtocolError('malformed_response');
      signedAssertionXml = xml;
    } catch (error) {
      throw toProtocolError(error);
    }

    const assertion = parseXml(signedAssertionXml)?.documentElement;
    if (!assertion || !isElement(assertion, SAML_NAMESPACES.assertion, 'Assertion')) {
      throw new SsoProtocolError('malformed_response');
    }
    const checked = this.checkAssertion(settings, sp, assertion, received.inResponseTo);
    if (received.destination !== null && received.destination !== sp.acsUrl) {
      throw new SsoProtocolError('destination_mismatch');
    }

    const carry = await this.completeFlow(settings, received.inResponseTo, relayState);
    await this.claimAssertion(settings, checked.assertionId, checked.notOnOrAfter);

    return {
      profile: buildProfile(settings, assertion, checked.nameId),
      carry,
      relayState: carry === null ? relayState : null,
    };
  }

  /**
   * This service's SP metadata for one connection: entity id, the HTTP-POST assertion
   * consumer service, the signing certificate when configured and the signing expectations.
   */
  metadata(settings: SamlConnectionSettings, sp: ServiceProviderEndpoints): string {
    const { spPrivateKey, spCertificate } = settings;
    // node-saml publishes the certificate only alongside the key that signs the requests.
    const signing =
      spPrivateKey !== null && spCertificate !== null
        ? { privateKey: spPrivateKey, publicCerts: spCertificate }
        : {};

    return generateServiceProviderMetadata({
      issuer: sp.entityId,
      callbackUrl: sp.acsUrl,
      identifierFormat: settings.nameIdFormat,
      wantAssertionsSigned: settings.wantAssertionsSigned,
      ...signing,
    });
  }

  private client(
    settings: SamlConnectionSettings,
    sp: ServiceProviderEndpoints,
    generateUniqueId?: () => string,
  ): SAML {
    return new SAML({
      entryPoint: settings.ssoUrl,
      issuer: sp.entityId,
      callbackUrl: sp.acsUrl,
      audience: sp.entityId,
      idpIssuer: settings.idpEntityId,
      idpCert: settings.idpCertificates,
      identifierFormat: settings.nameIdFormat,
      // Requesting a specific authentication context makes identity providers with MFA or
      // passwordless sign-in refuse the login; the organization's IdP decides how to sign in.
      disableRequestedAuthnContext: true,
      wantAssertionsSigned: settings.wantAssertionsSigned,
      // Many identity providers sign only the assertion, which is what carries the identity.
      wantAuthnResponseSigned: false,
      validateInResponseTo: ValidateInResponseTo.ifPresent,
      requestIdExpirationPeriodMs: this.options.flowTtlSeconds * 1000,
      cacheProvider: new RequestIdCache(
        this.store,
        settings.connectionId,
        this.options.flowTtlSeconds,
      ),
      acceptedClockSkewMs: this.options.clockSkewSeconds * 1000,
      signatureAlgorithm: 'sha256',
      ...(settings.spPrivateKey ? { privateKey: settings.spPrivateKey } : {}),
      ...(generateUniqueId ? { generateUniqueId } : {}),
    });
  }

  /**
   * Refusals decided before any signature is verified, from the document as received. They
   * only ever refuse: nothing read here is trusted to accept a login.
   */
  private async refuseEarly(
    settings: SamlConnectionSettings,
    received: ReceivedResponse,
    relayState: string | null,
  ): Promise<void> {
    if (received.status !== STATUS_SUCCESS) throw new SsoProtocolError('status_not_success');
    if (received.assertion === null) throw new SsoProtocolError('malformed_response');

    const assertionSigned = hasSignature(received.assertion);
    if (!assertionSigned && (settings.wantAssertionsSigned || !received.signed)) {
      throw new SsoProtocolError('signature_missing');
    }

    const assertionId = attributeValue(received.assertion, 'ID');
    if (
      assertionId &&
      (await this.store.get(StoreKeys.assertion(settings.connectionId, assertionId)))
    ) {
      throw new SsoProtocolError('replayed');
    }

    if (received.inResponseTo === null) {
      if (!settings.allowIdpInitiated) throw new SsoProtocolError('idp_initiated_not_allowed');
      return;
    }
    const issued = await this.store.get(
      StoreKeys.request(settings.connectionId, received.inResponseTo),
    );
    if (issued === null) throw new SsoProtocolError('unknown_request');
    const entry = relayState === null ? null : await this.relayStateEntry(relayState);
    if (entry?.requestId !== received.inResponseTo) throw new SsoProtocolError('state_mismatch');
  }

  /** Everything node-saml leaves unchecked, on the assertion whose signature it verified. */
  private checkAssertion(
    settings: SamlConnectionSettings,
    sp: ServiceProviderEndpoints,
    assertion: Element,
    inResponseTo: string | null,
  ): { assertionId: string; nameId: Element; notOnOrAfter: number } {
    const now = Date.now();
    const skewMs = this.options.clockSkewSeconds * 1000;

    const assertionId = attributeValue(assertion, 'ID');
    const issuer = childElement(assertion, SAML_NAMESPACES.assertion, 'Issuer');
    const subject = childElement(assertion, SAML_NAMESPACES.assertion, 'Subject');
    const nameId = subject && childElement(subject, SAML_NAMESPACES.assertion, 'NameID');
    const conditions = childElements(assertion, SAML_NAMESPACES.assertion, 'Conditions');
    if (!assertionId || !issuer || !nameId || conditions.length !== 1) {
      throw new SsoProtocolError('malformed_response');
    }
    if (elementText(issuer).trim() !== settings.idpEntityId) {
      throw new SsoProtocolError('issuer_mismatch');
    }

    const window = timeWindow(conditions[0]);
    if (window.notBefore !== null && now + skewMs < window.notBefore) {
      throw new SsoProtocolError('assertion_not_yet_valid');
    }
    if (window.notOnOrAfter !== null && now - skewMs >= window.notOnOrAfter) {
      throw new SsoProtocolError('assertion_expired');
    }
    const restrictions = childElements(
      conditions[0],
      SAML_NAMESPACES.assertion,
      'AudienceRestriction',
    );
    const audienceOk =
      restrictions.length > 0 &&
      restrictions.every((restriction) =>
        childElements(restriction, SAML_NAMESPACES.assertion, 'Audience').some(
          (audience) => elementText(audience).trim() === sp.entityId,
        ),
      );
    if (!audienceOk) throw new SsoProtocolError('audience_mismatch');

    const confirmations = childElements(subject, SAML_NAMESPACES.assertion, 'SubjectConfirmation')
      .filter((confirmation) => attributeValue(confirmation, 'Method') === BEARER)
      .map((confirmation) =>
        childElement(confirmation, SAML_NAMESPACES.assertion, 'SubjectConfirmationData'),
      )
      .filter((data): data is Element => data !== null);
    const forUs = confirmations.filter((data) => attributeValue(data, 'Recipient') === sp.acsUrl);
    if (forUs.length === 0) throw new SsoProtocolError('recipient_mismatch');
    const current = forUs.filter((data) => {
      const times = timeWindow(data);
      // The SAML web browser SSO profile requires NotOnOrAfter on a bearer confirmation.
      return (
        times.notOnOrAfter !== null &&
        now - skewMs < times.notOnOrAfter &&
        (times.notBefore === null || now + skewMs >= times.notBefore)
      );
    });
    if (current.length === 0) throw new SsoProtocolError('assertion_expired');
    const confirmedRequest = attributeValue(current[0], 'InResponseTo');
    if (confirmedRequest !== null && confirmedRequest !== inResponseTo) {
      throw new SsoProtocolError('unknown_request');
    }

    const expiries = [window.notOnOrAfter, timeWindow(current[0]).notOnOrAfter].filter(
      (time): time is number => time !== null,
    );

    return { assertionId, nameId, notOnOrAfter: Math.min(...expiries) };
  }

  /**
   * Consumes the request id and the RelayState entry: each completes one login only. Answers
   * the carry, or null for an identity-provider-initiated login.
   */
  private async completeFlow(
    settings: SamlConnectionSettings,
    inResponseTo: string | null,
    relayState: string | null,
  ): Promise<SsoFlowCarry | null> {
    if (inResponseTo === null) return null;

    await this.store.delete(StoreKeys.request(settings.connectionId, inResponseTo));
    if (relayState === null) throw new SsoProtocolError('state_mismatch');
    const entry = await this.relayStateEntry(relayState);
    if (entry?.requestId !== inResponseTo || entry.carry.connectionId !== settings.connectionId) {
      throw new SsoProtocolError('state_mismatch');
    }
    await this.store.delete(StoreKeys.relayState(relayState));

    return entry.carry;
  }

  /** Claims the assertion id until the assertion expires; a second claim is a replay. */
  private async claimAssertion(
    settings: SamlConnectionSettings,
    assertionId: string,
    notOnOrAfter: number,
  ): Promise<void> {
    const lifetimeSeconds =
      Math.ceil((notOnOrAfter - Date.now()) / 1000) + this.options.clockSkewSeconds;
    const ttl = Math.min(MAX_REPLAY_TTL_SECONDS, Math.max(MIN_REPLAY_TTL_SECONDS, lifetimeSeconds));

    const claimed = await this.store.setIfAbsent(
      StoreKeys.assertion(settings.connectionId, assertionId),
      '1',
      ttl,
    );
    if (!claimed) throw new SsoProtocolError('replayed');
  }

  private async relayStateEntry(relayState: string): Promise<RelayStateEntry | null> {
    const stored = await this.store.get(StoreKeys.relayState(relayState));
    if (stored === null) return null;

    try {
      return JSON.parse(stored) as RelayStateEntry;
    } catch {
      return null;
    }
  }
}

/** The parts of the Response read before its signature is verified; refusals only. */
interface ReceivedResponse {
  status: string | null;
  inResponseTo: string | null;
  destination: string | null;
  /** The single Assertion, or null when there is none or several. */
  assertion: Element | null;
  signed: boolean;
}

function decodeResponse(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_RESPONSE_LENGTH) {
    throw new SsoProtocolError('malformed_response');
  }
  const compact = value.replace(/[\r\n]/g, '');
  if (compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) {
    throw new SsoProtocolError('malformed_response');
  }

  return Buffer.from(compact, 'base64').toString('utf8');
}

function readResponse(xml: string): ReceivedResponse {
  const root = parseXml(xml)?.documentElement;
  if (!root || !isElement(root, SAML_NAMESPACES.protocol, 'Response')) {
    throw new SsoProtocolError('malformed_response');
  }

  const status = childElement(root, SAML_NAMESPACES.protocol, 'Status');
  const statusCode = status && childElement(status, SAML_NAMESPACES.protocol, 'StatusCode');
  const assertions = childElements(root, SAML_NAMESPACES.assertion, 'Assertion');
  const encrypted = childElements(root, SAML_NAMESPACES.assertion, 'EncryptedAssertion');

  return {
    status: statusCode && attributeValue(statusCode, 'Value'),
    inResponseTo: attributeValue(root, 'InResponseTo') || null,
    destination: attributeValue(root, 'Destination'),
    // Encrypted assertions are not supported: this service publishes no encryption key.
    assertion: assertions.length === 1 && encrypted.length === 0 ? assertions[0] : null,
    signed: hasSignature(root),
  };
}

function readRelayState(value: unknown): string | null {
  if (typeof value !== 'string' || value === '' || value.length > MAX_RELAY_STATE_LENGTH) {
    return null;
  }

  return value;
}

function hasSignature(element: Element): boolean {
  return childElements(element, SAML_NAMESPACES.signature, 'Signature').length > 0;
}

function timeWindow(element: Element): { notBefore: number | null; notOnOrAfter: number | null } {
  const read = (name: string) => {
    const value = attributeValue(element, name);
    if (value === null) return null;
    const time = Date.parse(value);
    if (Number.isNaN(time)) throw new SsoProtocolError('malformed_response');
    return time;
  };

  return { notBefore: read('NotBefore'), notOnOrAfter: read('NotOnOrAfter') };
}

/**
 * node-saml throws plain Errors; their messages are the only way to tell its refusals apart.
 * Whatever is not recognised is a malformed response, with the original kept as the cause.
 */
const LIBRARY_ERRORS: [RegExp, SsoFailureReason][] = [
  [/multiple assertions/i, 'malformed_response'],
  [/signature|referenced node|ref uri/i, 'certificate_mismatch'],
  [/inresponseto/i, 'unknown_request'],
  [/not yet valid/i, 'assertion_not_yet_valid'],
  [/expired|no valid subject confirmation/i, 'assertion_expired'],
  [/audience/i, 'audience_mismatch'],
];

function toProtocolError(error: unknown): SsoProtocolError {
  if (error instanceof SsoProtocolError) return error;
  if (error instanceof SamlStatusError) {
    return new SsoProtocolError('status_not_success', { cause: error });
  }
  const message = error instanceof Error ? error.message : '';
  const reason = LIBRARY_ERRORS.find(([pattern]) => pattern.test(message))?.[1];

  return new SsoProtocolError(reason ?? 'malformed_response', { cause: error });
}

function buildProfile(
  settings: SamlConnectionSettings,
  assertion: Element,
  nameIdElement: Element,
): ExternalProfile {
  const subject = elementText(nameIdElement).trim();
  if (!subject) throw new SsoProtocolError('malformed_response');

  const attributes = readAttributes(assertion);
  const first = (field: keyof typeof DEFAULT_ATTRIBUTES): string[] => {
    const mapped = settings.attributeMapping[field];
    const names = mapped ? [mapped] : DEFAULT_ATTRIBUTES[field];
    for (const name of names) {
      const values = attributes.get(name)?.filter((value) => value !== '');
      if (values && values.length > 0) return values;
    }
    return [];
  };

  const nameIdIsEmail =
    attributeValue(nameIdElement, 'Format') === EMAIL_NAME_ID ||
    /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(subject);
  const email = first('email')[0] ?? (nameIdIsEmail ? subject : null);
  if (!email) throw new SsoProtocolError('missing_email');

  return {
    subject,
    email,
    // A signed assertion from the organization's own identity provider is authoritative; the
    // login flow still checks the address's domain against the connection's domains.
    emailVerified: true,
    firstName: first('first_name')[0] ?? null,
    lastName: first('last_name')[0] ?? null,
    groups: first('groups'),
  };
}

/** Attribute name to its values, from every AttributeStatement of the signed assertion. */
function readAttributes(assertion: Element): Map<string, string[]> {
  const attributes = new Map<string, string[]>();
  for (const statement of childElements(
    assertion,
    SAML_NAMESPACES.assertion,
    'AttributeStatement',
  )) {
    for (const attribute of childElements(statement, SAML_NAMESPACES.assertion, 'Attribute')) {
      const name = attributeValue(attribute, 'Name');
      if (!name) continue;
      const values = childElements(attribute, SAML_NAMESPACES.assertion, 'AttributeValue').map(
        (value) => elementText(value).trim(),
      );
      attributes.set(name, [...(attributes.get(name) ?? []), ...values]);
    }
  }

  return attributes;
}
