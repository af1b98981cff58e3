import { readFileSync, readdirSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { setPriority } from 'node:os';

/** The name libuv gives the threads of its pool (Linux shows it in /proc). */
const POOL_THREAD_NAME = 'libuv-worker';

/**
 * Lowers the CPU priority of libuv's thread pool, where bcrypt hashes (`niceness` 0-19; higher
 * is lower). When hashing and requests compete for the cores, in a login flood, the event loop,
 * which answers every other request, runs first, and the hashes take the rest: a flood slows
 * sign-ins, not token checks. On Linux a thread has a nice value of its own; elsewhere, or where
 * the system refuses, nothing changes. Returns the number of threads changed.
 */
export async function lowerThreadPoolPriority(niceness: number): Promise<number> {
  // libuv starts every thread of its pool at the first task given to it.
  await stat('/');
  let threads: string[];
  try {
    threads = readdirSync('/proc/self/task');
  } catch {
    return 0;
  }
  let changed = 0;
  for (const thread of threads) {
    try {
      if (readFileSync(`/proc/self/task/${thread}/comm`, 'utf8').trim() !== POOL_THREAD_NAME) {
        continue;
      }
      setPriority(Number(thread), niceness);
      changed += 1;
    } catch {
      // The thread has ended, or the system refuses: it keeps its priority.
    }
  }

  return changed;
}
