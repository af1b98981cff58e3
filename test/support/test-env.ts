/**
 * Defaults for every test process: quiet logs, cheap hashing, no seeding, and rate limits and
 * lockout out of the way (test files sign in many times from one address, and share one Redis
 * prefix); the limits tests set the production values explicitly. Values set by the caller
 * (CI's POSTGRES_HOST, REDIS_HOST, ...) are kept.
 */
const defaults: Record<string, string> = {
  ENVIRONMENT: 'test',
  LOG_LEVEL: 'silent',
  LOG_FORMAT: 'json',
  BCRYPT_ROUNDS: '4',
  SEED_ON_START: 'false',
  DATA_DIR: 'memory',
  RATE_LIMIT_AUTH_PER_MINUTE: '1000000',
  RATE_LIMIT_LOGIN_PER_ACCOUNT_PER_MINUTE: '1000000',
  MAX_LOGIN_ATTEMPTS: '1000000',
};
for (const [name, value] of Object.entries(defaults)) {
  process.env[name] ??= value;
}
