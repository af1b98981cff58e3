import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import request from 'supertest';
import { API, createOrganization, login, registerUser, uniqueSuffix } from './support/factories';
import { PRODUCTION_LIMITS, isolatedStore } from './support/limits';
import { TestApp, startTestApp } from './support/test-app';

const PREFIX = 'faultmaven_auth_';

/** A port nothing listens on right now, for the separate metrics listener. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** The values a label takes across the exposition, e.g. every `route="..."`. */
function labelValues(exposition: string, label: string): Set<string> {
  return new Set([...exposition.matchAll(new RegExp(`${label}="([^"]*)"`, 'g'))].map((m) => m[1]));
}

describe('GET /metrics on the main port', () => {
  let t: TestApp;
  let exposition: string;
  const randomPath = `/no-such-${randomUUID()}`;

  beforeAll(async () => {
    t = await startTestApp({
      ...PRODUCTION_LIMITS,
      ...isolatedStore(),
      RATE_LIMIT_AUTH_PER_MINUTE: '25',
      RATE_LIMIT_LOGIN_PER_ACCOUNT_PER_MINUTE: '1000',
      MAX_LOGIN_ATTEMPTS: '2',
    });
    const organization = await createOrganization(t.dataSource);
    const user = await registerUser(t.server, organization.id);
    const tokens = await login(t.server, user);
    await request(t.server)
      .post(`${API}/auth/refresh`)
      .send({ refresh_token: tokens.refresh_token })
      .expect(200);
    await request(t.server)
      .get(`${API}/auth/me`)
      .set('Authorization', `Bearer ${tokens.access_token}`)
      .expect(200);
    await request(t.server)
      .get(`${API}/auth/me`)
      .set('Authorization', 'Bearer not-a-token')
      .expect(401);

    // Two wrong passwords lock the account; the third attempt meets the lock.
    const victim = await registerUser(t.server, organization.id);
    for (let attempt = 0; attempt < 3; attempt++) {
      await request(t.server)
        .post(`${API}/auth/login`)
        .send({ email: victim.email, password: 'Wrong-password-1!' })
        .expect(401);
    }
    await request(t.server).get(randomPath).expect(404);
    await request(t.server).get(`${API}${randomPath}`).expect(404);

    // The per-IP policy allows 25 auth requests a minute: the burst ends in a 429.
    let status = 0;
    for (let attempt = 0; attempt < 30 && status !== 429; attempt++) {
      status = (
        await request(t.server)
          .post(`${API}/auth/login`)
          .send({ email: `nobody-${uniqueSuffix()}@example.com`, password: 'Wrong-password-1!' })
      ).status;
    }
    expect(status).toBe(429);

    const scrape = await request(t.server).get('/metrics').expect(200);
    expect(scrape.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    exposition = scrape.text;
  });

  afterAll(async () => {
    await t?.close();
  });

  it.each([
    'http_requests_total',
    'http_request_duration_seconds',
    'http_requests_in_flight',
    'authentication_attempts_total',
    'tokens_issued_total',
    'token_validations_total',
    'rate_limit_rejections_total',
    'account_lockouts_total',
    'sso_attempts_total',
    'db_pool_connections_total',
    'db_pool_connections_idle',
    'db_pool_requests_waiting',
    'redis_connected',
    'process_cpu_seconds_total',
    'process_resident_memory_bytes',
    'nodejs_eventloop_lag_seconds',
    'nodejs_heap_size_used_bytes',
  ])('exposes the %s family', (family) => {
    expect(exposition).toMatch(new RegExp(`^# TYPE ${PREFIX}${family} `, 'm'));
  });

  it('counts requests by route template, never by raw path', () => {
    const routes = labelValues(exposition, 'route');

    expect(routes).toContain('/api/v1/enterprise/auth/login');
    expect(routes).toContain('/api/v1/enterprise/auth/me');
    expect(routes).toContain('unmatched');
    expect([...routes].filter((route) => route.includes('no-such-'))).toEqual([]);
    expect(exposition).not.toContain(randomPath);
    expect(exposition).toMatch(
      /http_requests_total\{method="POST",route="\/api\/v1\/enterprise\/auth\/login",status_code="429"\} [1-9]/,
    );
    expect(exposition).toMatch(
      /http_requests_total\{method="GET",route="unmatched",status_code="404"\} 2/,
    );
  });

  it('counts sign-ins, refreshes, lockouts and refusals by outcome', () => {
    const count = (line: string) => new RegExp(`^${PREFIX}${line} ([0-9.e+]+)$`, 'm');

    expect(exposition).toMatch(
      count('authentication_attempts_total\\{method="password",outcome="success"\\}'),
    );
    expect(exposition).toMatch(
      count('authentication_attempts_total\\{method="password",outcome="failure"\\}'),
    );
    expect(exposition).toMatch(
      count('authentication_attempts_total\\{method="password",outcome="locked"\\}'),
    );
    expect(exposition).toMatch(
      count('authentication_attempts_total\\{method="refresh",outcome="success"\\}'),
    );
    expect(exposition).toMatch(count('tokens_issued_total\\{type="access"\\}'));
    expect(exposition).toMatch(count('tokens_issued_total\\{type="refresh"\\}'));
    expect(exposition).toMatch(count('token_validations_total\\{outcome="valid"\\}'));
    expect(exposition).toMatch(count('token_validations_total\\{outcome="invalid"\\}'));
    expect(exposition).toMatch(count('rate_limit_rejections_total\\{policy="auth"\\}'));
    expect(exposition).toMatch(new RegExp(`^${PREFIX}account_lockouts_total 1$`, 'm'));
  });

  it('reads the database pool and the store connection at scrape time', () => {
    expect(exposition).toMatch(new RegExp(`^${PREFIX}db_pool_connections_total [1-9]`, 'm'));
    expect(exposition).toMatch(new RegExp(`^${PREFIX}redis_connected 1$`, 'm'));
  });

  it('carries no user id, email or organization id in any label', () => {
    expect(exposition).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/);
    expect(exposition).not.toContain('@example.com');
  });

  it('is absent from the OpenAPI document', async () => {
    const document = await request(t.server).get('/enterprise/docs-json').expect(200);

    expect(Object.keys(document.body.paths as object)).not.toContain('/metrics');
  });
});

describe('GET /metrics before any event', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t.close();
  });

  // A series that appears with its first event makes rate() miss that event and an alert on
  // it see no data instead of 0.
  it.each([
    'rate_limit_rejections_total{policy="auth"}',
    'rate_limit_rejections_total{policy="login_account"}',
    'rate_limit_rejections_total{policy="mfa_user"}',
    'sso_attempts_total{protocol="saml",outcome="success"}',
    'sso_attempts_total{protocol="saml",outcome="failure"}',
    'sso_attempts_total{protocol="oidc",outcome="success"}',
    'sso_attempts_total{protocol="oidc",outcome="failure"}',
  ])('exports %s at 0 from the start', async (series) => {
    const scrape = await request(t.server).get('/metrics').expect(200);

    expect(scrape.text.split('\n')).toContain(`${PREFIX}${series} 0`);
  });
});

describe('with METRICS_PORT set', () => {
  let t: TestApp | undefined;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    t = await startTestApp({ METRICS_PORT: String(port), HOST: '127.0.0.1' });
  });

  afterAll(async () => {
    await t?.close();
  });

  it('serves /metrics on that port only', async () => {
    await request(t!.server).get('/health/live').expect(200);

    const scrape = await request(`http://127.0.0.1:${port}`).get('/metrics').expect(200);
    expect(scrape.text).toMatch(new RegExp(`^# TYPE ${PREFIX}http_requests_total counter`, 'm'));
    expect(scrape.text).toContain('route="/health/live"');
    await request(t!.server).get('/metrics').expect(404);
    await request(`http://127.0.0.1:${port}`).get('/other').expect(404);
  });

  it('closes that listener with the application', async () => {
    await t!.close();
    t = undefined;

    await expect(request(`http://127.0.0.1:${port}`).get('/metrics')).rejects.toThrow(
      /ECONNREFUSED/,
    );
  });
});
