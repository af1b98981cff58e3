import { ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer as createNetServer } from 'node:net';
import { join, resolve } from 'node:path';

/** The repository root, where dist/ and the npm scripts live. */
export const ROOT = resolve(__dirname, '../..');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a built entry point with exactly `env` (plus PATH), as an operator would. */
export function runNode(script: string, args: string[], env: Record<string, string>, cwd: string) {
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
export async function buildIfStale(): Promise<void> {
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

export interface RunningApp {
  child: ChildProcess;
  /** Base URL of the API port, e.g. http://127.0.0.1:40123. */
  url: string;
  /** Everything the process has written to stdout so far. */
  output(): string;
  /** Resolves when the process ends, with its exit code and when it ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  stop(): void;
}

/** A port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createNetServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolvePort(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * Starts the built service (`dist/`) as `npm start` would, on 127.0.0.1 and a free port, with
 * exactly `env` (plus PATH), and waits until it answers /health/live.
 */
export async function startBuiltApp(env: Record<string, string>, cwd: string): Promise<RunningApp> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(ROOT, 'dist/apps/auth-service/src/main.js')], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>(
    (done) => child.on('exit', (code, signal) => done({ code, signal, at: Date.now() })),
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  let ended = false;
  void exited.then(() => (ended = true));
  for (;;) {
    if (ended) throw new Error(`the service exited during start-up:\n${stdout}\n${stderr}`);
    const live = await fetch(`${url}/health/live`).catch(() => undefined);
    if (live?.ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the service did not start:\n${stdout}\n${stderr}`);
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 200));
  }

  return {
    child,
    url,
    output: () => stdout,
    exited,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
