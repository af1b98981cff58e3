import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { createSigner } from 'fast-jwt';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { problemType } from '@app/common';
import { AppConfig } from '@app/config';
import { Organization } from '@app/organizations';

export const API = '/api/v1/enterprise';
export const GUIDE_PASSWORD = 'Test123!@#';

export function uniqueSuffix(): string {
  return randomBytes(5).toString('hex');
}

/** A domain no other test file uses, so rows can be counted per file on a shared database. */
export function uniqueDomain(label = 'test'): string {
  return `${label}-${uniqueSuffix()}.example.com`;
}

export function uniqueEmail(label = 'user', domain = 'example.com'): string {
  return `${label}-${uniqueSuffix()}@${domain}`;
}

/** Inserts an organization directly; each call makes a new one unless a slug is given. */
export async function createOrganization(
  dataSource: DataSource,
  overrides: Partial<Organization> = {},
): Promise<Organization> {
  const repository = dataSource.getRepository(Organization);
  const suffix = uniqueSuffix();

  return repository.save(
    repository.create({
      name: `Org ${suffix}`,
      slug: `org-${suffix}`,
      plan: 'enterprise',
      ...overrides,
    }),
  );
}

export interface RegisteredUser {
  email: string;
  password: string;
  userId: string;
  organizationId: string;
}

export async function registerUser(
  server: Server,
  organizationId: string,
  overrides: Partial<{
    email: string;
    password: string;
    first_name: string;
    last_name: string;
  }> = {},
): Promise<RegisteredUser> {
  const body = {
    email: uniqueEmail(),
    password: GUIDE_PASSWORD,
    first_name: 'Test',
    last_name: 'User',
    organization_id: organizationId,
    ...overrides,
  };
  const response = await request(server).post(`${API}/auth/register`).send(body).expect(201);

  return {
    email: body.email,
    password: body.password,
    userId: response.body.id,
    organizationId,
  };
}

export interface Tokens {
  access_token: string;
  refresh_token: string;
}

export async function login(
  server: Server,
  user: { email: string; password: string },
): Promise<Tokens> {
  const response = await request(server)
    .post(`${API}/auth/login`)
    .send({ email: user.email, password: user.password })
    .expect(200);

  return response.body as Tokens;
}

/** Rows a refused request must not have touched, within one scope (see countRows). */
export interface RowCounts {
  users: number;
  signed_in_users: number;
  memberships: number;
  sessions: number;
  revoked_sessions: number;
  refresh_tokens: number;
  used_refresh_tokens: number;
}

/**
 * The rows of a test file: its organizations and the users whose email ends with one of its
 * domains (subdomains included). Counting only these keeps the counts exact while other test
 * files write to the same PostgreSQL database.
 */
export interface RowScope {
  organizationIds: string[];
  emailDomains: string[];
}

export async function countRows(dataSource: DataSource, scope: RowScope): Promise<RowCounts> {
  const [counts] = await dataSource.query<RowCounts[]>(
    `WITH scoped_users AS (
       SELECT id, last_login_at FROM users WHERE email LIKE ANY ($2::text[])
     ),
     scoped_sessions AS (
       SELECT id, revoked_at FROM sessions
       WHERE organization_id = ANY ($1::uuid[]) OR user_id IN (SELECT id FROM scoped_users)
     ),
     scoped_refresh_tokens AS (
       SELECT used_at FROM refresh_tokens
       WHERE session_id IN (SELECT id FROM scoped_sessions)
     )
     SELECT
       (SELECT count(*) FROM scoped_users)::int AS users,
       (SELECT count(*) FROM scoped_users WHERE last_login_at IS NOT NULL)::int
         AS signed_in_users,
       (SELECT count(*) FROM memberships
        WHERE organization_id = ANY ($1::uuid[])
           OR user_id IN (SELECT id FROM scoped_users))::int AS memberships,
       (SELECT count(*) FROM scoped_sessions)::int AS sessions,
       (SELECT count(*) FROM scoped_sessions WHERE revoked_at IS NOT NULL)::int
         AS revoked_sessions,
       (SELECT count(*) FROM scoped_refresh_tokens)::int AS refresh_tokens,
       (SELECT count(*) FROM scoped_refresh_tokens WHERE used_at IS NOT NULL)::int
         AS used_refresh_tokens`,
    [scope.organizationIds, scope.emailDomains.map((domain) => `%${domain}`)],
  );

  return counts;
}

/** Runs `action` and asserts it left every row of the scope as it was. */
export async function expectNoRowChanges<T>(
  dataSource: DataSource,
  scope: RowScope,
  action: () => Promise<T>,
): Promise<T> {
  const before = await countRows(dataSource, scope);
  const result = await action();
  expect(await countRows(dataSource, scope)).toEqual(before);

  return result;
}

const PROBLEM_KEYS = ['type', 'title', 'status', 'detail', 'code', 'request_id', 'errors'];

/** Text that would show a stack trace, a file path or a library's own error message. */
const LEAKS = [
  /\bat \S+ \(/,
  /\.[jt]s:\d+/,
  /node_modules|\/libs\/|\/apps\//,
  /stack/i,
  /\b(Type|Range|Syntax|Reference|QueryFailed|Entity\w*)Error\b/,
  /typeorm|class-validator|class-transformer|body-parser|express|nestjs|ioredis|fast-jwt/i,
  /Unexpected (token|end)|JSON\.parse|in JSON at position/,
  /violates|duplicate key|relation "|column "|SQLSTATE|ECONN|EPIPE/i,
];

/**
 * Asserts the one error body of the API: RFC 9457 problem details with `code` and
 * `request_id`, served as application/problem+json, whose request id is the X-Request-ID
 * header, and that carries no stack, path or library text. Returns the body.
 */
export function expectProblem(
  response: request.Response,
  status: number,
  code: string,
): Record<string, unknown> & { errors?: Array<{ field: string; message: string }> } {
  const body = response.body;
  expect({ status: response.status, code: body?.code }).toEqual({ status, code });
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json\b/);
  expect(body).toMatchObject({ type: problemType(code), status, code });
  expect(typeof body.title).toBe('string');
  expect(body.title.length).toBeGreaterThan(0);
  expect(typeof body.request_id).toBe('string');
  expect(body.request_id.length).toBeGreaterThan(0);
  expect(response.headers['x-request-id']).toBe(body.request_id);
  expect(PROBLEM_KEYS).toEqual(expect.arrayContaining(Object.keys(body)));
  // RFC 9457 makes `detail` optional; this API always says what went wrong in a sentence.
  expect(typeof body.detail).toBe('string');
  expect(body.detail.length).toBeGreaterThan(0);
  if (body.errors !== undefined) {
    expect(Array.isArray(body.errors)).toBe(true);
    for (const error of body.errors) {
      expect(Object.keys(error).sort()).toEqual(['field', 'message']);
      expect(typeof error.field).toBe('string');
      expect(typeof error.message).toBe('string');
    }
  }
  for (const leak of LEAKS) expect(response.text).not.toMatch(leak);

  return body;
}

/** The fields named in a problem's `errors[]`, without repeats. */
export function erroredFields(body: { errors?: Array<{ field: string }> }): string[] {
  return [...new Set((body.errors ?? []).map((error) => error.field))].sort();
}

export interface AccessTokenClaims {
  sub: string;
  org_id: string;
  sid: string;
  jti: string;
  type: string;
  roles: string[];
  iss: string;
  aud: string;
}

/**
 * Signs an access token the way the service does (HS256 with its key, issuer and audience),
 * with any claim or signing option replaced, so each refusal test changes exactly one thing.
 * `claims` values of `undefined` drop the claim.
 */
export function signAccessToken(
  config: AppConfig,
  claims: Partial<Record<keyof AccessTokenClaims, unknown>> & Record<string, unknown>,
  options: {
    key?: string;
    algorithm?: 'HS256' | 'HS384' | 'HS512';
    /** When the token was issued, in milliseconds since the epoch. */
    clockTimestamp?: number;
    /** Lifetime in milliseconds; 0 issues a token without `exp`. */
    expiresIn?: number;
  } = {},
): string {
  const key = options.key ?? config.jwt.secret;
  if (!key) throw new Error('Start the app with JWT_SECRET_KEY to sign tokens in a test');
  const sign = createSigner({
    key,
    algorithm: options.algorithm ?? 'HS256',
    expiresIn: options.expiresIn ?? config.jwt.accessTokenTtlSeconds * 1000,
    clockTimestamp: options.clockTimestamp,
  });
  const payload: Record<string, unknown> = {
    type: 'access',
    roles: ['member'],
    iss: config.jwt.issuer,
    aud: config.jwt.audience,
    ...claims,
  };
  for (const [name, value] of Object.entries(payload)) {
    if (value === undefined) delete payload[name];
  }

  return sign(payload);
}

/** An unsigned token (`alg: none`) with the given claims. */
export function unsignedToken(claims: Record<string, unknown>): string {
  const now = Math.floor(Date.now() / 1000);
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

  return `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ iat: now, exp: now + 900, ...claims })}.`;
}

/** Polls `check` until it returns true or `timeoutMs` passes; returns the last answer. */
export async function eventually(
  check: () => Promise<boolean>,
  timeoutMs: number,
  intervalMs = 100,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
