import { createHash, hkdfSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { AppConfig, EncryptionKey, parseEncryptionKeys } from '@app/config';

/**
 * The keys for secrets at rest: ENCRYPTION_KEYS when set. In production without it (the
 * deployment guide sets only JWT_SECRET_KEY), keys are derived from the HS256 secrets; a key
 * pair algorithm refuses to start without ENCRYPTION_KEYS. Elsewhere one key is generated once
 * and kept under DATA_DIR, so encrypted secrets survive a restart of a development instance;
 * with DATA_DIR=memory the database is gone at exit too, so a throwaway key is enough.
 */
export function resolveEncryptionKeys(config: AppConfig): EncryptionKey[] {
  if (config.encryptionKeys) return config.encryptionKeys;
  if (config.environment === 'production' && config.jwt.secret) {
    new Logger('EncryptionKeys').warn(
      'ENCRYPTION_KEYS is not set: secrets at rest use a key derived from JWT_SECRET_KEY, so ' +
        'rotating that key also needs `npm run keys:rotate-encryption`; set ENCRYPTION_KEYS ' +
        'to rotate them apart',
    );

    return [config.jwt.secret, config.jwt.previousSecret]
      .filter((secret): secret is string => secret !== undefined)
      .map(derivedKey);
  }
  if (config.dataDir === 'memory') return [{ id: 'dev', key: randomBytes(32) }];

  const path = join(config.dataDir, 'encryption-keys');
  if (!existsSync(path)) {
    mkdirSync(config.dataDir, { recursive: true });
    writeFileSync(path, `dev:${randomBytes(32).toString('base64')}`, { mode: 0o600 });
    new Logger('EncryptionKeys').warn(
      `ENCRYPTION_KEYS is not set: generated a development key in ${path}`,
    );
  }
  const { keys, problems } = parseEncryptionKeys(readFileSync(path, 'utf8').trim());
  if (problems.length > 0) throw new Error(`${path} is not a valid key file: ${problems[0]}`);

  return keys;
}

/**
 * A key for secrets at rest derived from an HS256 secret with HKDF-SHA256. Its id names the
 * derived key by a digest, so after a JWT key rotation the previous secret's key still
 * decrypts what it encrypted.
 */
export function derivedKey(secret: string): EncryptionKey {
  const key = Buffer.from(
    hkdfSync('sha256', secret, 'faultmaven-auth', 'secrets at rest, AES-256-GCM', 32),
  );
  const digest = createHash('sha256').update(key).digest('hex').slice(0, 12);

  return { id: `jwt-${digest}`, key };
}
