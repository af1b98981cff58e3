import { SetMetadata } from '@nestjs/common';
import type { AppConfig } from '@app/config';

export const RATE_LIMIT_KEY = 'rateLimit';

/**
 * The named per-IP limits a route can opt into. `auth`: every route that takes or checks a
 * credential (login, register, refresh, password reset, MFA verification, SSO exchange); they
 * share one budget per client, so spreading guesses over routes gains nothing.
 */
export const RATE_LIMIT_POLICIES = {
  auth: (config: AppConfig) => ({ limit: config.rateLimits.authPerMinute, windowSeconds: 60 }),
} satisfies Record<string, (config: AppConfig) => { limit: number; windowSeconds: number }>;

export type RateLimitPolicy = keyof typeof RATE_LIMIT_POLICIES;

/**
 * Limits the route per client IP (IPv6: per /64) under the named policy, counted in the shared
 * store. Past the limit: 429 RATE_LIMITED with `Retry-After`; every answer of the route carries
 * the `RateLimit-*` headers. Independent of the access policy decorator the route also needs.
 */
export const RateLimit = (policy: RateLimitPolicy): MethodDecorator & ClassDecorator =>
  SetMetadata(RATE_LIMIT_KEY, policy);
