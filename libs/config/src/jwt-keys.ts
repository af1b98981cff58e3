import { KeyObject, createPrivateKey, createPublicKey } from 'node:crypto';

export const JWT_ALGORITHMS = ['HS256', 'RS256', 'ES256', 'EdDSA'] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

/** PEM text from an environment variable: `\n` escapes (one-line .env values) become newlines. */
export function normalizePem(value: string): string {
  return value.replace(/\\n/g, '\n').trim();
}

/** Why `key` cannot sign or verify `algorithm`, or null when it can. Never shows the key. */
export function keyMismatch(algorithm: JwtAlgorithm, key: KeyObject): string | null {
  const details = key.asymmetricKeyDetails ?? {};
  switch (algorithm) {
    case 'RS256':
      return key.asymmetricKeyType === 'rsa' && (details.modulusLength ?? 0) >= 2048
        ? null
        : 'must be an RSA key of 2048 bits or more for RS256';
    case 'ES256':
      return key.asymmetricKeyType === 'ec' && details.namedCurve === 'prime256v1'
        ? null
        : 'must be an EC key on curve P-256 for ES256';
    case 'EdDSA':
      return key.asymmetricKeyType === 'ed25519' ? null : 'must be an Ed25519 key for EdDSA';
    case 'HS256':
      return 'is not used with HS256';
  }
}

/** The private key of a PEM string, or a problem naming the variable (never the value). */
export function parsePrivateKey(
  name: string,
  pem: string,
  algorithm: JwtAlgorithm,
): { key?: KeyObject; problem?: string } {
  let key: KeyObject;
  try {
    key = createPrivateKey(normalizePem(pem));
  } catch {
    return { problem: `${name} is not a PEM private key` };
  }
  const mismatch = keyMismatch(algorithm, key);

  return mismatch ? { problem: `${name} ${mismatch}` } : { key };
}

/** The public key of a PEM string; private key material there is refused, not derived from. */
export function parsePublicKey(
  name: string,
  pem: string,
  algorithm: JwtAlgorithm,
): { key?: KeyObject; problem?: string } {
  const text = normalizePem(pem);
  if (text.includes('PRIVATE KEY')) {
    return { problem: `${name} holds a private key; give only the public key` };
  }
  let key: KeyObject;
  try {
    key = createPublicKey(text);
  } catch {
    return { problem: `${name} is not a PEM public key` };
  }
  const mismatch = keyMismatch(algorithm, key);

  return mismatch ? { problem: `${name} ${mismatch}` } : { key };
}
