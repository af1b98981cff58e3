import { randomBytes } from 'node:crypto';
import { SecretCipher, SecretDecryptionError } from './secret-cipher';

const key = (id: string) => ({ id, key: randomBytes(32) });

describe('SecretCipher', () => {
  const k1 = key('k1');
  const k2 = key('k2');

  it('round-trips a secret and names the key in the ciphertext', () => {
    const cipher = new SecretCipher([k1]);
    const sealed = cipher.encrypt('JBSWY3DPEHPK3PXP', 'totp:user-1');

    expect(sealed).toMatch(/^v1\.k1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(sealed).not.toContain('JBSWY3DPEHPK3PXP');
    expect(cipher.decrypt(sealed, 'totp:user-1')).toBe('JBSWY3DPEHPK3PXP');
  });

  it('uses a fresh nonce every time', () => {
    const cipher = new SecretCipher([k1]);

    expect(cipher.encrypt('same', 'c')).not.toBe(cipher.encrypt('same', 'c'));
  });

  it('refuses another context, an altered byte and an unknown key', () => {
    const cipher = new SecretCipher([k1]);
    const sealed = cipher.encrypt('secret', 'totp:user-1');
    const parts = sealed.split('.');
    const body = Buffer.from(parts[3], 'base64url');
    body[0] ^= 1;
    const altered = [...parts.slice(0, 3), body.toString('base64url'), parts[4]].join('.');

    expect(() => cipher.decrypt(sealed, 'totp:user-2')).toThrow(SecretDecryptionError);
    expect(() => cipher.decrypt(altered, 'totp:user-1')).toThrow(SecretDecryptionError);
    expect(() => new SecretCipher([k2]).decrypt(sealed, 'totp:user-1')).toThrow(/id k1/);
    expect(() => cipher.decrypt('plain', 'totp:user-1')).toThrow(SecretDecryptionError);
  });

  it('rotates: a new first key encrypts, the old one still decrypts, reencrypt moves it', () => {
    const old = new SecretCipher([k1]).encrypt('secret', 'c');
    const rotated = new SecretCipher([k2, k1]);

    expect(rotated.decrypt(old, 'c')).toBe('secret');
    expect(rotated.needsReencryption(old)).toBe(true);
    const moved = rotated.reencrypt(old, 'c');
    expect(moved.split('.')[1]).toBe('k2');
    expect(rotated.needsReencryption(moved)).toBe(false);
    expect(new SecretCipher([k2]).decrypt(moved, 'c')).toBe('secret');
  });
});
