import { createCipheriv, createDecipheriv, createHash, randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { createSigner, createVerifier } from 'fast-jwt';
import { KEY_VALUE_STORE, KeyValueStore, RevocationKeys } from '@app/cache';
import { APP_CONFIG, AppConfig } from '@app/config';
import { Metrics } from '@app/observability';
import { AuthException } from './auth.exception';
import { JWT_KEYRING, JwtKeyring, PublicJwk } from './signing-key';
import { Principal } from '@app/common';

interface AccessTokenClaims {
  sub: string;
  org_id: string;
  sid: string;
  jti: string;
  type: 'access';
  roles: string[];
  iat: number;
  exp: number;
}

export interface IssuedAccessToken {
  token: string;
  tokenId: string;
  expiresIn: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Access tokens are JWTs signed with the keyring's signing key (HS256, RS256, ES256 or
 * EdDSA); refresh tokens are opaque random strings stored only as a SHA-256 hash. A revoked
 * access token (logout) or any token of a revoked session is refused on every instance
 * through the shared store until it would have expired anyway.
 */
@Injectable()
export class TokenService {
  private readonly sign: (payload: Record<string, unknown>) => string;
  /** Asymmetric keys: one verifier per kid, each pinned to its key's algorithm. */
  private readonly verifiersByKid = new Map<string, (token: string) => AccessTokenClaims>();
  /** HS256 secrets, current first: tokens carry no kid, so each is tried in turn. */
  private readonly secretVerifiers: Array<(token: string) => AccessTokenClaims> = [];
  private readonly accessTtl: number;
  private readonly publicKeys: PublicJwk[];

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(JWT_KEYRING) keyring: JwtKeyring,
    @Inject(KEY_VALUE_STORE) private readonly store: KeyValueStore,
    private readonly metrics: Metrics,
  ) {
    this.accessTtl = config.jwt.accessTokenTtlSeconds;
    this.publicKeys = keyring.jwks;
    this.sign = createSigner({
      key: keyring.signing.key,
      algorithm: keyring.signing.algorithm,
      kid: keyring.signing.kid,
      expiresIn: this.accessTtl * 1000,
      iss: config.jwt.issuer,
      aud: config.jwt.audience,
    });
    for (const { kid, algorithm, key } of keyring.verification) {
      const verify = createVerifier({
        key,
        // Pinned per key: `none`, and any algorithm but the key's own, are refused whatever
        // the header says (no HS256 token "signed" with a public key).
        algorithms: [algorithm],
        allowedIss: config.jwt.issuer,
        allowedAud: config.jwt.audience,
        // fast-jwt checks iss and aud only when present: required, a token cannot skip them.
        requiredClaims: ['sub', 'org_id', 'sid', 'jti', 'type', 'exp', 'iat', 'iss', 'aud'],
        cache: 10_000,
      }) as (token: string) => AccessTokenClaims;
      if (kid === undefined) this.secretVerifiers.push(verify);
      else this.verifiersByKid.set(kid, verify);
    }
  }

  /** The public keys that verify access tokens (JWKS `keys`); empty with HS256. */
  get jwks(): PublicJwk[] {
    return this.publicKeys;
  }

  get accessTokenTtlSeconds(): number {
    return this.accessTtl;
  }

  issueAccessToken(input: {
    userId: string;
    organizationId: string;
    sessionId: string;
    roles: string[];
  }): IssuedAccessToken {
    const tokenId = randomUUID();
    const token = this.sign({
      sub: input.userId,
      org_id: input.organizationId,
      sid: input.sessionId,
      jti: tokenId,
      type: 'access',
      roles: input.roles,
    });

    this.metrics.tokenIssued('access');

    return { token, tokenId, expiresIn: this.accessTtl };
  }

  /** Verifies signature, algorithm, issuer, audience, expiry and type, then revocation. */
  async authenticate(token: string): Promise<Principal> {
    let principal: Principal;
    try {
      principal = this.decode(token);
    } catch (error) {
      this.metrics.tokenValidated('invalid');
      throw error;
    }
    const revocations = await this.store.getMany([
      RevocationKeys.token(principal.sessionId, principal.tokenId),
      RevocationKeys.session(principal.sessionId),
      RevocationKeys.organization(principal.organizationId),
      RevocationKeys.membership(principal.organizationId, principal.userId),
    ]);
    if (revocations.some((value) => value !== null)) {
      this.metrics.tokenValidated('revoked');
      throw new AuthException('AUTH_TOKEN_REVOKED');
    }
    this.metrics.tokenValidated('valid');

    return principal;
  }

  /** Makes one access token unusable at once on every instance. */
  async revokeAccessToken(principal: Principal): Promise<void> {
    const remaining = principal.expiresAt - Math.floor(Date.now() / 1000);
    if (remaining > 0)
      await this.store.set(
        RevocationKeys.token(principal.sessionId, principal.tokenId),
        '1',
        remaining,
      );
  }

  /** Makes every access token of a session unusable; none outlives the access-token lifetime. */
  async revokeSessionAccess(sessionId: string): Promise<void> {
    await this.store.set(RevocationKeys.session(sessionId), '1', this.accessTtl);
  }

  newRefreshToken(): { token: string; hash: string } {
    const token = randomBytes(32).toString('base64url');
    this.metrics.tokenIssued('refresh');

    return { token, hash: this.hashRefreshToken(token) };
  }

  hashRefreshToken(token: string): string {
    return createHash('sha256').update(token, 'utf8').digest('hex');
  }

  /**
   * Checks signature, algorithm, issuer, audience and expiry. An asymmetric token names its
   * key by `kid`, and an unknown kid is refused; HS256 tries the current, then the previous
   * secret.
   */
  private verifySignature(token: string): AccessTokenClaims {
    const verifiers =
      this.verifiersByKid.size > 0
        ? [this.verifiersByKid.get(keyIdOf(token) ?? '')]
        : this.secretVerifiers;
    for (const verify of verifiers) {
      if (!verify) break;
      try {
        return verify(token);
      } catch {
        // The next secret may have signed it.
      }
    }
    throw new AuthException('AUTH_INVALID_TOKEN');
  }

  /**
   * Seals a rotated token's successor (AES-256-GCM) under a key derived from the rotated token.
   * The database holds only SHA-256(token), a different digest, so the successor can be
   * unsealed only by someone presenting the rotated token itself.
   */
  sealSuccessor(rotated: string, successor: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', successorKey(rotated), iv);
    const sealed = Buffer.concat([cipher.update(successor, 'utf8'), cipher.final()]);

    return Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url');
  }

  /** The successor sealed by `sealSuccessor`, or null when it does not open with this token. */
  openSuccessor(rotated: string, sealed: string): string | null {
    const bytes = Buffer.from(sealed, 'base64url');
    if (bytes.length <= 28) return null;
    try {
      const decipher = createDecipheriv(
        'aes-256-gcm',
        successorKey(rotated),
        bytes.subarray(0, 12),
      );
      decipher.setAuthTag(bytes.subarray(12, 28));

      return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString(
        'utf8',
      );
    } catch {
      return null;
    }
  }

  private decode(token: string): Principal {
    const claims = this.verifySignature(token);
    const valid =
      claims.type === 'access' &&
      UUID.test(String(claims.sub)) &&
      UUID.test(String(claims.org_id)) &&
      UUID.test(String(claims.sid)) &&
      typeof claims.jti === 'string' &&
      Array.isArray(claims.roles);
    if (!valid) throw new AuthException('AUTH_INVALID_TOKEN');

    return {
      userId: claims.sub,
      organizationId: claims.org_id,
      sessionId: claims.sid,
      tokenId: claims.jti,
      roles: claims.roles.map(String),
      expiresAt: claims.exp,
    };
  }
}

/** The `kid` of a JWT header, or undefined; the signature is checked afterwards. */
function keyIdOf(token: string): string | undefined {
  const header = token.slice(0, token.indexOf('.'));
  try {
    const parsed = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as unknown;
    const kid = (parsed as { kid?: unknown } | null)?.kid;

    return typeof kid === 'string' ? kid : undefined;
  } catch {
    return undefined;
  }
}

function successorKey(rotated: string): Buffer {
  return createHash('sha256').update('faultmaven-refresh-successor:').update(rotated).digest();
}
