import type { RunningApp } from '../support/built-app';
import {
  API,
  Deployment,
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
} from './support/deployment';

/**
 * Seconds of load at twice the measured maximum. The issue asks for 60, and the whole
 * resilience suite still fits its 5-minute budget on 2 cores with it, so CI runs 60;
 * RESILIENCE_OVERLOAD_SECONDS shortens it for a quick local run.
 */
const OVERLOAD_SECONDS = Number(process.env.RESILIENCE_OVERLOAD_SECONDS ?? 60);
const MEASURE_MS = 3_000;
const MEASURE_WORKERS = 48;
const USERS = 12;
/**
 * Seconds of arrivals the client lets wait at once (and at least 1,000 requests); beyond, it
 * skips sending and counts the skips. A request waits at most a second for a pool connection
 * (POSTGRES_CONNECT_TIMEOUT_MS) and on a quiet 2-core machine every answer came within two
 * seconds, so three seconds' worth keeps the client from becoming the bottleneck even when the
 * machine is busy with something else, without letting a service that stopped answering tie
 * up sockets without bound.
 */
const IN_FLIGHT_SECONDS = 3;
/** A request unanswered after this long counts as a hang. */
const HANG_MS = 15_000;

/**
 * The codes a refusal under overload may carry: the service shedding (a full hashing queue, no
 * pool connection free in time), never failing, and never blaming a database that is up.
 */
const SHEDDING_CODES = ['SERVICE_OVERLOADED', 'RATE_LIMITED'];

describeResilience('a built instance at twice its maximum throughput', () => {
  let deployment: Deployment;
  let app: RunningApp;
  let users: User[];
  let sessions: Tokens[];

  beforeAll(async () => {
    deployment = await Deployment.start({
      // A small pool, so requests contend for connections and wait for them, and a hashing
      // limit, so sign-ins queue for bcrypt: both must shed the excess, not fail it.
      POSTGRES_POOL_SIZE: '2',
      POSTGRES_CONNECT_TIMEOUT_MS: '1000',
      BCRYPT_ROUNDS: '8',
      HASH_CONCURRENCY: '2',
      HASH_QUEUE_LIMIT: '8',
    });
    app = await deployment.startInstance();
    const organizationId = await deployment.createOrganization();
    users = [];
    sessions = [];
    for (let index = 0; index < USERS; index++) {
      users.push(await register(app.url, organizationId));
      sessions.push(await login(app.url, users[index]));
    }
  });

  afterAll(async () => {
    await deployment?.close();
  });

  /** Request number `n` of the mix: two profile reads for each sign-in. */
  const request = (n: number): Promise<Outcome> => {
    const index = n % USERS;
    if (n % 3 === 2) {
      return attempt('login', () =>
        call(app.url, 'POST', `${API}/auth/login`, {
          body: { email: users[index].email, password: users[index].password },
          timeoutMs: HANG_MS,
        }),
      );
    }
    return attempt('me', () =>
      call(app.url, 'GET', `${API}/auth/me`, {
        token: sessions[index].access_token,
        timeoutMs: HANG_MS,
      }),
    );
  };

  it('sheds the excess with 429 or 503, never 500, and recovers at once', async () => {
    // The most it serves: closed-loop clients, each sending as soon as it has its answer.
    let counter = 0;
    const measure = startLoad(MEASURE_WORKERS, async () => [await request(counter++)]);
    await sleep(MEASURE_MS);
    await measure.stop();
    const served = measure.outcomes.filter((outcome) => outcome.status === 200).length;
    const maxPerSecond = served / (MEASURE_MS / 1000);
    expect(maxPerSecond).toBeGreaterThan(10);

    // Twice that, open-loop: requests arrive on schedule whether or not earlier ones finished.
    const rate = 2 * maxPerSecond;
    const maxInFlight = Math.max(1_000, Math.ceil(rate * IN_FLIGHT_SECONDS));
    const outcomes: Outcome[] = [];
    const pending = new Set<Promise<void>>();
    let skipped = 0;
    const started = Date.now();
    let sent = 0;
    const readiness: number[] = [];
    const sampler = (async () => {
      while (Date.now() - started < OVERLOAD_SECONDS * 1000) {
        const reply = await call(app.url, 'GET', '/health/ready', { timeoutMs: HANG_MS }).catch(
          () => undefined,
        );
        readiness.push(reply?.status ?? 0);
        await sleep(1_000);
      }
    })();
    while (Date.now() - started < OVERLOAD_SECONDS * 1000) {
      const due = Math.floor(((Date.now() - started) / 1000) * rate);
      for (; sent < due; sent++) {
        if (pending.size >= maxInFlight) {
          skipped++;
          continue;
        }
        const sending: Promise<void> = request(sent).then((outcome) => {
          outcomes.push(outcome);
          pending.delete(sending);
        });
        pending.add(sending);
      }
      await sleep(10);
    }
    await Promise.all(pending);
    await sampler;

    const summary = { rate: Math.round(rate), skipped, all: tally(outcomes) };
    // Refused or served, never failed: no 500, no other error, no reset, no hang.
    const failed = outcomes.filter(
      (outcome) => ![200, 429, 503].includes(outcome.status) || outcome.ms >= HANG_MS,
    );
    expect({ ...summary, failed: tally(failed) }).toMatchObject({ failed: {} });
    for (const refusal of outcomes.filter((outcome) => outcome.status !== 200)) {
      expect(refusal.contentType).toMatch(/^application\/problem\+json/);
      expect(SHEDDING_CODES).toContain(refusal.code);
    }
    // The overload was real (some refused), and the service kept serving through it.
    expect(outcomes.filter((outcome) => outcome.status !== 200).length).toBeGreaterThan(0);
    expect(outcomes.filter((outcome) => outcome.status === 200).length).toBeGreaterThan(
      OVERLOAD_SECONDS * maxPerSecond * 0.25,
    );
    // Busy is not down: readiness kept the instance in rotation the whole time.
    expect(readiness.length).toBeGreaterThan(0);
    expect(readiness.filter((status) => status !== 200)).toEqual([]);
    // The client delivered (nearly) all of the load it meant to.
    expect(skipped).toBeLessThan(sent * 0.05);

    // The load drops: the very next requests are served, and quickly.
    const after: Outcome[] = [];
    for (let n = 0; n < 12; n++) after.push(await request(n));
    expect(tally(after.filter((outcome) => outcome.status !== 200))).toEqual({});
    expect(Math.max(...after.map((outcome) => outcome.ms))).toBeLessThan(1_000);
  }, 300_000);
});
