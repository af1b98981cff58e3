import { uniqueSuffix } from './factories';

/**
 * Rate limits and lockout at the service's own production defaults. An empty value counts as
 * unset, so these override test-env.ts's generous test values with whatever the service would
 * use in production (30 a minute per IP, 10 a minute per account, lockout after 5 failures
 * in 15 minutes for 30 minutes).
 */
export const PRODUCTION_LIMITS: Record<string, string> = {
  RATE_LIMIT_AUTH_PER_MINUTE: '',
  RATE_LIMIT_LOGIN_PER_ACCOUNT_PER_MINUTE: '',
  MAX_LOGIN_ATTEMPTS: '',
  LOGIN_ATTEMPT_WINDOW_MINUTES: '',
  ACCOUNT_LOCKOUT_DURATION_MINUTES: '',
};

/**
 * A Redis key prefix of this app's own, inside the run's prefix (so teardown still deletes it):
 * with real Redis, every test file of a run signs in from 127.0.0.1 and would otherwise share
 * one per-IP counter. Pass the same value to apps that must share counters. Empty without
 * REDIS_HOST: each app then has its own in-memory store anyway.
 */
export function isolatedStore(): Record<string, string> {
  if (!process.env.REDIS_HOST) return {};

  return {
    REDIS_KEY_PREFIX: `${process.env.REDIS_KEY_PREFIX ?? 'fm-auth-test:'}${uniqueSuffix()}:`,
  };
}
