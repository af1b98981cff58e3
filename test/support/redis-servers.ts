import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis, RedisOptions } from 'ioredis';

/**
 * Throwaway Redis servers for the tests of the store's deployment modes: Debian's
 * redis-server on free loopback ports, each in a temp dir, stopped (by their own PID) and
 * removed afterwards. Never the machine's own Redis.
 */
export const REDIS_SERVER = '/usr/bin/redis-server';

/**
 * CI installs redis-server and sets CI, so there its absence is a failure; on a developer's
 * machine without it these suites are skipped with a note, so `npm test` still passes.
 */
export function describeWithRedisServer(name: string, body: () => void): void {
  if (existsSync(REDIS_SERVER)) {
    describe(name, body);
    return;
  }
  if (process.env.CI) {
    describe(name, () => {
      it('needs redis-server', () => {
        throw new Error(`${REDIS_SERVER} is missing: apt-get install -y redis-server`);
      });
    });
    return;
  }
  process.stderr.write(`Skipping "${name}": ${REDIS_SERVER} is missing.\n`);
  describe.skip(name, body);
}

export interface RedisServer {
  port: number;
  dir: string;
  /** What the server printed, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 10_000;

/** A loopback port free now; with `busOffset`, port + offset is free too (the cluster bus). */
export async function freePort(busOffset?: number): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await listenOnce(0);
    if (busOffset === undefined) return port;
    if (port + busOffset <= 65535 && (await listenOnce(port + busOffset).catch(() => 0))) {
      return port;
    }
  }
  throw new Error('No free loopback port pair found');
}

function listenOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const { port: bound } = server.address() as { port: number };
      server.close(() => resolve(bound));
    });
  });
}

/**
 * Starts redis-server with `args` (after a config file, when given) and waits until its port
 * accepts connections. `port` is where it listens (the TLS port for a TLS-only server).
 */
export async function startRedisServer(
  port: number,
  args: string[],
  configFile?: (dir: string) => string,
): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), 'fm-redis-'));
  const config: string[] = [];
  if (configFile) {
    const path = join(dir, 'redis.conf');
    await writeFile(path, configFile(dir));
    config.push(path);
  }
  const child = spawn(
    REDIS_SERVER,
    [...config, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));

  const server: RedisServer = {
    port,
    dir,
    output: () => output,
    stop: async () => {
      await stopProcess(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await server.stop();
      throw new Error(`redis-server did not start on port ${port}:\n${output}`);
    }
    await sleep(50);
  }

  return server;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Retries `check` every 100 ms until it returns true, for at most `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Runs `work` with a plain admin connection, closed afterwards. */
export async function withAdmin<T>(
  options: RedisOptions,
  work: (admin: Redis) => Promise<T>,
): Promise<T> {
  const admin = new Redis({ host: '127.0.0.1', maxRetriesPerRequest: 1, ...options });
  admin.on('error', () => undefined);
  try {
    return await work(admin);
  } finally {
    admin.disconnect();
  }
}

export interface RedisCluster {
  nodes: RedisServer[];
  stop(): Promise<void>;
}

const CLUSTER_SLOTS = 16384;

/**
 * Three masters, no replicas, slots split evenly, joined with CLUSTER MEET: what
 * `redis-cli --cluster create` does, without needing redis-cli.
 */
export async function startRedisCluster(size = 3): Promise<RedisCluster> {
  const nodes: RedisServer[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((node) => node.stop()));
  };
  try {
    for (let index = 0; index < size; index++) {
      const port = await freePort(10_000);
      nodes.push(
        await startRedisServer(port, [
          '--port',
          String(port),
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          'nodes.conf',
          '--cluster-node-timeout',
          '1000',
        ]),
      );
    }
    const share = Math.ceil(CLUSTER_SLOTS / size);
    for (const [index, node] of nodes.entries()) {
      const first = index * share;
      const last = Math.min(CLUSTER_SLOTS, first + share) - 1;
      await withAdmin({ port: node.port }, async (admin) => {
        await admin.call('CLUSTER', 'ADDSLOTSRANGE', first, last);
        for (const other of nodes.filter((candidate) => candidate !== node)) {
          await admin.call('CLUSTER', 'MEET', '127.0.0.1', other.port);
        }
      });
    }
    for (const node of nodes) {
      await waitFor(`cluster node ${node.port} to be ok`, () =>
        withAdmin({ port: node.port }, async (admin) => {
          const info = String(await admin.call('CLUSTER', 'INFO'));
          return info.includes('cluster_state:ok') && info.includes(`cluster_known_nodes:${size}`);
        }),
      );
    }
  } catch (error) {
    await stop();
    throw error;
  }

  return { nodes, stop };
}
