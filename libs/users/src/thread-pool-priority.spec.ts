import { readFileSync, readdirSync } from 'node:fs';
import { lowerThreadPoolPriority } from './thread-pool-priority';

/** Name and nice value of every thread of this process (fields 2 and 19 of its stat). */
function threads(): { name: string; nice: number }[] {
  return readdirSync('/proc/self/task').map((thread) => {
    const stat = readFileSync(`/proc/self/task/${thread}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return {
      name: readFileSync(`/proc/self/task/${thread}/comm`, 'utf8').trim(),
      nice: Number(fields[16]),
    };
  });
}

const linux = process.platform === 'linux' ? describe : describe.skip;

linux('lowerThreadPoolPriority', () => {
  it("lowers the priority of libuv's pool threads and of no other thread", async () => {
    const changed = await lowerThreadPoolPriority(10);

    const pool = threads().filter((thread) => thread.name === 'libuv-worker');
    const others = threads().filter((thread) => thread.name !== 'libuv-worker');
    expect(changed).toBe(pool.length);
    expect(pool.length).toBeGreaterThan(0);
    expect(pool.every((thread) => thread.nice === 10)).toBe(true);
    expect(others.find((thread) => thread.name === 'MainThread')?.nice).toBe(0);
  });
});
