/**
 * Defaults for every test process: quiet logs, cheap hashing, no seeding. Values set by the
 * caller (CI's POSTGRES_HOST, REDIS_HOST, ...) are kept.
 */
const defaults: Record<string, string> = {
  ENVIRONMENT: 'test',
  LOG_LEVEL: 'silent',
  LOG_FORMAT: 'json',
  BCRYPT_ROUNDS: '4',
  SEED_ON_START: 'false',
  DATA_DIR: 'memory',
};
for (const [name, value] of Object.entries(defaults)) {
  process.env[name] ??= value;
}
