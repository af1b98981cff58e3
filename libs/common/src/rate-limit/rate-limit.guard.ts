import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { APP_CONFIG, AppConfig } from '@app/config';
import { Metrics } from '@app/observability';
import { clientKey } from './client-ip';
import { RATE_LIMIT_KEY, RATE_LIMIT_POLICIES, RateLimitPolicy } from './rate-limit.decorator';
import { RateLimitedException, RateLimiter, setRateLimitHeaders } from './rate-limiter';

/**
 * Enforces `@RateLimit(...)`. Runs as a guard, before validation, so malformed requests count
 * too. The client is `req.ip`: Express derives it from `X-Forwarded-For` only for the hops that
 * `TRUST_PROXY` trusts, so a forged header cannot move a client to a fresh counter.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly limiter: RateLimiter,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: Metrics,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const policy = this.reflector.getAllAndOverride<RateLimitPolicy | undefined>(RATE_LIMIT_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!policy) return true;

    const http = context.switchToHttp();
    const request = http.getRequest<Request>();
    const { limit, windowSeconds } = RATE_LIMIT_POLICIES[policy](this.config);
    const state = await this.limiter.consume(
      `${policy}:ip:${clientKey(request.ip)}`,
      limit,
      windowSeconds,
    );
    setRateLimitHeaders(http.getResponse<Response>(), state);
    if (!state.allowed) {
      this.metrics.rateLimited(policy);
      throw new RateLimitedException(state);
    }

    return true;
  }
}
