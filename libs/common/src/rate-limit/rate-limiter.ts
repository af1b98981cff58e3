import { Inject, Injectable } from '@nestjs/common';
import type { Response } from 'express';
import { KEY_VALUE_STORE, KeyValueStore } from '@app/cache';
import { COMMON_ERRORS, DomainException } from '../domain.exception';

/** Where one client stands in one limit after a request was counted. */
export interface RateLimitState {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the window ends and the count starts again; at least 1. */
  resetSeconds: number;
}

/** A 429 RATE_LIMITED that knows when the client may try again. */
export class RateLimitedException extends DomainException {
  constructor(readonly state: RateLimitState) {
    super('RATE_LIMITED', COMMON_ERRORS.RATE_LIMITED);
    this.rateLimit = state;
  }
}

/**
 * Counts requests in the shared store, so every instance enforces one limit. Fixed windows that
 * start at a key's first request and last `windowSeconds`: one atomic INCR-with-expiry per
 * request, and an exact `Retry-After`. The price of fixed windows is that a client can spend a
 * full limit at the end of one window and another at the start of the next. A store failure
 * propagates (503 STORE_UNAVAILABLE): an unenforceable limit is refused, never skipped.
 */
@Injectable()
export class RateLimiter {
  constructor(@Inject(KEY_VALUE_STORE) private readonly store: KeyValueStore) {}

  async consume(key: string, limit: number, windowSeconds: number): Promise<RateLimitState> {
    const { count, remainingMs } = await this.store.incrementInWindow(
      `ratelimit:${key}`,
      windowSeconds,
    );

    return {
      allowed: count <= limit,
      limit,
      remaining: Math.max(0, limit - count),
      resetSeconds: Math.max(1, Math.ceil(remainingMs / 1000)),
    };
  }

  /** Counts the request and throws RATE_LIMITED past the limit. */
  async enforce(key: string, limit: number, windowSeconds: number): Promise<RateLimitState> {
    const state = await this.consume(key, limit, windowSeconds);
    if (!state.allowed) throw new RateLimitedException(state);

    return state;
  }
}

/** The IETF draft's `RateLimit-*` fields (draft-ietf-httpapi-ratelimit-headers), in seconds. */
export function setRateLimitHeaders(response: Response, state: RateLimitState): void {
  response.setHeader('RateLimit-Limit', String(state.limit));
  response.setHeader('RateLimit-Remaining', String(state.remaining));
  response.setHeader('RateLimit-Reset', String(state.resetSeconds));
}

/** Response headers a browser client may read across origins. */
export const RATE_LIMIT_HEADERS = ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset'];
