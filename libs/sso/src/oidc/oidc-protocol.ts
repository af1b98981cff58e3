import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import * as oidc from 'openid-client';
import { KEY_VALUE_STORE, KeyValueStore } from '@app/cache';
import {
  ExternalProfile,
  OidcConnectionSettings,
  SSO_PROTOCOL_OPTIONS,
  SsoFailureReason,
  SsoFlowCarry,
  SsoProtocolError,
  SsoProtocolOptions,
} from '../sso-protocol';
import { IssuerAddressError, addressCheckedFetch } from './issuer-address';
import { InvalidIssuerUrlError, validateIssuerUrl } from './issuer-url';

/** Long enough to spare the provider a discovery per login, short enough to follow key moves. */
const DISCOVERY_CACHE_MS = 5 * 60_000;
/** Seconds every request to the provider may take, discovery included. */
const PROVIDER_TIMEOUT_SECONDS = 10;

const DEFAULT_CLAIMS = {
  email: 'email',
  first_name: 'given_name',
  last_name: 'family_name',
  groups: 'groups',
} as const;

// oauth4webapi error codes; openid-client passes them through on its ClientError.
const CLAIM_COMPARISON = 'OAUTH_JWT_CLAIM_COMPARISON_FAILED';
const TOKEN_INVALID_CODES = new Set([
  'OAUTH_JWT_TIMESTAMP_CHECK_FAILED',
  'OAUTH_KEY_SELECTION_FAILED',
  'OAUTH_INVALID_RESPONSE',
  'OAUTH_PARSE_ERROR',
  'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED',
  'OAUTH_UNSUPPORTED_OPERATION',
]);
const UNREACHABLE_CODES = new Set(['OAUTH_TIMEOUT', 'OAUTH_ABORT']);

const keys = {
  flow: (stateHash: string) => `sso:oidc:flow:${stateHash}`,
  spent: (stateHash: string) => `sso:oidc:spent:${stateHash}`,
};

/** What `begin` leaves in the store for `finish`; the browser only ever holds the state. */
interface StoredFlow {
  connectionId: string;
  codeVerifier: string;
  nonce: string;
  carry: SsoFlowCarry;
}

interface CachedConfiguration {
  configuration: Promise<oidc.Configuration>;
  expiresAt: number;
}

type Claims = Record<string, unknown>;

/**
 * OpenID Connect relying party: the authorization code flow with PKCE (S256), `state` and
 * `nonce`, and a fully validated ID token whose signature is checked against the provider's
 * JWKS. Flow state lives in the key-value store, so any instance can finish a login another
 * began.
 */
@Injectable()
export class OidcProtocol {
  private readonly logger = new Logger(OidcProtocol.name);
  private readonly configurations = new Map<string, CachedConfiguration>();

  constructor(
    @Inject(KEY_VALUE_STORE) private readonly store: KeyValueStore,
    @Inject(SSO_PROTOCOL_OPTIONS) private readonly options: SsoProtocolOptions,
  ) {}

  /**
   * Starts a login: remembers the PKCE verifier, nonce and carry under the hash of a fresh
   * state for `flowTtlSeconds`, and answers the provider's authorization URL to send the
   * browser to. Throws `insecure_issuer` or `provider_unreachable`.
   */
  async begin(
    settings: OidcConnectionSettings,
    redirectUri: string,
    carry: SsoFlowCarry,
  ): Promise<string> {
    const configuration = await this.configuration(settings);
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const codeChallenge = await oidc.calculatePKCECodeChallenge(codeVerifier);

    const stored: StoredFlow = { connectionId: settings.connectionId, codeVerifier, nonce, carry };
    await this.store.set(
      keys.flow(hashState(state)),
      JSON.stringify(stored),
      this.options.flowTtlSeconds,
    );

    const url = oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: scopeOf(settings.scopes),
      state,
      nonce,
      code_challenge: codeChallenge,
      code_challenge_method: 'S256',
    });

    return url.href;
  }

  /**
   * Completes a login from the URL the provider sent the browser back to. The state is
   * redeemed once, for the connection that began it; the code is exchanged with the PKCE
   * verifier; the ID token is validated (issuer, audience, authorized party, expiry, issued-at
   * within `clockSkewSeconds`, nonce, signature). Throws an `SsoProtocolError`, never a
   * library error.
   */
  async finish(
    settings: OidcConnectionSettings,
    redirectUri: string,
    callbackUrl: URL,
  ): Promise<{ profile: ExternalProfile; carry: SsoFlowCarry }> {
    const flow = await this.redeemState(settings, callbackUrl);
    const providerError = callbackUrl.searchParams.get('error');
    if (providerError !== null) {
      this.logger.warn({
        event: 'sso_oidc_provider_error',
        connection_id: settings.connectionId,
        error_code: providerError.slice(0, 64),
      });
      throw new SsoProtocolError('provider_error');
    }

    const configuration = await this.configuration(settings);
    const claims = await this.exchangeCode(configuration, settings, redirectUri, callbackUrl, flow);
    const profile = toProfile(settings, claims);
    if (profile === null) throw new SsoProtocolError('missing_email');

    return { profile, carry: flow.carry };
  }

  /**
   * The stored flow of the callback's state, taken exactly once: the `spent` marker is set
   * atomically, so of two parallel callbacks with one state only one gets past here.
   */
  private async redeemState(
    settings: OidcConnectionSettings,
    callbackUrl: URL,
  ): Promise<StoredFlow & { state: string }> {
    const state = callbackUrl.searchParams.get('state');
    if (state === null || state === '') throw new SsoProtocolError('state_mismatch');
    const stateHash = hashState(state);
    const raw = await this.store.get(keys.flow(stateHash));
    if (raw === null) throw new SsoProtocolError('state_mismatch');
    const flow = JSON.parse(raw) as StoredFlow;
    // Checked before redeeming, so a callback sent to the wrong connection cannot burn the
    // login it belongs to.
    if (flow.connectionId !== settings.connectionId) {
      this.logger.warn({
        event: 'sso_oidc_state_other_connection',
        connection_id: settings.connectionId,
      });
      throw new SsoProtocolError('state_mismatch');
    }
    const first = await this.store.setIfAbsent(
      keys.spent(stateHash),
      '1',
      this.options.flowTtlSeconds,
    );
    if (!first) throw new SsoProtocolError('state_mismatch');
    await this.store.delete(keys.flow(stateHash));

    return { ...flow, state };
  }

  /** The validated claims of the ID token, completed from userinfo when it lacks the email. */
  private async exchangeCode(
    configuration: oidc.Configuration,
    settings: OidcConnectionSettings,
    redirectUri: string,
    callbackUrl: URL,
    flow: StoredFlow & { state: string },
  ): Promise<Claims> {
    // The token request must repeat the redirect_uri of the authorization request exactly,
    // whatever host or proxy the callback came in through.
    const currentUrl = new URL(redirectUri);
    for (const [name, value] of callbackUrl.searchParams)
      currentUrl.searchParams.append(name, value);

    try {
      const tokens = await oidc.authorizationCodeGrant(configuration, currentUrl, {
        pkceCodeVerifier: flow.codeVerifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
      });
      const idToken = tokens.claims();
      if (idToken === undefined) throw new SsoProtocolError('token_invalid');
      // openid-client checks `exp` against the tolerance but `iat` only for presence; a token
      // stamped in the future comes from a provider clock or key that cannot be trusted.
      if (idToken.iat > Date.now() / 1000 + this.options.clockSkewSeconds) {
        throw new SsoProtocolError('token_invalid');
      }
      const emailClaim = settings.claimMapping.email ?? DEFAULT_CLAIMS.email;
      if (nonEmptyString(idToken[emailClaim]) !== null) return idToken;

      // Userinfo answers for the same subject only: openid-client compares its `sub`.
      const userInfo = await oidc.fetchUserInfo(configuration, tokens.access_token, idToken.sub);

      return { ...userInfo, ...idToken };
    } catch (error) {
      throw this.failure(error, settings);
    }
  }

  private failure(error: unknown, settings: OidcConnectionSettings): SsoProtocolError {
    if (error instanceof SsoProtocolError) return error;
    const reason = failureReason(error);
    const code = error instanceof oidc.ClientError ? error.code : undefined;
    // Name and code only: library messages and causes may carry claims or tokens.
    this.logger.warn({
      event: 'sso_oidc_login_refused',
      connection_id: settings.connectionId,
      reason,
      error_name: error instanceof Error ? error.name : typeof error,
      error_code: code,
    });

    return new SsoProtocolError(reason, { cause: error });
  }

  /**
   * The provider's discovered metadata with this client's credentials, cached per connection,
   * issuer and client. A failed discovery is not cached, so the next login tries again.
   */
  private async configuration(settings: OidcConnectionSettings): Promise<oidc.Configuration> {
    let issuer: URL;
    try {
      issuer = validateIssuerUrl(settings.issuer, this.options);
    } catch (error) {
      if (!(error instanceof InvalidIssuerUrlError)) throw error;
      throw new SsoProtocolError('insecure_issuer', { cause: error });
    }

    const cacheKey = [
      settings.connectionId,
      settings.issuer,
      settings.clientId,
      // A rotated secret must not keep using the configuration built with the old one.
      createHash('sha256').update(settings.clientSecret).digest('base64url'),
    ].join('\n');
    const now = Date.now();
    const cached = this.configurations.get(cacheKey);
    if (cached !== undefined && cached.expiresAt > now) return cached.configuration;

    this.pruneConfigurations(now);
    const configuration = this.discover(issuer, settings);
    this.configurations.set(cacheKey, { configuration, expiresAt: now + DISCOVERY_CACHE_MS });
    try {
      return await configuration;
    } catch (error) {
      this.configurations.delete(cacheKey);
      this.logger.warn({
        event: 'sso_oidc_discovery_failed',
        connection_id: settings.connectionId,
        error_name: error instanceof Error ? error.name : typeof error,
        error_code: error instanceof oidc.ClientError ? error.code : undefined,
      });
      if (causedByAddress(error)) {
        throw new SsoProtocolError('issuer_address_refused', { cause: error });
      }
      throw new SsoProtocolError('provider_unreachable', { cause: error });
    }
  }

  private async discover(
    issuer: URL,
    settings: OidcConnectionSettings,
  ): Promise<oidc.Configuration> {
    const metadata: Partial<oidc.ClientMetadata> = {
      client_secret: settings.clientSecret,
      [oidc.clockTolerance]: this.options.clockSkewSeconds,
    };
    // Signature checks are off by default in openid-client (it trusts TLS to the token
    // endpoint); they are wanted here, and over plain loopback HTTP they are all there is.
    // TODO: they cover key-pair algorithms only, so a provider that signs ID tokens with the
    // client secret (HS256) is refused as token_invalid; none of the common ones do by default.
    const execute = [oidc.enableNonRepudiationChecks];
    // Reached only for an issuer validateIssuerUrl let through: loopback, when allowed. The
    // function itself must be passed: discovery looks for it to allow its own request.
    if (issuer.protocol === 'http:') execute.push(oidc.allowInsecureRequests);
    const configuration = await oidc.discovery(
      issuer,
      settings.clientId,
      metadata,
      oidc.ClientSecretBasic(settings.clientSecret),
      {
        execute,
        timeout: PROVIDER_TIMEOUT_SECONDS,
        [oidc.customFetch]: addressCheckedFetch(this.options.issuerAddresses),
      },
    );
    const methods = configuration.serverMetadata().token_endpoint_auth_methods_supported;
    // client_secret_basic is the registration default; use post only where basic is absent.
    if (methods === undefined || methods.includes('client_secret_basic')) return configuration;
    if (!methods.includes('client_secret_post')) return configuration;

    const withPost = new oidc.Configuration(
      configuration.serverMetadata(),
      settings.clientId,
      metadata,
      oidc.ClientSecretPost(settings.clientSecret),
    );
    withPost.timeout = PROVIDER_TIMEOUT_SECONDS;
    for (const extension of execute) extension(withPost);

    return withPost;
  }

  private pruneConfigurations(now: number): void {
    for (const [key, cached] of this.configurations) {
      if (cached.expiresAt <= now) this.configurations.delete(key);
    }
  }
}

function hashState(state: string): string {
  return createHash('sha256').update(state).digest('base64url');
}

function scopeOf(scopes: string[]): string {
  return [...new Set(['openid', ...scopes.map((scope) => scope.trim()).filter(Boolean)])].join(' ');
}

function failureReason(error: unknown): SsoFailureReason {
  if (error instanceof oidc.ResponseBodyError) return 'provider_error';
  if (error instanceof oidc.AuthorizationResponseError) return 'provider_error';
  if (error instanceof oidc.WWWAuthenticateChallengeError) return 'provider_error';
  // fetch rejects with a bare TypeError when the connection fails; openid-client's own
  // TypeErrors (bad arguments) carry a code.
  if (error instanceof TypeError && !('code' in error)) return 'provider_unreachable';
  if (!(error instanceof oidc.ClientError) || error.code === undefined) return 'provider_error';
  if (UNREACHABLE_CODES.has(error.code)) return 'provider_unreachable';
  if (error.code === CLAIM_COMPARISON) {
    return comparedClaim(error) === 'nonce' ? 'nonce_mismatch' : 'token_invalid';
  }
  if (TOKEN_INVALID_CODES.has(error.code)) return 'token_invalid';

  return 'provider_error';
}

/** The claim a failed comparison was about; openid-client wraps oauth4webapi's error. */
function comparedClaim(error: oidc.ClientError): unknown {
  const inner: unknown = error.cause;
  if (!(inner instanceof Error) || typeof inner.cause !== 'object' || inner.cause === null) {
    return undefined;
  }

  return (inner.cause as { claim?: unknown }).claim;
}

function toProfile(settings: OidcConnectionSettings, claims: Claims): ExternalProfile | null {
  const mapping = settings.claimMapping;
  const email = nonEmptyString(claims[mapping.email ?? DEFAULT_CLAIMS.email]);
  if (email === null) return null;

  return {
    // openid-client refuses an ID token without a string `sub`.
    subject: String(claims.sub),
    email,
    emailVerified: claims.email_verified === true,
    firstName: nonEmptyString(claims[mapping.first_name ?? DEFAULT_CLAIMS.first_name]),
    lastName: nonEmptyString(claims[mapping.last_name ?? DEFAULT_CLAIMS.last_name]),
    groups: stringList(claims[mapping.groups ?? DEFAULT_CLAIMS.groups]),
  };
}

function nonEmptyString(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}

/** Providers send groups as an array, some as one string when there is a single group. */
function stringList(value: unknown): string[] {
  if (typeof value === 'string') return value === '' ? [] : [value];
  if (!Array.isArray(value)) return [];

  return value.filter((item): item is string => typeof item === 'string' && item !== '');
}

/** True when a refusal of the provider's address is somewhere in the error's cause chain. */
function causedByAddress(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    if (current instanceof IssuerAddressError) return true;
    current = (current as { cause?: unknown }).cause;
  }

  return false;
}
