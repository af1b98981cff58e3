import type { RunningApp } from '../support/built-app';
import {
  API,
  Deployment,
  Outcome,
  Reply,
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
} from './support/deployment';

const WORKERS = 6;

describeResilience('SIGTERM to one of two built instances under load', () => {
  let deployment: Deployment;
  let one: RunningApp;
  let two: RunningApp;
  let users: User[];
  let sessions: Tokens[];

  beforeAll(async () => {
    deployment = await Deployment.start({
      // A sign-in takes a noticeable moment (cost 11 on a busy 2-core machine), so some are
      // always under way when the signal comes.
      BCRYPT_ROUNDS: '11',
      GRACEFUL_SHUTDOWN_DELAY: '2',
      GRACEFUL_SHUTDOWN_TIMEOUT: '20',
    });
    one = await deployment.startInstance();
    two = await deployment.startInstance();
    const organizationId = await deployment.createOrganization();
    users = [];
    sessions = [];
    for (let worker = 0; worker < WORKERS; worker++) {
      users.push(await register(one.url, organizationId));
      sessions.push(await login(one.url, users[worker]));
    }
  });

  afterAll(async () => {
    await deployment?.close();
  });

  it('finishes the requests under way and the client carries on with the other', async () => {
    // The client's view of the pool, as a load balancer's: instance one until its readiness
    // fails or it refuses connections, then instance two.
    let target = one;
    let readinessFailedAt: number | undefined;
    const poller = (async () => {
      while (target === one) {
        const reply = await call(one.url, 'GET', '/health/ready', { timeoutMs: 2_000 }).catch(
          () => undefined,
        );
        if (!reply || reply.status === 503) {
          readinessFailedAt ??= Date.now();
          target = two;
        }
        await sleep(100);
      }
    })();

    /** Sends to the current target; a refused connection (nothing sent) goes to the other. */
    const send = async (kind: string, build: (url: string) => Promise<Reply>) => {
      const chosen = target;
      const name = chosen === one ? 'one' : 'two';
      const outcome = await attempt(`${kind}@${name}`, () => build(chosen.url));
      if (outcome.error !== 'ECONNREFUSED' || chosen !== one) return outcome;
      target = two;

      return attempt(`${kind}@two after refusal`, () => build(two.url));
    };

    const step = async (worker: number): Promise<Outcome[]> => {
      const me = await send('me', (url) =>
        call(url, 'GET', `${API}/auth/me`, { token: sessions[worker].access_token }),
      );
      const refresh = await send('refresh', async (url) => {
        const reply = await call(url, 'POST', `${API}/auth/refresh`, {
          body: { refresh_token: sessions[worker].refresh_token },
        });
        if (reply.status === 200) sessions[worker] = reply.body as unknown as Tokens;
        return reply;
      });
      const signIn = await send('login', (url) =>
        call(url, 'POST', `${API}/auth/login`, {
          body: { email: users[worker].email, password: users[worker].password },
        }),
      );

      return [me, refresh, signIn];
    };

    const load = startLoad(WORKERS, step);
    await sleep(1_500);
    // Sign-ins started on instance one just before the signal: they must all complete.
    const underWay = users.slice(0, 3).map((user) =>
      attempt('login under way', () =>
        call(one.url, 'POST', `${API}/auth/login`, {
          body: { email: user.email, password: user.password },
        }),
      ),
    );
    await sleep(50);
    const signalledAt = Date.now();
    one.child.kill('SIGTERM');

    const exit = await one.exited;
    await sleep(1_000);
    await load.stop();
    await poller;

    expect(exit.code).toBe(0);
    expect(exit.at - signalledAt).toBeLessThan(20_000);
    expect(readinessFailedAt).toBeDefined();
    expect(readinessFailedAt! - signalledAt).toBeLessThan(1_000);

    const inFlight = await Promise.all(underWay);
    expect(inFlight.map((outcome) => outcome.status)).toEqual([200, 200, 200]);

    // Not one request failed: no reset, no hang, nothing but success, before and after.
    const outcomes = load.outcomes;
    const failures = outcomes.filter((outcome) => outcome.status !== 200);
    expect({ failures: tally(failures), all: tally(outcomes) }).toMatchObject({ failures: {} });
    const servedByOneAfterSignal = outcomes.filter(
      (outcome) => outcome.kind.endsWith('@one') && outcome.at > signalledAt,
    );
    const servedByTwo = outcomes.filter((outcome) => outcome.kind.includes('@two'));
    expect(outcomes.filter((outcome) => outcome.kind.endsWith('@one')).length).toBeGreaterThan(
      WORKERS,
    );
    expect(servedByTwo.length).toBeGreaterThan(WORKERS);
    // Requests sent to one after the signal (before the client noticed) were answered by one.
    expect(servedByOneAfterSignal.every((outcome) => outcome.status === 200)).toBe(true);
    await expect(fetch(`${one.url}/health/live`)).rejects.toThrow();
  });
});
