import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunningApp, buildIfStale, startBuiltApp } from '../../support/built-app';
import { POSTGRES_BIN, PostgresServer } from '../../support/postgres-server';
import {
  REDIS_SERVER,
  RedisServer,
  freePort,
  startRedisServer,
  withAdmin,
} from '../../support/redis-servers';

export const API = '/api/v1/enterprise';
export const PASSWORD = 'Test123!@#';

/**
 * These tests stop, restart and kill a PostgreSQL and a Redis of their own, so they need the
 * server binaries. Without them a developer's run skips with a note; CI (which sets CI and
 * installs both) fails instead.
 */
export function describeResilience(name: string, body: () => void): void {
  const missing = [
    POSTGRES_BIN ? undefined : 'PostgreSQL server binaries under /usr/lib/postgresql',
    existsSync(REDIS_SERVER) ? undefined : REDIS_SERVER,
  ].filter((what): what is string => what !== undefined);
  if (missing.length === 0) {
    describe(name, body);
    return;
  }
  if (process.env.CI) {
    describe(name, () => {
      it('needs the PostgreSQL and Redis server binaries', () => {
        throw new Error(
          `Missing ${missing.join(' and ')}: apt-get install postgresql redis-server`,
        );
      });
    });
    return;
  }
  process.stderr.write(`Skipping "${name}": missing ${missing.join(' and ')}.\n`);
  describe.skip(name, body);
}

/**
 * A redis-server of the test's own on a fixed port and folder. `shutdown` saves and stops it
 * (`SHUTDOWN SAVE`, as a clean restart of a persistent Redis does); `restart` starts it again
 * on the same port with the saved data, so revocations written before the outage survive it.
 */
export class PrivateRedis {
  private constructor(
    readonly port: number,
    private readonly dataDir: string,
    private server: RedisServer | undefined,
  ) {}

  static async start(): Promise<PrivateRedis> {
    const port = await freePort();
    const dataDir = await mkdtemp(join(tmpdir(), 'fm-resilience-redis-'));
    const redis = new PrivateRedis(port, dataDir, undefined);
    await redis.restart();

    return redis;
  }

  async shutdown(): Promise<void> {
    // The server closes the connection instead of answering once it has saved.
    await withAdmin({ port: this.port }, (admin) => admin.call('SHUTDOWN', 'SAVE')).catch(
      () => undefined,
    );
    await this.server?.stop();
    this.server = undefined;
  }

  async restart(): Promise<void> {
    this.server = await startRedisServer(this.port, [
      '--port',
      String(this.port),
      '--dir',
      this.dataDir,
    ]);
  }

  async stop(): Promise<void> {
    await this.server?.stop();
    await rm(this.dataDir, { recursive: true, force: true });
  }
}

/**
 * One PostgreSQL, one Redis, and any number of instances of the built service sharing them
 * with the same JWT and encryption keys and Redis key prefix, as in a deployment behind a load
 * balancer.
 */
export class Deployment {
  private readonly apps: RunningApp[] = [];

  private constructor(
    readonly postgres: PostgresServer,
    readonly redis: PrivateRedis,
    private readonly workDir: string,
    private readonly baseEnv: Record<string, string>,
  ) {}

  static async start(env: Record<string, string> = {}): Promise<Deployment> {
    await buildIfStale();
    const postgres = await PostgresServer.start({ settings: ['max_connections = 200'] });
    const redis = await PrivateRedis.start();
    const workDir = await mkdtemp(join(tmpdir(), 'fm-resilience-'));
    const baseEnv: Record<string, string> = {
      ENVIRONMENT: 'test',
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
      DATA_DIR: workDir,
      POSTGRES_HOST: '127.0.0.1',
      POSTGRES_PORT: String(postgres.port),
      POSTGRES_USER: 'postgres',
      POSTGRES_DB: 'postgres',
      POSTGRES_CONNECT_TIMEOUT_MS: '1000',
      REDIS_HOST: '127.0.0.1',
      REDIS_PORT: String(redis.port),
      REDIS_KEY_PREFIX: 'fm-resilience:',
      JWT_SECRET_KEY: randomBytes(48).toString('base64url'),
      ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      BCRYPT_ROUNDS: '4',
      SEED_ON_START: 'false',
      RATE_LIMIT_AUTH_PER_MINUTE: '1000000',
      RATE_LIMIT_LOGIN_PER_ACCOUNT_PER_MINUTE: '1000000',
      MAX_LOGIN_ATTEMPTS: '1000000',
      ...env,
    };

    return new Deployment(postgres, redis, workDir, baseEnv);
  }

  /** Starts one more instance of the built service (the first one migrates the database). */
  async startInstance(env: Record<string, string> = {}): Promise<RunningApp> {
    const app = await startBuiltApp({ ...this.baseEnv, ...env }, this.workDir);
    this.apps.push(app);

    return app;
  }

  async sql<T = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
    return this.postgres.withClient(async (client) => (await client.query(text, params)).rows);
  }

  async createOrganization(): Promise<string> {
    const suffix = randomBytes(5).toString('hex');
    const [row] = await this.sql<{ id: string }>(
      `INSERT INTO organizations (name, slug, plan) VALUES ($1, $2, 'enterprise') RETURNING id`,
      [`Org ${suffix}`, `org-${suffix}`],
    );

    return row.id;
  }

  async setRoles(userId: string, organizationId: string, roles: string[]): Promise<void> {
    await this.sql(
      'UPDATE memberships SET roles = $1 WHERE user_id = $2 AND organization_id = $3',
      [roles, userId, organizationId],
    );
  }

  async close(): Promise<void> {
    for (const app of this.apps) app.stop();
    await Promise.all(this.apps.map((app) => app.exited));
    await this.redis.stop();
    await this.postgres.stop();
    await rm(this.workDir, { recursive: true, force: true });
  }
}

export interface Reply {
  status: number;
  /** The parsed JSON body, or undefined. */
  body: Record<string, unknown> | undefined;
  contentType: string;
  ms: number;
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** The client gives up after this long; the tests' bound on a hang. */
  timeoutMs?: number;
}

/** One HTTP request; rejects only when no response came (refused, reset, timed out). */
export async function call(
  baseUrl: string,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<Reply> {
  const started = Date.now();
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: {
      ...(options.body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...(options.token ? { Authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
  });
  const text = await response.text();
  let body: Record<string, unknown> | undefined;
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
  } catch {
    body = undefined;
  }

  return {
    status: response.status,
    body,
    contentType: response.headers.get('content-type') ?? '',
    ms: Date.now() - started,
  };
}

export interface User {
  email: string;
  password: string;
  userId: string;
  organizationId: string;
}

export interface Tokens {
  access_token: string;
  refresh_token: string;
}

export function uniqueEmail(label = 'user'): string {
  return `${label}-${randomBytes(5).toString('hex')}@resilience.example.com`;
}

export async function register(
  baseUrl: string,
  organizationId: string,
  extra: Record<string, unknown> = {},
): Promise<User> {
  const email = uniqueEmail();
  const reply = await call(baseUrl, 'POST', `${API}/auth/register`, {
    body: {
      email,
      password: PASSWORD,
      first_name: 'Test',
      last_name: 'User',
      organization_id: organizationId,
      ...extra,
    },
  });
  if (reply.status !== 201) throw new Error(`register answered ${reply.status}`);

  return { email, password: PASSWORD, userId: String(reply.body?.id), organizationId };
}

export async function login(baseUrl: string, user: User): Promise<Tokens> {
  const reply = await call(baseUrl, 'POST', `${API}/auth/login`, {
    body: { email: user.email, password: user.password },
  });
  if (reply.status !== 200) throw new Error(`login answered ${reply.status}`);

  return reply.body as unknown as Tokens;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Retries `check` every 250 ms until it holds, for at most `timeoutMs`; returns the time taken. */
export async function within(
  what: string,
  timeoutMs: number,
  check: () => Promise<boolean>,
): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check().catch(() => false)) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(250);
  }
}

export interface Outcome {
  /** What was asked, e.g. `me`, `refresh`. */
  kind: string;
  /** The HTTP status, or 0 when no response came. */
  status: number;
  code?: string;
  contentType: string;
  ms: number;
  /** When it was sent, ms since the epoch. */
  at: number;
  /** Why no response came (a connection reset, refusal or timeout). */
  error?: string;
}

/** Runs a request as a load step would, turning every result into an Outcome. */
export async function attempt(kind: string, send: () => Promise<Reply>): Promise<Outcome> {
  const at = Date.now();
  try {
    const reply = await send();
    const code = typeof reply.body?.code === 'string' ? reply.body.code : undefined;

    return { kind, status: reply.status, code, contentType: reply.contentType, ms: reply.ms, at };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;

    return {
      kind,
      status: 0,
      contentType: '',
      ms: Date.now() - at,
      at,
      error: cause?.code ?? cause?.message ?? (error as Error).name,
    };
  }
}

export interface Load {
  readonly outcomes: Outcome[];
  stop(): Promise<void>;
}

/** `workers` loops, each running `step` again as soon as it finishes, until `stop`. */
export function startLoad(workers: number, step: (worker: number) => Promise<Outcome[]>): Load {
  const outcomes: Outcome[] = [];
  let running = true;
  const loops = Array.from({ length: workers }, async (_, worker) => {
    while (running) {
      outcomes.push(...(await step(worker)));
      // A worker whose requests fail at once must not spin the CPU the service needs.
      await sleep(20);
    }
  });

  return {
    outcomes,
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}

/** Counts outcomes by `kind status code`, for failure messages that show the whole picture. */
export function tally(outcomes: Outcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const outcome of outcomes) {
    const key = `${outcome.kind} ${outcome.status}${outcome.code ? ` ${outcome.code}` : ''}${
      outcome.error ? ` ${outcome.error}` : ''
    }`;
    counts[key] = (counts[key] ?? 0) + 1;
  }

  return counts;
}
