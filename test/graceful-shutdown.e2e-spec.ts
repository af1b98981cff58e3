import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunningApp, buildIfStale, startBuiltApp } from './support/built-app';
import { API } from './support/factories';
import { isolatedStore } from './support/limits';

/** Redis when the run has one, so its connection is among what shutdown closes. */
function redisEnv(): Record<string, string> {
  const { REDIS_HOST, REDIS_PORT, REDIS_PASSWORD } = process.env;
  if (!REDIS_HOST) return {};

  return {
    REDIS_HOST,
    ...(REDIS_PORT ? { REDIS_PORT } : {}),
    ...(REDIS_PASSWORD ? { REDIS_PASSWORD } : {}),
    ...isolatedStore(),
  };
}

/**
 * The built service on SIGTERM. The slow request is a real one: a login whose bcrypt check
 * runs at cost 15 (a second or more here). The embedded database is used even when the run
 * has a PostgreSQL server, because the admin to sign in as comes from seeding an empty one.
 */
describe('the built service on SIGTERM', () => {
  let dataDir: string;
  let app: RunningApp | undefined;

  const start = (env: Record<string, string>) =>
    startBuiltApp(
      {
        ENVIRONMENT: 'test',
        LOG_LEVEL: 'info',
        LOG_FORMAT: 'json',
        DATA_DIR: dataDir,
        SEED_ON_START: 'true',
        BCRYPT_ROUNDS: '15',
        ...redisEnv(),
        ...env,
      },
      dataDir,
    );

  const slowLogin = (running: RunningApp) =>
    fetch(`${running.url}${API}/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        email: 'admin@faultmaven.local',
        password: readFileSync(join(dataDir, 'admin-password'), 'utf8').trim(),
      }),
    });

  beforeAll(async () => {
    await buildIfStale();
  }, 300_000);

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'fm-shutdown-'));
  });

  afterEach(() => {
    app?.stop();
    app = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('fails readiness, finishes the request under way, then exits 0 in time', async () => {
    app = await start({ GRACEFUL_SHUTDOWN_TIMEOUT: '20', GRACEFUL_SHUTDOWN_DELAY: '1' });
    const running = app;
    await expect(fetch(`${running.url}/health/ready`)).resolves.toMatchObject({ status: 200 });

    const finished: string[] = [];
    const login = slowLogin(running).then((response) => {
      finished.push('login');
      return response;
    });
    // Let the request reach the hash before the signal.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const signalledAt = Date.now();
    running.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 200));

    // A kept-alive client is told to close: the next request opens a new connection.
    const ready = await fetch(`${running.url}/health/ready`);
    finished.push('readiness');
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'unhealthy' });
    expect(ready.headers.get('connection')).toBe('close');

    const response = await login;
    expect(response.status).toBe(200);
    expect(await response.json()).toHaveProperty('access_token');
    expect(finished).toEqual(['readiness', 'login']);

    const { code, at } = await running.exited;
    expect(code).toBe(0);
    expect(at - signalledAt).toBeLessThan(20_000);
    expect(running.output()).toContain('"event":"shutdown_started","signal":"SIGTERM"');
    expect(running.output()).toContain('"event":"shutdown_completed"');
    // The listener is gone with the process.
    await expect(fetch(`${running.url}/health/live`)).rejects.toThrow();
  }, 120_000);

  it('forces the exit, and says so, when requests outlast GRACEFUL_SHUTDOWN_TIMEOUT', async () => {
    app = await start({ GRACEFUL_SHUTDOWN_TIMEOUT: '1', GRACEFUL_SHUTDOWN_DELAY: '0' });
    const running = app;
    const login = slowLogin(running).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const signalledAt = Date.now();
    running.child.kill('SIGTERM');

    const { code, at } = await running.exited;
    await login;
    expect(code).toBe(1);
    expect(at - signalledAt).toBeLessThan(5_000);
    expect(running.output()).toContain('"event":"shutdown_forced","timeout_seconds":1');
  }, 120_000);
});
