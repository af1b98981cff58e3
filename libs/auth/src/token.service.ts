import { createCipheriv, createDecipheriv, createHash, randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { createSigner, createVerifier } from 'fast-jwt';
import { KEY_VALUE_STORE, KeyValueStore, RevocationKeys } from '@app/cache';
import { APP_CONFIG, AppConfig } from '@app/config';
import { AuthException } from './auth.exception';
import { JWT_SIGNING_KEY } from './signing-key';
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
 * Access tokens are HS256 JWTs; refresh tokens are opaque random strings stored only as a
 * SHA-256 hash. A revoked access token (logout) or any token of a revoked session is refused
 * on every instance through the shared store until it would have expired anyway.
 */
@Injectable()
export class TokenService {
  private readonly sign: (payload: Record<string, unknown>) => string;
  private readonly verify: (token: string) => AccessTokenClaims;
  private readonly accessTtl: number;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(JWT_SIGNING_KEY) signingKey: string,
    @Inject(KEY_VALUE_STORE) private readonly store: KeyValueStore,
  ) {
    this.accessTtl = config.jwt.accessTokenTtlSeconds;
    this.sign = createSigner({
      key: signingKey,
      algorithm: 'HS256',
      expiresIn: this.accessTtl * 1000,
      iss: config.jwt.issuer,
      aud: config.jwt.audience,
    });
    this.verify = createVerifier({
      key: signingKey,
      // Pinned: `none` and every other algorithm are refused whatever the header says.
      algorithms: ['HS256'],
      allowedIss: config.jwt.issuer,
      allowedAud: config.jwt.audience,
      // fast-jwt checks iss and aud only when present: required, a token cannot skip them.
      requiredClaims: ['sub', 'org_id', 'sid', 'jti', 'type', 'exp', 'iat', 'iss', 'aud'],
      cache: 10_000,
    });
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

    return { token, tokenId, expiresIn: this.accessTtl };
  }

  /** Verifies signature, algorithm, issuer, audience, expiry and type, then revocation. */
  async authenticate(token: string): Promise<Principal> {
    const principal = this.decode(token);
    const revocations = await this.store.getMany([
      RevocationKeys.token(principal.tokenId),
      RevocationKeys.session(principal.sessionId),
      RevocationKeys.organization(principal.organizationId),
      RevocationKeys.membership(principal.organizationId, principal.userId),
    ]);
    if (revocations.some((value) => value !== null)) {
      throw new AuthException('AUTH_TOKEN_REVOKED');
    }

    return principal;
  }

  /** Makes one access token unusable at once on every instance. */
  async revokeAccessToken(principal: Principal): Promise<void> {
    const remaining = principal.expiresAt - Math.floor(Date.now() / 1000);
    if (remaining > 0)
      await this.store.set(RevocationKeys.token(principal.tokenId), '1', remaining);
  }

  /** Makes every access token of a session unusable; none outlives the access-token lifetime. */
  async revokeSessionAccess(sessionId: string): Promise<void> {
    await this.store.set(RevocationKeys.session(sessionId), '1', this.accessTtl);
  }

  newRefreshToken(): { token: string; hash: string } {
    const token = randomBytes(32).toString('base64url');

    return { token, hash: this.hashRefreshToken(token) };
  }

  hashRefreshToken(token: string): string {
    return createHash('sha256').update(token, 'utf8').digest('hex');
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
    let claims: AccessTokenClaims;
    try {
      claims = this.verify(token);
    } catch {
      throw new AuthException('AUTH_INVALID_TOKEN');
    }
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

function successorKey(rotated: string): Buffer {
  return createHash('sha256').update('faultmaven-refresh-successor:').update(rotated).digest();
}
