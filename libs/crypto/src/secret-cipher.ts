import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { EncryptionKey } from '@app/config';

const FORMAT = 'v1';
const ALGORITHM = 'aes-256-gcm';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** Thrown for a ciphertext that is malformed, of an unknown key, or fails authentication. */
export class SecretDecryptionError extends Error {
  constructor(reason: string) {
    super(`Cannot decrypt secret: ${reason}`);
    this.name = 'SecretDecryptionError';
  }
}

/**
 * AES-256-GCM for secrets kept at rest (TOTP secrets, SSO client secrets). A ciphertext reads
 * `v1.<key id>.<nonce>.<ciphertext>.<tag>` (base64url parts), so it names the key that made
 * it: the first key encrypts, every configured key decrypts, and a key can be rotated by
 * adding a new one first and re-encrypting. `context` is authenticated but not stored (e.g.
 * `totp:<user id>`): a ciphertext copied into another user's row does not decrypt there.
 */
export class SecretCipher {
  private readonly keys: Map<string, Buffer>;
  private readonly current: EncryptionKey;

  constructor(keys: EncryptionKey[]) {
    if (keys.length === 0) throw new Error('SecretCipher needs at least one key');
    this.current = keys[0];
    this.keys = new Map(keys.map((entry) => [entry.id, entry.key]));
  }

  get currentKeyId(): string {
    return this.current.id;
  }

  encrypt(plaintext: string, context: string): string {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.current.key, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);

    return [FORMAT, this.current.id, nonce, body, cipher.getAuthTag()]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  decrypt(ciphertext: string, context: string): string {
    const [format, keyId, nonce, body, tag, ...rest] = ciphertext.split('.');
    if (format !== FORMAT || rest.length > 0 || tag === undefined) {
      throw new SecretDecryptionError('unknown format');
    }
    const key = this.keys.get(keyId);
    if (!key) throw new SecretDecryptionError(`no configured key has id ${keyId}`);
    const tagBytes = Buffer.from(tag, 'base64url');
    const nonceBytes = Buffer.from(nonce, 'base64url');
    if (tagBytes.length !== TAG_BYTES || nonceBytes.length !== NONCE_BYTES) {
      throw new SecretDecryptionError('malformed');
    }
    try {
      const decipher = createDecipheriv(ALGORITHM, key, nonceBytes, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(tagBytes);

      return Buffer.concat([
        decipher.update(Buffer.from(body, 'base64url')),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      throw new SecretDecryptionError('authentication failed');
    }
  }

  /** True when the ciphertext was made by another key than the current one. */
  needsReencryption(ciphertext: string): boolean {
    return ciphertext.split('.')[1] !== this.current.id;
  }

  /** Decrypts with whichever key made it and encrypts again with the current key. */
  reencrypt(ciphertext: string, context: string): string {
    return this.encrypt(this.decrypt(ciphertext, context), context);
  }
}
