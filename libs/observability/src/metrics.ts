import { Injectable } from '@nestjs/common';
import {
  Counter,
  Gauge,
  Histogram,
  Registry,
  collectDefaultMetrics,
  type CollectFunction,
} from 'prom-client';

export const METRICS_PREFIX = 'faultmaven_auth_';
export const METRICS_PATH = '/metrics';

/** The label of every request whose path matched no route: raw paths never become labels. */
export const UNMATCHED_ROUTE = 'unmatched';

export type AuthMethod = 'password' | 'mfa' | 'sso' | 'refresh';
export type AuthOutcome = 'success' | 'failure' | 'denied' | 'locked';
export type TokenType = 'access' | 'refresh';
export type TokenValidationOutcome = 'valid' | 'invalid' | 'revoked';
export type SsoOutcome = 'success' | 'failure';

/**
 * The label values of the counters exported from start, at zero: a series that appears only
 * after its first event makes `rate()` and `increase()` miss that event, and an alert on it
 * see no data rather than 0. The per-IP policies (`RATE_LIMIT_POLICIES`, `@app/common`), the
 * per-account login limit and the per-user limit on wrong MFA codes must be listed here, or
 * the rate-limit guard does not compile.
 */
export const RATE_LIMIT_POLICY_LABELS = ['auth', 'login_account', 'mfa_user'] as const;
export type RateLimitPolicyLabel = (typeof RATE_LIMIT_POLICY_LABELS)[number];
export const SSO_PROTOCOL_LABELS = ['saml', 'oidc'] as const;
export type SsoProtocolLabel = (typeof SSO_PROTOCOL_LABELS)[number];
const SSO_OUTCOMES: readonly SsoOutcome[] = ['success', 'failure'];

/** The pool numbers of one moment; undefined while the pool does not exist (yet). */
export interface PoolSnapshot {
  total: number;
  idle: number;
  waiting: number;
}

/**
 * The service's Prometheus registry. One per application instance, so several apps booted in
 * one process (the tests do) keep separate counts. Every label takes values from a fixed set:
 * route templates, enum members, status codes; never an id, an email or a raw path.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: `${METRICS_PREFIX}http_requests_total`,
    help: 'HTTP requests answered, by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: `${METRICS_PREFIX}http_request_duration_seconds`,
    help: 'Time from request to response, by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly httpInFlight = new Gauge({
    name: `${METRICS_PREFIX}http_requests_in_flight`,
    help: 'HTTP requests being handled now',
    registers: [this.registry],
  });

  private readonly authAttempts = new Counter({
    name: `${METRICS_PREFIX}authentication_attempts_total`,
    help: 'Sign-in and refresh attempts, by method and outcome',
    labelNames: ['method', 'outcome'] as const,
    registers: [this.registry],
  });

  private readonly tokensIssued = new Counter({
    name: `${METRICS_PREFIX}tokens_issued_total`,
    help: 'Tokens issued, by type',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  private readonly tokenValidations = new Counter({
    name: `${METRICS_PREFIX}token_validations_total`,
    help: 'Access tokens checked, by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  private readonly rateLimitRejections = new Counter({
    name: `${METRICS_PREFIX}rate_limit_rejections_total`,
    help: 'Requests refused with 429, by rate-limit policy',
    labelNames: ['policy'] as const,
    registers: [this.registry],
  });

  private readonly lockouts = new Counter({
    name: `${METRICS_PREFIX}account_lockouts_total`,
    help: 'Accounts locked after too many failed sign-ins',
    registers: [this.registry],
  });

  private readonly ssoAttempts = new Counter({
    name: `${METRICS_PREFIX}sso_attempts_total`,
    help: 'Single sign-on logins, by protocol and outcome',
    labelNames: ['protocol', 'outcome'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: METRICS_PREFIX });
    for (const policy of RATE_LIMIT_POLICY_LABELS) this.rateLimitRejections.inc({ policy }, 0);
    for (const protocol of SSO_PROTOCOL_LABELS) {
      for (const outcome of SSO_OUTCOMES) this.ssoAttempts.inc({ protocol, outcome }, 0);
    }
  }

  authAttempt(method: AuthMethod, outcome: AuthOutcome): void {
    this.authAttempts.inc({ method, outcome });
  }

  tokenIssued(type: TokenType): void {
    this.tokensIssued.inc({ type });
  }

  tokenValidated(outcome: TokenValidationOutcome): void {
    this.tokenValidations.inc({ outcome });
  }

  rateLimited(policy: RateLimitPolicyLabel): void {
    this.rateLimitRejections.inc({ policy });
  }

  accountLocked(): void {
    this.lockouts.inc();
  }

  ssoAttempt(protocol: SsoProtocolLabel, outcome: SsoOutcome): void {
    this.ssoAttempts.inc({ protocol, outcome });
  }

  /** Reports the database pool, read at scrape time. */
  observeDatabasePool(read: () => PoolSnapshot | undefined): void {
    const gauge = (name: string, help: string, pick: (pool: PoolSnapshot) => number) =>
      new Gauge({
        name: `${METRICS_PREFIX}db_pool_${name}`,
        help,
        registers: [this.registry],
        collect: scrapeTime(function (this: Gauge) {
          const pool = read();
          if (pool) this.set(pick(pool));
        }),
      });
    gauge('connections_total', 'PostgreSQL connections open in the pool', (pool) => pool.total);
    gauge('connections_idle', 'PostgreSQL connections idle in the pool', (pool) => pool.idle);
    gauge('requests_waiting', 'Queries waiting for a pool connection', (pool) => pool.waiting);
  }

  /** Reports whether the key-value store (Redis) is connected, read at scrape time. */
  observeStoreConnection(isConnected: () => boolean): void {
    new Gauge({
      name: `${METRICS_PREFIX}redis_connected`,
      help: '1 when the key-value store is connected (the in-memory store always is), else 0',
      registers: [this.registry],
      collect: scrapeTime(function (this: Gauge) {
        this.set(isConnected() ? 1 : 0);
      }),
    });
  }

  /** The registry in the Prometheus text format, with its content type. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

function scrapeTime(collect: (this: Gauge) => void): CollectFunction<Gauge> {
  return collect;
}
