/**
 * The contract between the SSO protocol layers (SAML, OIDC) and the login flow above them.
 * A protocol validates what the identity provider sent and answers an `ExternalProfile`, or
 * throws an `SsoProtocolError` whose reason an administrator can act on.
 */

/** What an identity provider asserted about the user, after the protocol validated it. */
export interface ExternalProfile {
  /** Stable id of the user at the identity provider: the SAML NameID, the OIDC `sub`. */
  subject: string;
  /** As asserted; the login flow normalises it. */
  email: string;
  /** True only when the identity provider vouches that the user controls the address. */
  emailVerified: boolean;
  firstName: string | null;
  lastName: string | null;
  groups: string[];
}

/** Which assertion attribute or ID-token claim holds each profile field. */
export interface ProfileMapping {
  email?: string;
  first_name?: string;
  last_name?: string;
  groups?: string;
}

/**
 * What the flow remembers between sending the browser to the identity provider and its
 * return: kept in the store, never in the browser.
 */
export interface SsoFlowCarry {
  connectionId: string;
  returnUrl: string;
  /** The client application's own `state`, handed back beside the code. */
  clientState?: string;
}

/** Reasons a login through an identity provider is refused; audited and counted as such. */
export const SSO_FAILURE_REASONS = {
  malformed_response: 'malformed response',
  status_not_success: 'identity provider reported a failure',
  signature_missing: 'assertion not signed',
  certificate_mismatch: 'certificate mismatch',
  issuer_mismatch: 'issuer mismatch',
  audience_mismatch: 'audience mismatch',
  destination_mismatch: 'destination mismatch',
  recipient_mismatch: 'recipient mismatch',
  assertion_expired: 'assertion expired',
  assertion_not_yet_valid: 'assertion not yet valid',
  replayed: 'response replayed',
  unknown_request: 'response to a request this service did not issue',
  idp_initiated_not_allowed: 'identity-provider-initiated login not allowed',
  state_mismatch: 'state mismatch',
  nonce_mismatch: 'nonce mismatch',
  token_invalid: 'ID token invalid',
  provider_error: 'identity provider returned an error',
  provider_unreachable: 'identity provider unreachable',
  missing_email: 'no email in the asserted profile',
  issuer_address_refused: "the identity provider's address is not allowed",
  insecure_issuer: 'identity provider issuer not served over https',
} as const;

export type SsoFailureReason = keyof typeof SSO_FAILURE_REASONS;

export class SsoProtocolError extends Error {
  constructor(
    readonly reason: SsoFailureReason,
    options?: { cause?: unknown },
  ) {
    super(SSO_FAILURE_REASONS[reason], options);
    this.name = 'SsoProtocolError';
  }
}

/** SAML settings of one connection, secrets already decrypted. */
export interface SamlConnectionSettings {
  connectionId: string;
  idpEntityId: string;
  ssoUrl: string;
  /** PEM; two during a certificate rollover. */
  idpCertificates: string[];
  nameIdFormat: string | null;
  attributeMapping: ProfileMapping;
  wantAssertionsSigned: boolean;
  allowIdpInitiated: boolean;
  /** PEM key and certificate the service signs its requests with, when configured. */
  spPrivateKey: string | null;
  spCertificate: string | null;
}

/** Where this service receives SAML for one connection; built from PUBLIC_URL. */
export interface ServiceProviderEndpoints {
  entityId: string;
  acsUrl: string;
}

/** OIDC settings of one connection, the client secret already decrypted. */
export interface OidcConnectionSettings {
  connectionId: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
  scopes: string[];
  claimMapping: ProfileMapping;
}

/** Settings the protocol layers share, from configuration. */
export interface SsoProtocolOptions {
  /** Accepted clock difference with identity providers, for time conditions and ID tokens. */
  clockSkewSeconds: number;
  /** How long a started login may take at the identity provider before its state expires. */
  flowTtlSeconds: number;
  /** Lets an OIDC issuer on a loopback address use plain HTTP; never set in production. */
  allowHttpLoopbackIssuers: boolean;
  /** Kinds of address, besides public ones, an OpenID provider's hosts may resolve to. */
  issuerAddresses: { loopback: boolean; private: boolean };
}

export const SSO_PROTOCOL_OPTIONS = Symbol('SSO_PROTOCOL_OPTIONS');
