import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');
const SERVICE = join(ROOT, 'dist/apps/auth-service/src/main.js');
const SECRET = 'short-secret-VALUE';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a built entry point with exactly `env` (plus PATH), as an operator would. */
function runNode(script: string, args: string[], env: Record<string, string>, cwd: string) {
  return new Promise<Run>((done, fail) => {
    const child = spawn(process.execPath, [script, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

const LOCK = join(
  tmpdir(),
  `fm-auth-build-${createHash('sha256').update(ROOT).digest('hex').slice(0, 12)}.lock`,
);

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Brings dist/ up to date. `nest build` empties dist/ first, so test files that run the build
 * take turns through a lock file; the later one then finds dist/ current and builds nothing.
 */
async function buildIfStale(): Promise<void> {
  for (;;) {
    try {
      writeFileSync(LOCK, String(process.pid), { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(readFileSync(LOCK, 'utf8'));
      const abandoned = owner ? !isRunning(owner) : Date.now() - statSync(LOCK).mtimeMs > 600_000;
      if (abandoned) rmSync(LOCK, { force: true });
      else await new Promise((resolveWait) => setTimeout(resolveWait, 250));
    }
  }
  try {
    const build = await runNode('scripts/build-if-stale.mjs', [], {}, ROOT);
    if (build.code !== 0) throw new Error(`build failed:\n${build.stdout}\n${build.stderr}`);
  } finally {
    rmSync(LOCK, { force: true });
  }
}

describe('the built service started with ENVIRONMENT=production', () => {
  beforeAll(async () => {
    await buildIfStale();
  }, 300_000);

  const start = (env: Record<string, string>) =>
    runNode(SERVICE, [], { ENVIRONMENT: 'production', ...env }, ROOT);

  it('refuses to start with only a short JWT_SECRET_KEY, naming every problem', async () => {
    const result = await start({ JWT_SECRET_KEY: SECRET });

    expect(result.code).toBe(1);
    for (const problem of [
      'POSTGRES_HOST is required',
      'POSTGRES_PASSWORD is required',
      'REDIS_HOST is required',
      'REDIS_PASSWORD is required',
      'CORS_ORIGINS is required',
      'JWT_SECRET_KEY must be at least 64 characters',
    ]) {
      expect(result.stderr).toContain(problem);
    }
    expect(result.stderr).toContain('The service did not start.');
    expect(result.stderr).not.toContain(SECRET);
    expect(result.stdout).not.toContain(SECRET);
  });

  it('names unsafe and invalid values without printing any secret', async () => {
    const secrets = {
      JWT_SECRET_KEY: SECRET,
      POSTGRES_PASSWORD: 'postgres-secret-VALUE',
      REDIS_PASSWORD: 'redis-secret-VALUE',
      ADMIN_PASSWORD: 'admin-secret-VALUE',
    };
    const result = await start({
      ...secrets,
      POSTGRES_HOST: '127.0.0.1',
      REDIS_HOST: '127.0.0.1',
      CORS_ORIGINS: '*',
      PASSWORD_MIN_LENGTH: '8',
      PORT: 'abc',
    });

    expect(result.code).toBe(1);
    for (const name of ['CORS_ORIGINS', 'PASSWORD_MIN_LENGTH', 'PORT', 'JWT_SECRET_KEY']) {
      expect(result.stderr).toContain(name);
    }
    expect(result.stderr).not.toContain('POSTGRES_HOST is required');
    for (const value of Object.values(secrets)) {
      expect(result.stderr).not.toContain(value);
      expect(result.stdout).not.toContain(value);
    }
  });
});
