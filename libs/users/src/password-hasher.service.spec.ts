import * as bcrypt from 'bcrypt';
import { CommonException } from '@app/common';
import { loadAppConfig } from '@app/config';
import { PasswordHasher } from './password-hasher.service';

function hasher(env: Record<string, string> = {}): PasswordHasher {
  return new PasswordHasher(loadAppConfig({ BCRYPT_ROUNDS: '4', ...env }));
}

describe('PasswordHasher', () => {
  it('verifies the password it hashed and nothing else', async () => {
    const subject = hasher();
    const stored = await subject.hash('Correct-Horse-1');

    expect(stored).toMatch(/^bcrypt-sha256\$\$2b\$04\$/);
    expect(stored).not.toContain('Correct-Horse-1');
    await expect(subject.verify('Correct-Horse-1', stored)).resolves.toEqual({
      valid: true,
      needsRehash: false,
    });
    await expect(subject.verify('correct-horse-1', stored)).resolves.toMatchObject({
      valid: false,
    });
  });

  it.each(['', 'bcrypt-sha256$', 'bcrypt-sha256$not-bcrypt', '$2b$04$short', 'plain text'])(
    'verifies no password against the damaged stored value %p',
    async (stored) => {
      await expect(hasher().verify('anything', stored)).resolves.toEqual({
        valid: false,
        needsRehash: true,
      });
    },
  );

  it('salts every hash', async () => {
    const subject = hasher();

    expect(await subject.hash('same password')).not.toBe(await subject.hash('same password'));
  });

  it('tells apart passwords that share their first 72 bytes', async () => {
    const subject = hasher();
    const common = 'p'.repeat(72);
    const stored = await subject.hash(`${common}-one`);

    // Plain bcrypt reads only 72 bytes and would accept the other password.
    await expect(
      bcrypt.compare(`${common}-two`, await bcrypt.hash(`${common}-one`, 4)),
    ).resolves.toBe(true);
    await expect(subject.verify(`${common}-one`, stored)).resolves.toMatchObject({ valid: true });
    await expect(subject.verify(`${common}-two`, stored)).resolves.toMatchObject({ valid: false });
  });

  it('asks for a rehash when the stored cost differs from the configured one', async () => {
    const stored = await hasher({ BCRYPT_ROUNDS: '5' }).hash('Correct-Horse-1');

    await expect(hasher().verify('Correct-Horse-1', stored)).resolves.toEqual({
      valid: true,
      needsRehash: true,
    });
  });

  it('verifies a plain $2b$ hash and asks for a rehash', async () => {
    const stored = await bcrypt.hash('Correct-Horse-1', 4);

    await expect(hasher().verify('Correct-Horse-1', stored)).resolves.toEqual({
      valid: true,
      needsRehash: true,
    });
    await expect(hasher().verify('Wrong-Horse-1', stored)).resolves.toMatchObject({
      valid: false,
    });
  });

  it.each(['', 'anything', 'not-a-real-password'])(
    'verifyDummy(%j) always answers false',
    async (password) => {
      await expect(hasher().verifyDummy(password)).resolves.toBe(false);
    },
  );

  it('refuses work beyond its queue with SERVICE_OVERLOADED and recovers afterwards', async () => {
    const subject = hasher({ HASH_CONCURRENCY: '1', HASH_QUEUE_LIMIT: '0' });

    const results = await Promise.allSettled(
      Array.from({ length: 5 }, (_, index) => subject.hash(`password-${index}`)),
    );

    const fulfilled = results.filter((result) => result.status === 'fulfilled');
    const rejected = results.filter((result) => result.status === 'rejected');
    expect(fulfilled).toHaveLength(1);
    expect(rejected).toHaveLength(4);
    for (const result of rejected) {
      expect(result.reason).toBeInstanceOf(CommonException);
      expect(result.reason).toMatchObject({ code: 'SERVICE_OVERLOADED', status: 503 });
    }
    await expect(subject.hash('after the flood')).resolves.toMatch(/^bcrypt-sha256\$/);
  });

  it('sheds verifications the same way', async () => {
    const subject = hasher({ HASH_CONCURRENCY: '1', HASH_QUEUE_LIMIT: '0' });
    const stored = await subject.hash('Correct-Horse-1');

    const results = await Promise.allSettled(
      Array.from({ length: 3 }, () => subject.verify('Correct-Horse-1', stored)),
    );

    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    expect(results[1]).toMatchObject({ reason: { code: 'SERVICE_OVERLOADED' } });
  });
});
