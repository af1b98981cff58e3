import request from 'supertest';
import {
  API,
  RegisteredUser,
  Tokens,
  createOrganization,
  eventually,
  expectProblem,
  login,
  registerUser,
} from './support/factories';
import { TcpProxy, startTcpProxy } from './support/tcp-proxy';
import { TestApp, startTestApp } from './support/test-app';

const describeWithRedis = process.env.REDIS_HOST ? describe : describe.skip;
const describeWithPostgres = process.env.POSTGRES_HOST ? describe : describe.skip;

/** How long a restored dependency may take to be reported healthy again. */
const RECOVERY_MS = 10_000;

const HEALTH_PATHS = ['/health', '/health/ready'];

async function isHealthy(t: TestApp): Promise<boolean> {
  const response = await request(t.server).get('/health');

  return response.status === 200;
}

describe('health', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t.close();
  });

  it.each(HEALTH_PATHS)('answers %s with 200 and every dependency up', async (path) => {
    const response = await request(t.server).get(path).expect(200);

    expect(response.body).toEqual({
      status: 'healthy',
      checks: {
        database: { status: 'up' },
        store: { status: 'up', type: process.env.REDIS_HOST ? 'redis' : 'memory' },
      },
      uptime_seconds: expect.any(Number),
    });
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers['x-request-id']).toBeDefined();
  });

  it('answers /health/live with 200 without checking dependencies', async () => {
    const response = await request(t.server).get('/health/live').expect(200);

    expect(response.body).toEqual({
      status: 'healthy',
      checks: {},
      uptime_seconds: expect.any(Number),
    });
  });

  it('serves health outside the API prefix only', async () => {
    const response = await request(t.server).get(`${API}/health`);

    expectProblem(response, 404, 'NOT_FOUND');
  });
});

describeWithRedis('health and requests while Redis is unreachable', () => {
  let proxy: TcpProxy;
  let t: TestApp;
  let user: RegisteredUser;
  let tokens: Tokens;

  beforeAll(async () => {
    proxy = await startTcpProxy({
      host: process.env.REDIS_HOST!,
      port: Number(process.env.REDIS_PORT ?? 6379),
    });
    t = await startTestApp({ REDIS_HOST: '127.0.0.1', REDIS_PORT: String(proxy.port) });
    const organization = await createOrganization(t.dataSource);
    user = await registerUser(t.server, organization.id);
    tokens = await login(t.server, user);
    await request(t.server)
      .get(`${API}/auth/me`)
      .set('Authorization', `Bearer ${tokens.access_token}`)
      .expect(200);
  });

  afterAll(async () => {
    await t?.close();
    await proxy?.close();
  });

  describe('once Redis is cut off', () => {
    beforeAll(async () => {
      await proxy.cut();
    });

    it.each(HEALTH_PATHS)('answers %s with 503 and the store down', async (path) => {
      const response = await request(t.server).get(path);

      expect(response.status).toBe(503);
      expect(response.body).toMatchObject({
        status: 'unhealthy',
        checks: { database: { status: 'up' }, store: { status: 'down' } },
      });
    });

    it('still answers /health/live with 200', async () => {
      await request(t.server).get('/health/live').expect(200);
    });

    it('answers a request with a valid token with 503 STORE_UNAVAILABLE, never 200 or 500', async () => {
      const response = await request(t.server)
        .get(`${API}/auth/me`)
        .set('Authorization', `Bearer ${tokens.access_token}`);

      expectProblem(response, 503, 'STORE_UNAVAILABLE');
      expect(response.headers['retry-after']).toBe('1');
    });
  });

  describe('once Redis is back', () => {
    beforeAll(async () => {
      await proxy.restore();
    });

    it('reports healthy again within seconds, without a restart', async () => {
      expect(await eventually(() => isHealthy(t), RECOVERY_MS)).toBe(true);

      const response = await request(t.server).get('/health/ready').expect(200);
      expect(response.body.checks.store).toEqual({ status: 'up', type: 'redis' });
    });

    it('serves requests with the same token again', async () => {
      await request(t.server)
        .get(`${API}/auth/me`)
        .set('Authorization', `Bearer ${tokens.access_token}`)
        .expect(200);
    });
  });
});

describeWithPostgres('health and requests while PostgreSQL is unreachable', () => {
  let proxy: TcpProxy;
  let t: TestApp;
  let user: RegisteredUser;

  beforeAll(async () => {
    proxy = await startTcpProxy({
      host: process.env.POSTGRES_HOST!,
      port: Number(process.env.POSTGRES_PORT ?? 5432),
    });
    t = await startTestApp({
      POSTGRES_PORT: String(proxy.port),
      POSTGRES_CONNECT_TIMEOUT_MS: '1000',
    });
    const organization = await createOrganization(t.dataSource);
    user = await registerUser(t.server, organization.id);
  });

  afterAll(async () => {
    await t?.close();
    await proxy?.close();
  });

  describe('once PostgreSQL is cut off', () => {
    beforeAll(async () => {
      await proxy.cut();
    });

    it.each(HEALTH_PATHS)('answers %s with 503 and the database down', async (path) => {
      const response = await request(t.server).get(path);

      expect(response.status).toBe(503);
      expect(response.body).toMatchObject({
        status: 'unhealthy',
        checks: { database: { status: 'down' }, store: { status: 'up' } },
      });
    });

    it('answers a sign-in with 503 DATABASE_UNAVAILABLE', async () => {
      const response = await request(t.server)
        .post(`${API}/auth/login`)
        .send({ email: user.email, password: user.password });

      expectProblem(response, 503, 'DATABASE_UNAVAILABLE');
    });
  });

  describe('once PostgreSQL is back', () => {
    beforeAll(async () => {
      await proxy.restore();
    });

    it('reports healthy again within seconds, without a restart', async () => {
      expect(await eventually(() => isHealthy(t), RECOVERY_MS)).toBe(true);
    });

    it('signs in again', async () => {
      await login(t.server, user);
    });
  });
});

describe('readiness while every database connection is busy', () => {
  let t: TestApp;

  beforeAll(async () => {
    // One connection (the embedded database has only one anyway), which the test takes. On a
    // PostgreSQL server this also starts, and migrates, with a pool of one: the migrations
    // run on the connection that holds the migration lock.
    t = await startTestApp({ POSTGRES_POOL_SIZE: '1', POSTGRES_CONNECT_TIMEOUT_MS: '5000' });
  });

  afterAll(async () => {
    await t?.close();
  });

  it('reports the database up rather than leave the rotation under load', async () => {
    const holder = t.dataSource.createQueryRunner();
    await holder.connect();
    // A request's query now waits for the connection, as under load.
    const waiting = t.dataSource.query('SELECT 1');
    try {
      const started = Date.now();
      const response = await request(t.server).get('/health/ready');
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(response.status).toBe(200);
      expect(response.body.checks.database).toEqual({ status: 'up' });
    } finally {
      await holder.release();
      await waiting;
    }
  });
});
