import { randomBytes } from 'node:crypto';
import { Cluster } from 'ioredis';
import request from 'supertest';
import { KEY_VALUE_STORE, KeyValueStore, RedisStore, RevocationKeys } from '@app/cache';
import { API, createOrganization, login, registerUser } from './support/factories';
import { RedisCluster, describeWithRedisServer, startRedisCluster } from './support/redis-servers';
import { TestApp, startTestApp } from './support/test-app';

/**
 * The whole service on a three-master Redis Cluster. Any command spanning two slots would be
 * refused with CROSSSLOT and answered 503, so every flow passing proves none does; the
 * revocation check runs on every authenticated request.
 */
describeWithRedisServer('the service on a Redis Cluster', () => {
  let cluster: RedisCluster;
  let t: TestApp;
  let organizationId: string;

  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

  beforeAll(async () => {
    cluster = await startRedisCluster();
    const [seed, ...others] = cluster.nodes;
    t = await startTestApp({
      REDIS_MODE: 'cluster',
      REDIS_HOST: '127.0.0.1',
      REDIS_PORT: String(seed.port),
      REDIS_CLUSTER_NODES: others.map((node) => `127.0.0.1:${node.port}`).join(','),
      REDIS_PASSWORD: '',
      REDIS_DB: '0',
      REDIS_KEY_PREFIX: `fm-auth-test:cluster-e2e:${randomBytes(4).toString('hex')}:`,
      // The limiter's counters live in the store too: let them count, with room for the test.
      RATE_LIMIT_AUTH_PER_MINUTE: '1000',
    });
    organizationId = (await createOrganization(t.dataSource)).id;
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    await cluster?.stop();
  });

  it('reports the store up on /health/ready', async () => {
    const response = await request(t.server).get('/health/ready').expect(200);

    expect(response.body.checks.store).toEqual({ status: 'up', type: 'redis' });
  });

  it('logs in, reads the profile, refreshes, logs out and refuses the old token', async () => {
    const user = await registerUser(t.server, organizationId);
    const tokens = await login(t.server, user);
    await request(t.server).get(`${API}/auth/me`).set(bearer(tokens.access_token)).expect(200);

    const refreshed = await request(t.server)
      .post(`${API}/auth/refresh`)
      .send({ refresh_token: tokens.refresh_token })
      .expect(200);
    await request(t.server)
      .get(`${API}/auth/me`)
      .set(bearer(refreshed.body.access_token))
      .expect(200);

    await request(t.server)
      .post(`${API}/auth/logout`)
      .set(bearer(refreshed.body.access_token))
      .expect(204);
    const me = await request(t.server)
      .get(`${API}/auth/me`)
      .set(bearer(refreshed.body.access_token))
      .expect(401);
    expect(me.body.code).toBe('AUTH_TOKEN_REVOKED');
    // The revocation is in the cluster, under the session's hash tag.
    const { sid } = JSON.parse(
      Buffer.from(refreshed.body.access_token.split('.')[1], 'base64url').toString(),
    ) as { sid: string };
    await expect(
      t.app.get<KeyValueStore>(KEY_VALUE_STORE).get(RevocationKeys.session(sid)),
    ).resolves.toBe('1');
    expect(t.app.get<KeyValueStore>(KEY_VALUE_STORE)).toBeInstanceOf(RedisStore);
    expect((t.app.get<RedisStore>(KEY_VALUE_STORE).client as Cluster).isCluster).toBe(true);
  });

  it('counts failed logins in the cluster', async () => {
    const user = await registerUser(t.server, organizationId);

    await request(t.server)
      .post(`${API}/auth/login`)
      .send({ email: user.email, password: 'Wrong-password-1!' })
      .expect(401);
    await login(t.server, user);
  });

  // Last: it stops a master.
  it('reports the store down on /health/ready once a master is gone', async () => {
    await cluster.nodes[1].stop();

    let status = 200;
    for (let attempt = 0; attempt < 50 && status === 200; attempt++) {
      status = (await request(t.server).get('/health/ready')).status;
      if (status === 200) await new Promise((resolve) => setTimeout(resolve, 200));
    }

    expect(status).toBe(503);
  });
});
