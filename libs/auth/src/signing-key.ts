import { KeyObject, createHash, createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { AppConfig, JwtAlgorithm } from '@app/config';

/**
 * The HS256 key: JWT_SECRET_KEY when set (always in production, which refuses to start
 * without it). Elsewhere a random key is generated once and kept under DATA_DIR, so tokens
 * survive a restart of a development instance.
 */
export function resolveSigningKey(config: AppConfig): string {
  if (config.jwt.secret) return config.jwt.secret;
  if (config.dataDir === 'memory') return randomBytes(64).toString('hex');

  const path = join(config.dataDir, 'jwt-secret');
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  mkdirSync(config.dataDir, { recursive: true });
  const secret = randomBytes(64).toString('hex');
  writeFileSync(path, secret, { mode: 0o600 });
  new Logger('SigningKey').warn(
    `JWT_SECRET_KEY is not set: generated a development key in ${path}`,
  );

  return secret;
}

export const JWT_KEYRING = Symbol('JWT_KEYRING');

/** A public key as JWKS serves it. */
export interface PublicJwk {
  kty: string;
  kid: string;
  alg: JwtAlgorithm;
  use: 'sig';
  [member: string]: unknown;
}

export interface VerificationKey {
  /** Undefined for HS256 secrets, which carry no kid. */
  kid?: string;
  algorithm: JwtAlgorithm;
  /** The HS256 secret, or a PEM public key. */
  key: string;
}

/**
 * The keys of access tokens: one that signs and every one that verifies (the signing key,
 * a previous HS256 secret, or the next and previous public keys), each pinned to one
 * algorithm. `jwks` holds the public keys to publish: none with HS256.
 */
export interface JwtKeyring {
  signing: { algorithm: JwtAlgorithm; kid?: string; key: string };
  verification: VerificationKey[];
  jwks: PublicJwk[];
}

/**
 * Builds the keyring from validated configuration (loadAppConfig checked every key).
 *
 * TODO: switching families (HS256 to a key pair) drops every HS256 token at once, since a
 * keyring holds one algorithm; accepting JWT_SECRET_KEY_PREVIOUS beside a key pair would let
 * such a switch be gradual too.
 */
export function buildKeyring(config: AppConfig, hsSecret: () => string): JwtKeyring {
  const { jwt } = config;
  if (jwt.algorithm === 'HS256') {
    const secret = hsSecret();
    const verification: VerificationKey[] = [{ algorithm: 'HS256', key: secret }];
    if (jwt.previousSecret) verification.push({ algorithm: 'HS256', key: jwt.previousSecret });

    return { signing: { algorithm: 'HS256', key: secret }, verification, jwks: [] };
  }

  const privateKey = createPrivateKey(jwt.privateKey ?? '');
  const keys: Array<{ key: KeyObject; kid?: string }> = [
    { key: createPublicKey(privateKey), kid: jwt.keyId },
  ];
  if (jwt.nextPublicKey) keys.push({ key: createPublicKey(jwt.nextPublicKey), kid: jwt.nextKeyId });
  if (jwt.previousPublicKey) {
    keys.push({ key: createPublicKey(jwt.previousPublicKey), kid: jwt.previousKeyId });
  }
  const published = keys.map(({ key, kid }) => {
    const exported = key.export({ format: 'jwk' }) as Record<string, string>;
    const jwk: PublicJwk = {
      ...exported,
      kty: exported.kty,
      kid: kid ?? jwkThumbprint(exported),
      alg: jwt.algorithm,
      use: 'sig',
    };

    return { pem: key.export({ format: 'pem', type: 'spki' }).toString(), jwk };
  });

  return {
    signing: {
      algorithm: jwt.algorithm,
      kid: published[0].jwk.kid,
      key: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    },
    verification: published.map(({ pem, jwk }) => ({
      kid: jwk.kid,
      algorithm: jwt.algorithm,
      key: pem,
    })),
    jwks: published.map(({ jwk }) => jwk),
  };
}

/** RFC 7638 thumbprint: SHA-256 of the required members in lexicographic order. */
function jwkThumbprint(jwk: Record<string, string>): string {
  const members: Record<string, string[]> = {
    RSA: ['e', 'kty', 'n'],
    EC: ['crv', 'kty', 'x', 'y'],
    OKP: ['crv', 'kty', 'x'],
  };
  const required = Object.fromEntries(
    (members[jwk.kty] ?? []).map((name) => [name, jwk[name]] as const),
  );

  return createHash('sha256').update(JSON.stringify(required)).digest('base64url');
}
