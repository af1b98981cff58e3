// The benchmark's world: a database of its own on the configured PostgreSQL, a Redis key
// prefix of its own, the seeded data set, and the processes it measures.
import { spawn } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import bcrypt from 'bcrypt';
import { createSigner } from 'fast-jwt';
import { Redis } from 'ioredis';
import pg from 'pg';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const PASSWORD = 'Bench-Password-123!';
export const JWT_SECRET = createHash('sha512').update('faultmaven-bench').digest('hex');
const ISSUER = 'faultmaven-auth';
const AUDIENCE = 'faultmaven';

export function connectionSettings() {
  return {
    postgres: {
      host: process.env.POSTGRES_HOST ?? '127.0.0.1',
      port: Number(process.env.POSTGRES_PORT ?? 5432),
      user: process.env.POSTGRES_USER ?? 'postgres',
      password: process.env.POSTGRES_PASSWORD,
    },
    redis: {
      host: process.env.REDIS_HOST ?? '127.0.0.1',
      port: Number(process.env.REDIS_PORT ?? 6379),
    },
  };
}

/**
 * The V8 flags the image starts the service with (the Dockerfile's CMD). The benchmark runs
 * the service, and the ceilings beside it, with the same ones.
 */
export function deployedNodeFlags() {
  const cmd = /^CMD (\[.*\])$/m.exec(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
  if (!cmd) throw new Error('no CMD in the Dockerfile');
  return JSON.parse(cmd[1]).filter((arg) => arg.startsWith('--'));
}

/** `--set NAME=value` options as an environment object. */
export function settingsFrom(pairs = []) {
  return Object.fromEntries(
    pairs.map((pair) => {
      const at = pair.indexOf('=');
      if (at < 1) throw new Error(`--set wants NAME=value, not ${pair}`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}

/** A free loopback port. */
export async function freePort() {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  return port;
}

export async function createDatabase(settings, name) {
  const admin = new pg.Client({ ...settings.postgres, database: 'postgres' });
  await admin.connect().catch((error) => {
    throw new Error(
      `PostgreSQL at ${settings.postgres.host}:${settings.postgres.port} does not answer ` +
        `(${error.message}); the benchmark needs a real server (POSTGRES_HOST, POSTGRES_PORT, ` +
        'POSTGRES_USER, POSTGRES_PASSWORD).',
    );
  });
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
}

export async function dropDatabase(settings, name) {
  const admin = new pg.Client({ ...settings.postgres, database: 'postgres' });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.end();
}

/**
 * The service's environment for the benchmark: real servers, limits out of the way, and the
 * caller's `--set NAME=value` settings last.
 */
export function serviceEnvironment(settings, database, prefix, port, bcryptRounds, extra = {}) {
  return {
    PATH: process.env.PATH ?? '',
    // Files the service keeps (encryption keys, mail without SMTP) go to the run's own folder,
    // not the checkout's .data/, which a later `npm start` would pick up.
    DATA_DIR: runFolder(database),
    ENVIRONMENT: 'staging',
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'info',
    LOG_FORMAT: 'json',
    POSTGRES_HOST: settings.postgres.host,
    POSTGRES_PORT: String(settings.postgres.port),
    POSTGRES_USER: settings.postgres.user,
    ...(settings.postgres.password ? { POSTGRES_PASSWORD: settings.postgres.password } : {}),
    POSTGRES_DB: database,
    REDIS_HOST: settings.redis.host,
    REDIS_PORT: String(settings.redis.port),
    REDIS_KEY_PREFIX: prefix,
    JWT_SECRET_KEY: JWT_SECRET,
    CORS_ORIGINS: 'http://localhost',
    BCRYPT_ROUNDS: String(bcryptRounds),
    ADMIN_EMAIL: 'bench-admin@example.com',
    ADMIN_PASSWORD: PASSWORD,
    // The benchmark measures capacity, not the abuse limits, which would refuse it at once.
    RATE_LIMIT_AUTH_PER_MINUTE: '1000000',
    RATE_LIMIT_LOGIN_PER_ACCOUNT_PER_MINUTE: '1000000',
    MAX_LOGIN_ATTEMPTS: '1000000',
    ...extra,
  };
}

/** The temporary folder of one run, named after its database; the run removes it. */
export function runFolder(database) {
  return join(tmpdir(), database);
}

export async function migrate(env) {
  const child = spawn(
    process.execPath,
    [join(ROOT, 'dist/apps/cli/src/main.js'), 'migration:run'],
    {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const [code] = await once(child, 'close');
  if (code !== 0) throw new Error(`migration:run failed:\n${stderr}`);
}

/**
 * Seeds `users` users across `organizations` organizations, the first of which holds
 * `largeOrganization` members (user 0 is its owner), all with one password hashed at the
 * configured cost. The first `sessions` users get a live session with a refresh token each.
 */
export async function seed(settings, database, options) {
  const client = new pg.Client({ ...settings.postgres, database });
  await client.connect();
  const hash = `bcrypt-sha256$${await bcrypt.hash(prehash(PASSWORD), options.bcryptRounds)}`;
  const perOrganization = Math.ceil(
    (options.users - options.largeOrganization) / (options.organizations - 1),
  );
  await client.query('BEGIN');
  const organizations = [];
  for (let index = 0; index < options.organizations; index++) {
    const { rows } = await client.query(
      `INSERT INTO organizations (name, slug, plan) VALUES ($1, $2, 'enterprise') RETURNING id`,
      [`Bench Organization ${index}`, `bench-${index}`],
    );
    organizations.push(rows[0].id);
  }
  await client.query(
    `INSERT INTO users (email, email_verified_at, password_hash, first_name, last_name)
     SELECT 'user' || n || '@bench.example.com', now(), $1, 'First' || n, 'Last' || n
       FROM generate_series(0, $2::int - 1) AS n`,
    [hash, options.users],
  );
  // User n joins organization 0 when n < largeOrganization, else one of the others in turn.
  await client.query(
    `INSERT INTO memberships (user_id, organization_id, roles)
     SELECT u.id,
            ($1::uuid[])[CASE WHEN n < $2 THEN 1 ELSE 2 + (n - $2) / $3 END],
            CASE WHEN n = 0 THEN '{owner}'::text[] ELSE '{member}'::text[] END
       FROM users u,
            LATERAL (SELECT substring(u.email from '^user([0-9]+)@')::int AS n) numbered
      WHERE u.email LIKE '%@bench.example.com'`,
    [organizations, options.largeOrganization, perOrganization],
  );
  const { rows: sessions } = await client.query(
    `INSERT INTO sessions (user_id, organization_id, expires_at, ip_address, user_agent)
     SELECT m.user_id, m.organization_id, now() + interval '7 days', '127.0.0.1', 'bench'
       FROM memberships m JOIN users u ON u.id = m.user_id
      WHERE substring(u.email from '^user([0-9]+)@')::int < $1
     RETURNING id, user_id, organization_id`,
    [options.sessions],
  );
  const tokens = sessions.map(() => randomBytes(32).toString('base64url'));
  await client.query(
    `INSERT INTO refresh_tokens (session_id, token_hash, expires_at)
     SELECT session_id, token_hash, now() + interval '7 days'
       FROM unnest($1::uuid[], $2::text[]) AS t(session_id, token_hash)`,
    [sessions.map((row) => row.id), tokens.map((token) => sha256(token))],
  );
  const { rows: owner } = await client.query(
    `SELECT m.user_id, s.id AS session_id FROM memberships m
       JOIN users u ON u.id = m.user_id
       JOIN sessions s ON s.user_id = m.user_id
      WHERE u.email = 'user0@bench.example.com'`,
  );
  await client.query('COMMIT');
  // A database that grew to this size has statistics, kept by autovacuum; one loaded in a
  // single transaction has none until autovacuum comes by, and the planner would guess.
  await client.query('ANALYZE');
  await client.end();

  return {
    hash,
    organizations,
    owner: {
      userId: owner[0].user_id,
      sessionId: owner[0].session_id,
      organizationId: organizations[0],
      roles: ['owner'],
    },
    sessions: sessions.map((row, index) => ({
      userId: row.user_id,
      organizationId: row.organization_id,
      sessionId: row.id,
      roles: row.user_id === owner[0].user_id ? ['owner'] : ['member'],
      refreshToken: tokens[index],
    })),
  };
}

const sign = createSigner({ key: JWT_SECRET, algorithm: 'HS256', expiresIn: 60 * 60 * 1000 });

/** An access token as the service issues one, for a seeded session. */
export function accessToken(session) {
  return sign({
    sub: session.userId,
    org_id: session.organizationId,
    sid: session.sessionId,
    jti: randomUUID(),
    type: 'access',
    roles: session.roles,
    iss: ISSUER,
    aud: AUDIENCE,
  });
}

export function sha256(text) {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function prehash(password) {
  return createHash('sha256').update(password, 'utf8').digest('base64');
}

/**
 * Starts a Node.js program and waits until `url` answers 200. Its output is thrown away, as a
 * log shipper would take it; stderr is kept for the error message if it dies.
 */
export async function startProcess(name, args, env, url) {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  let exited = false;
  child.once('exit', () => (exited = true));
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${name} exited during start-up:\n${stderr}`);
    const ok = await fetch(url).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return { name, child, pid: child.pid };
    await new Promise((done) => setTimeout(done, 200));
  }
  child.kill('SIGKILL');
  throw new Error(`${name} did not answer ${url} within 60 s:\n${stderr}`);
}

export async function stopProcess(processInfo) {
  if (processInfo.child.exitCode !== null) return;
  processInfo.child.kill('SIGTERM');
  const timer = setTimeout(() => processInfo.child.kill('SIGKILL'), 15_000);
  await once(processInfo.child, 'exit');
  clearTimeout(timer);
}

/**
 * Resident set size of a process, in bytes, from /proc (Linux): now, or with `peak` the most
 * it has held since it started (VmHWM).
 */
export function residentBytes(pid, { peak = false } = {}) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = (peak ? /^VmHWM:\s+(\d+) kB/m : /^VmRSS:\s+(\d+) kB/m).exec(status);
  return match ? Number(match[1]) * 1024 : null;
}

/** Deletes every key of one run's Redis prefix. */
export async function clearRedisPrefix(settings, prefix) {
  const redis = new Redis({
    host: settings.redis.host,
    port: settings.redis.port,
    lazyConnect: true,
  });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
