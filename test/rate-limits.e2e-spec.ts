import type { Server } from 'node:http';
import request from 'supertest';
import {
  API,
  createOrganization,
  expectProblem,
  registerUser,
  uniqueEmail,
} from './support/factories';
import { PRODUCTION_LIMITS, isolatedStore } from './support/limits';
import { controllerRoutes } from './support/routes';
import { TcpProxy, startTcpProxy } from './support/tcp-proxy';
import { TestApp, startTestApp } from './support/test-app';

const describeShared =
  process.env.POSTGRES_HOST && process.env.REDIS_HOST ? describe : describe.skip;
const describeWithRedis = process.env.REDIS_HOST ? describe : describe.skip;

/**
 * One request to an authentication route, rotating through login, refresh and register, which
 * share the per-IP budget. Each is refused for its own reason (unknown email, unknown token,
 * invalid body) when not rate limited; `forwardedFor` sets X-Forwarded-For.
 */
function authRequest(server: Server, n: number, forwardedFor?: string): request.Test {
  const requests = [
    () =>
      request(server)
        .post(`${API}/auth/login`)
        .send({ email: uniqueEmail('guess'), password: 'wrong-password' }),
    () => request(server).post(`${API}/auth/refresh`).send({ refresh_token: 'not-a-token' }),
    () => request(server).post(`${API}/auth/register`).send({ email: 'not-an-email' }),
  ];
  const call = requests[n % requests.length]();

  return forwardedFor === undefined ? call : call.set('X-Forwarded-For', forwardedFor);
}

/** Sends `count` auth requests one after another; returns their statuses. */
async function spend(server: Server, count: number, forwardedFor?: string): Promise<number[]> {
  const statuses: number[] = [];
  for (let n = 0; n < count; n++) {
    statuses.push((await authRequest(server, n, forwardedFor)).status);
  }

  return statuses;
}

function expectRateLimited(response: request.Response, limit: number): void {
  expectProblem(response, 429, 'RATE_LIMITED');
  const retryAfter = Number(response.headers['retry-after']);
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
  expect(response.headers['ratelimit-limit']).toBe(String(limit));
  expect(response.headers['ratelimit-remaining']).toBe('0');
  expect(response.headers['ratelimit-reset']).toBe(String(retryAfter));
}

describe('per-IP rate limit on authentication routes, no proxy trusted', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ ...PRODUCTION_LIMITS, ...isolatedStore(), TRUST_PROXY: 'false' });
  });

  afterAll(async () => {
    await t.close();
  });

  it('uses the guide’s 30 requests a minute by default', () => {
    expect(t.config.rateLimits.authPerMinute).toBe(30);
  });

  it('answers the 31st request of a minute with 429, Retry-After and RateLimit headers', async () => {
    const remaining: string[] = [];
    for (let n = 0; n < 30; n++) {
      const response = await authRequest(t.server, n);
      expect(response.status).not.toBe(429);
      expect(response.headers['ratelimit-limit']).toBe('30');
      remaining.push(response.headers['ratelimit-remaining']);
    }
    expect(remaining).toEqual(Array.from({ length: 30 }, (_, n) => String(29 - n)));

    expectRateLimited(await authRequest(t.server, 30), 30);
    // Every authentication route shares the budget: a valid-looking request to another is
    // refused before it is even validated.
    for (let n = 31; n < 34; n++) expectRateLimited(await authRequest(t.server, n), 30);
  });

  it('keeps a limited client limited whatever X-Forwarded-For it forges', async () => {
    await spend(t.server, 31);

    for (const forged of ['198.51.100.1', '2001:db8::1', '198.51.100.2, 198.51.100.3']) {
      expectRateLimited(await authRequest(t.server, 0, forged), 30);
    }
  });

  it('leaves routes without @RateLimit alone', async () => {
    await spend(t.server, 31);

    const response = await request(t.server).get('/health/live').expect(200);
    expect(response.headers['ratelimit-limit']).toBeUndefined();
  });

  it('puts every public POST route and password change under the auth budget', () => {
    const credentialRoutes = controllerRoutes(t.app).filter(
      (route) =>
        (route.isPublic && route.method === 'POST') || route.path === 'auth/password/change',
    );

    expect(credentialRoutes.length).toBeGreaterThanOrEqual(8);
    expect(
      credentialRoutes
        .filter((route) => route.rateLimit !== 'auth')
        .map((route) => `${route.method} ${route.path}`),
    ).toEqual([]);
  });
});

describe('per-IP rate limit behind one trusted proxy (TRUST_PROXY=1)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ ...PRODUCTION_LIMITS, ...isolatedStore(), TRUST_PROXY: '1' });
  });

  afterAll(async () => {
    await t.close();
  });

  it('counts the client the proxy names, each client on its own', async () => {
    const statuses = await spend(t.server, 31, '203.0.113.10');
    expect(statuses.slice(0, 30)).not.toContain(429);
    expect(statuses[30]).toBe(429);

    expect((await authRequest(t.server, 0, '203.0.113.11')).status).not.toBe(429);
  });

  it('trusts one hop only: entries a client prepends do not make it someone else', async () => {
    await spend(t.server, 31, '203.0.113.20');

    for (const forged of ['198.51.100.9, 203.0.113.20', '10.0.0.1, 198.51.100.9, 203.0.113.20']) {
      expectRateLimited(await authRequest(t.server, 0, forged), 30);
    }
  });

  it('limits IPv6 clients per /64: other addresses of the network share the count', async () => {
    // The proxy reports the client's IPv6 address in X-Forwarded-For, as it would in
    // production; the test connection itself is loopback, which proves nothing about IPv6.
    await spend(t.server, 31, '2001:db8:aa:1::1');

    for (const neighbour of ['2001:db8:aa:1::2', '2001:db8:aa:1:ffff:eeee:dddd:cccc']) {
      expectRateLimited(await authRequest(t.server, 0, neighbour), 30);
    }
    expect((await authRequest(t.server, 0, '2001:db8:aa:2::1')).status).not.toBe(429);
  });

  it('counts an IPv4-mapped IPv6 address as the IPv4 address', async () => {
    await spend(t.server, 31, '203.0.113.30');

    expectRateLimited(await authRequest(t.server, 0, '::ffff:203.0.113.30'), 30);
  });

  it('limits logins per account across IPs: the 11th in a minute is refused', async () => {
    const organization = await createOrganization(t.dataSource);
    const user = await registerUser(t.server, organization.id);
    const login = (email: string, ip: string) =>
      request(t.server)
        .post(`${API}/auth/login`)
        .set('X-Forwarded-For', ip)
        .send({ email, password: user.password });

    for (let n = 0; n < 10; n++) {
      // Case variants are one account; every request comes from another address.
      const email = n % 2 === 0 ? user.email : user.email.toUpperCase();
      await login(email, `198.51.100.${100 + n}`).expect(200);
    }

    expectRateLimited(await login(user.email, '198.51.100.200'), 10);
  });

  it('limits an unknown email the same way, so the limit reveals nothing', async () => {
    const email = uniqueEmail('nobody');
    for (let n = 0; n < 10; n++) {
      await request(t.server)
        .post(`${API}/auth/login`)
        .set('X-Forwarded-For', `198.51.100.${10 + n}`)
        .send({ email, password: 'wrong-password' })
        .expect(401);
    }

    const response = await request(t.server)
      .post(`${API}/auth/login`)
      .set('X-Forwarded-For', '198.51.100.50')
      .send({ email, password: 'wrong-password' });
    expectRateLimited(response, 10);
  });
});

describeShared('per-IP rate limit across two instances', () => {
  const secret = 'rate-limit-test-key-'.padEnd(64, 'x');
  let one: TestApp;
  let two: TestApp;

  beforeAll(async () => {
    const shared = { ...PRODUCTION_LIMITS, ...isolatedStore(), JWT_SECRET_KEY: secret };
    one = await startTestApp(shared);
    two = await startTestApp(shared);
  });

  afterAll(async () => {
    await one.close();
    await two.close();
  });

  it('shares one count: 15 requests on each instance leave the 31st refused on either', async () => {
    const statuses = [...(await spend(one.server, 15)), ...(await spend(two.server, 15))];
    expect(statuses).not.toContain(429);

    expectRateLimited(await authRequest(one.server, 0), 30);
    expectRateLimited(await authRequest(two.server, 1), 30);
  });
});

describeWithRedis('rate limits while Redis is unreachable', () => {
  let proxy: TcpProxy;
  let t: TestApp;

  beforeAll(async () => {
    proxy = await startTcpProxy({
      host: process.env.REDIS_HOST!,
      port: Number(process.env.REDIS_PORT ?? 6379),
    });
    t = await startTestApp({
      ...PRODUCTION_LIMITS,
      ...isolatedStore(),
      REDIS_HOST: '127.0.0.1',
      REDIS_PORT: String(proxy.port),
    });
  });

  afterAll(async () => {
    await t?.close();
    await proxy?.close();
  });

  it('fails closed with 503 STORE_UNAVAILABLE, never letting a request through unlimited', async () => {
    const organization = await createOrganization(t.dataSource);
    const user = await registerUser(t.server, organization.id);
    await proxy.cut();
    try {
      const login = await request(t.server)
        .post(`${API}/auth/login`)
        .send({ email: user.email, password: user.password });
      expectProblem(login, 503, 'STORE_UNAVAILABLE');

      const register = await request(t.server)
        .post(`${API}/auth/register`)
        .send({ email: 'not-an-email' });
      expectProblem(register, 503, 'STORE_UNAVAILABLE');
    } finally {
      await proxy.restore();
    }
  });
});
