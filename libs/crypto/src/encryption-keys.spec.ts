import { loadAppConfig } from '@app/config';
import { resolveEncryptionKeys } from './encryption-keys';
import { SecretCipher } from './secret-cipher';

const GUIDE_PRODUCTION = {
  ENVIRONMENT: 'production',
  POSTGRES_HOST: 'db.internal',
  POSTGRES_PASSWORD: 'postgres-password-VALUE',
  REDIS_HOST: 'redis.internal',
  REDIS_PASSWORD: 'redis-password-VALUE',
  CORS_ORIGINS: 'https://app.faultmaven.com',
};
const OLD_SECRET = 'o'.repeat(64);
const NEW_SECRET = 'n'.repeat(64);

function cipherFor(env: Record<string, string>): SecretCipher {
  return new SecretCipher(resolveEncryptionKeys(loadAppConfig({ ...GUIDE_PRODUCTION, ...env })));
}

describe('resolveEncryptionKeys in production without ENCRYPTION_KEYS', () => {
  it('derives a stable key from JWT_SECRET_KEY, the same on every instance', () => {
    const sealed = cipherFor({ JWT_SECRET_KEY: OLD_SECRET }).encrypt('totp-secret', 'totp:u1');

    expect(cipherFor({ JWT_SECRET_KEY: OLD_SECRET }).decrypt(sealed, 'totp:u1')).toBe(
      'totp-secret',
    );
    expect(sealed).not.toContain(OLD_SECRET);
  });

  it('keeps decrypting through JWT_SECRET_KEY_PREVIOUS after a rotation, and only so', () => {
    const sealed = cipherFor({ JWT_SECRET_KEY: OLD_SECRET }).encrypt('totp-secret', 'totp:u1');
    const rotated = cipherFor({
      JWT_SECRET_KEY: NEW_SECRET,
      JWT_SECRET_KEY_PREVIOUS: OLD_SECRET,
    });

    expect(rotated.decrypt(sealed, 'totp:u1')).toBe('totp-secret');
    expect(rotated.reencrypt(sealed, 'totp:u1').split('.')[1]).toBe(rotated.currentKeyId);
    expect(() => cipherFor({ JWT_SECRET_KEY: NEW_SECRET }).decrypt(sealed, 'totp:u1')).toThrow(
      /no configured key/,
    );
  });

  it('prefers ENCRYPTION_KEYS when set', () => {
    const cipher = cipherFor({
      JWT_SECRET_KEY: OLD_SECRET,
      ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')}`,
    });

    expect(cipher.currentKeyId).toBe('k1');
  });
});
