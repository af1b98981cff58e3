import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
