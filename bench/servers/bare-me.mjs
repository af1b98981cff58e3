// The request ceiling: `GET auth/me` done by hand, on bare node:http or bare Express. Same
// work as the service: the same fast-jwt verification (HS256 pinned, issuer, audience,
// required claims, verified-token cache), the same four revocation keys read in one Redis
// MGET, the same SQL statement (captured from the service), and the same JSON body.
//   node bench/servers/bare-me.mjs http|express <port>
// Configuration comes from the service's own variables (JWT_SECRET_KEY, POSTGRES_*, REDIS_*);
// BENCH_ME_SQL names the file holding the statement.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import express from 'express';
import { createVerifier } from 'fast-jwt';
import { Redis } from 'ioredis';
import pg from 'pg';

const [framework, port] = process.argv.slice(2);
const env = process.env;
const ME_SQL = readFileSync(env.BENCH_ME_SQL, 'utf8');

const verify = createVerifier({
  key: env.JWT_SECRET_KEY,
  algorithms: ['HS256'],
  allowedIss: 'faultmaven-auth',
  allowedAud: 'faultmaven',
  requiredClaims: ['sub', 'org_id', 'sid', 'jti', 'type', 'exp', 'iat', 'iss', 'aud'],
  cache: 10_000,
});
const redis = new Redis({
  host: env.REDIS_HOST,
  port: Number(env.REDIS_PORT),
  keyPrefix: env.REDIS_KEY_PREFIX,
});
const pool = new pg.Pool({
  host: env.POSTGRES_HOST,
  port: Number(env.POSTGRES_PORT),
  user: env.POSTGRES_USER,
  password: env.POSTGRES_PASSWORD,
  database: env.POSTGRES_DB,
  max: 10,
});

const unauthorized = JSON.stringify({ status: 401, title: 'Unauthorized' });

/** The profile of a bearer token's user, or undefined when the token does not pass. */
async function me(authorization) {
  const token = authorization?.startsWith('Bearer ') ? authorization.slice(7) : undefined;
  if (!token) return undefined;
  let claims;
  try {
    claims = verify(token);
  } catch {
    return undefined;
  }
  if (claims.type !== 'access') return undefined;
  const revoked = await redis.mget(
    `revoked:{sid:${claims.sid}}:jti:${claims.jti}`,
    `revoked:{sid:${claims.sid}}`,
    `revoked:{org:${claims.org_id}}`,
    `revoked:{org:${claims.org_id}}:member:${claims.sub}`,
  );
  if (revoked.some((value) => value !== null)) return undefined;
  const [user] = (await pool.query(ME_SQL, [claims.sub])).rows;
  if (!user?.is_active) return undefined;
  const current = user.organizations.find((entry) => entry.id === claims.org_id);

  return JSON.stringify({
    id: user.id,
    email: user.email,
    first_name: user.first_name,
    last_name: user.last_name,
    email_verified: user.email_verified,
    is_platform_admin: user.is_platform_admin,
    organization_id: claims.org_id,
    roles: current?.roles ?? [],
    organizations: user.organizations,
    created_at: user.created_at.toISOString(),
    last_login_at: user.last_login_at ? user.last_login_at.toISOString() : null,
  });
}

function reply(response, status, body) {
  response.writeHead(status, {
    'content-type': status === 200 ? 'application/json' : 'application/problem+json',
    'content-length': Buffer.byteLength(body),
  });
  response.end(body);
}

async function handle(authorization, response) {
  try {
    const body = await me(authorization);
    if (body) reply(response, 200, body);
    else reply(response, 401, unauthorized);
  } catch {
    reply(response, 503, JSON.stringify({ status: 503, title: 'Service Unavailable' }));
  }
}

const health = (response) => reply(response, 200, '{"status":"ok"}');

if (framework === 'express') {
  const app = express();
  app.get('/health', (_request, response) => health(response));
  app.get('/api/v1/enterprise/auth/me', (request, response) =>
    handle(request.headers.authorization, response),
  );
  app.listen(Number(port), '127.0.0.1');
} else {
  createServer((request, response) => {
    if (request.url === '/health') return health(response);
    if (request.method === 'GET' && request.url === '/api/v1/enterprise/auth/me') {
      return handle(request.headers.authorization, response);
    }
    reply(response, 404, '{"status":404}');
  }).listen(Number(port), '127.0.0.1');
}
