import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { AppConfig } from '@app/config';

export const JWT_SIGNING_KEY = Symbol('JWT_SIGNING_KEY');

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
