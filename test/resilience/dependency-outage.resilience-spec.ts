import type { RunningApp } from '../support/built-app';
import {
  API,
  Deployment,
  Load,
  Outcome,
  Tokens,
  User,
  attempt,
  call,
  describeResilience,
  login,
  register,
  sleep,
  startLoad,
  tally,
  within,
} from './support/deployment';

/** How fast a request must be answered while a dependency is down: refused, never hung. */
const ANSWER_BOUND_MS = 5_000;
/** How soon after a dependency returns everything must work again, without a restart. */
const RECOVERY_BOUND_MS = 20_000;
/** How long the load runs against a dependency that is down. */
const OUTAGE_MS = 3_000;
const WORKERS = 4;

describeResilience('the built service under load while Redis, then PostgreSQL, stop', () => {
  let deployment: Deployment;
  let app: RunningApp;
  let users: User[];
  let sessions: Tokens[];
  let revoked: Tokens;
  let load: Load | undefined;

  /** One round of a worker: its session's token, its refresh, a sign-in, a revoked token. */
  const step = async (worker: number): Promise<Outcome[]> => {
    const session = sessions[worker];
    const me = attempt('me', () =>
      call(app.url, 'GET', `${API}/auth/me`, { token: session.access_token }),
    );
    const refresh = attempt('refresh', async () => {
      const reply = await call(app.url, 'POST', `${API}/auth/refresh`, {
        body: { refresh_token: session.refresh_token },
      });
      if (reply.status === 200) sessions[worker] = reply.body as unknown as Tokens;
      return reply;
    });
    const signIn = attempt('login', () =>
      call(app.url, 'POST', `${API}/auth/login`, {
        body: { email: users[worker].email, password: users[worker].password },
      }),
    );
    const revokedToken = attempt('revoked', () =>
      call(app.url, 'GET', `${API}/auth/me`, { token: revoked.access_token }),
    );

    return Promise.all([me, refresh, signIn, revokedToken]);
  };

  const ready = () => call(app.url, 'GET', '/health/ready');

  /** Whether a fresh round of every kind of request succeeds. */
  const serving = async (): Promise<boolean> => {
    const outcomes = await step(0);
    const ok = outcomes.filter((outcome) => outcome.kind !== 'revoked');

    return ok.every((outcome) => outcome.status === 200);
  };

  /**
   * What every request under load must satisfy, outage or not: an answer (never a reset or a
   * hang), in time, and either a success or a 503 problem naming the dependency.
   */
  const expectOnlyCleanRefusals = (outcomes: Outcome[]) => {
    const unexpected = outcomes.filter((outcome) => {
      if (outcome.kind === 'revoked') return outcome.status !== 401 && outcome.status !== 503;
      return outcome.status !== 200 && outcome.status !== 503;
    });
    expect({ unexpected: tally(unexpected), all: tally(outcomes) }).toMatchObject({
      unexpected: {},
    });
    for (const outcome of outcomes.filter((candidate) => candidate.status === 503)) {
      expect(outcome.contentType).toMatch(/^application\/problem\+json/);
      expect(['STORE_UNAVAILABLE', 'DATABASE_UNAVAILABLE']).toContain(outcome.code);
    }
    expect(Math.max(...outcomes.map((outcome) => outcome.ms))).toBeLessThan(ANSWER_BOUND_MS);
  };

  beforeAll(async () => {
    deployment = await Deployment.start();
    app = await deployment.startInstance();
    const organizationId = await deployment.createOrganization();
    users = [];
    sessions = [];
    for (let worker = 0; worker < WORKERS; worker++) {
      users.push(await register(app.url, organizationId));
      sessions.push(await login(app.url, users[worker]));
    }
    revoked = await login(app.url, users[0]);
    const logout = await call(app.url, 'POST', `${API}/auth/logout`, {
      token: revoked.access_token,
    });
    expect(logout.status).toBe(204);
  });

  afterEach(async () => {
    await load?.stop();
    load = undefined;
  });

  afterAll(async () => {
    await deployment?.close();
  });

  it('serves everything while both dependencies are up', async () => {
    load = startLoad(WORKERS, step);
    await sleep(1_500);
    await load.stop();

    const outcomes = load.outcomes;
    expect(outcomes.length).toBeGreaterThan(WORKERS * 4);
    const failures = outcomes.filter((outcome) =>
      outcome.kind === 'revoked' ? outcome.status !== 401 : outcome.status !== 200,
    );
    expect(tally(failures)).toEqual({});
  });

  it('refuses with 503 while Redis is down, never accepts a revoked token, and recovers', async () => {
    load = startLoad(WORKERS, step);
    await sleep(500);
    await deployment.redis.shutdown();
    const stoppedAt = Date.now();

    await within('readiness to report the store down', ANSWER_BOUND_MS, async () => {
      const reply = await ready();
      return reply.status === 503;
    });
    const readiness = await ready();
    expect(readiness.status).toBe(503);
    expect(readiness.body).toMatchObject({
      status: 'unhealthy',
      checks: { database: { status: 'up' }, store: { status: 'down' } },
    });
    await sleep(OUTAGE_MS);
    const duringOutage = load.outcomes.filter((outcome) => outcome.at > stoppedAt + 1_000);
    expect(duringOutage.length).toBeGreaterThan(0);
    // Everything needs the store (the revocation check, the rate limits): all refused.
    expect(tally(duringOutage.filter((outcome) => outcome.status !== 503))).toEqual({});
    expect(duringOutage.filter((outcome) => outcome.code !== 'STORE_UNAVAILABLE')).toEqual([]);

    await deployment.redis.restart();
    const recoveredIn = await within('every request to succeed again', RECOVERY_BOUND_MS, serving);
    await within('readiness to report healthy', RECOVERY_BOUND_MS, async () => {
      return (await ready()).status === 200;
    });
    await load.stop();

    expectOnlyCleanRefusals(load.outcomes);
    expect(
      load.outcomes.filter((outcome) => outcome.kind === 'revoked' && outcome.status === 200),
    ).toHaveLength(0);
    // The revocation written before the outage outlived it.
    const stillRevoked = await call(app.url, 'GET', `${API}/auth/me`, {
      token: revoked.access_token,
    });
    expect(stillRevoked.status).toBe(401);
    expect(recoveredIn).toBeLessThan(RECOVERY_BOUND_MS);
  });

  it('refuses with 503 while PostgreSQL is down and recovers without a restart', async () => {
    load = startLoad(WORKERS, step);
    await sleep(500);
    await deployment.postgres.halt('fast');
    const stoppedAt = Date.now();

    await within('readiness to report the database down', ANSWER_BOUND_MS, async () => {
      return (await ready()).status === 503;
    });
    const readiness = await ready();
    expect(readiness.body).toMatchObject({
      status: 'unhealthy',
      checks: { database: { status: 'down' }, store: { status: 'up' } },
    });
    await sleep(OUTAGE_MS);
    const duringOutage = load.outcomes.filter((outcome) => outcome.at > stoppedAt + 1_000);
    // Sign-in, refresh and the profile read the database; a revoked token is refused by the
    // store alone.
    const needsDatabase = duringOutage.filter((outcome) => outcome.kind !== 'revoked');
    expect(needsDatabase.length).toBeGreaterThan(0);
    expect(
      tally(needsDatabase.filter((outcome) => outcome.code !== 'DATABASE_UNAVAILABLE')),
    ).toEqual({});
    expect(tally(duringOutage.filter((o) => o.kind === 'revoked' && o.status !== 401))).toEqual({});

    await deployment.postgres.restart();
    const recoveredIn = await within('every request to succeed again', RECOVERY_BOUND_MS, serving);
    await within('readiness to report healthy', RECOVERY_BOUND_MS, async () => {
      return (await ready()).status === 200;
    });
    await load.stop();

    expectOnlyCleanRefusals(load.outcomes);
    expect(recoveredIn).toBeLessThan(RECOVERY_BOUND_MS);
  });
});
