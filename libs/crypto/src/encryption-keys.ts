import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { AppConfig, EncryptionKey, parseEncryptionKeys } from '@app/config';

/**
 * The keys for secrets at rest: ENCRYPTION_KEYS when set (always in production, which refuses
 * to start without it). Elsewhere one key is generated once and kept under DATA_DIR, so
 * encrypted secrets survive a restart of a development instance; with DATA_DIR=memory the
 * database is gone at exit too, so a throwaway key is enough.
 */
export function resolveEncryptionKeys(config: AppConfig): EncryptionKey[] {
  if (config.encryptionKeys) return config.encryptionKeys;
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
