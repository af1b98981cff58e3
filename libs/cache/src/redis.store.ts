import { Cluster, Redis, RedisOptions } from 'ioredis';
import type { RedisMode, RedisNode, RedisTlsConfig } from '@app/config';
import { KeyValueStore, StoreUnavailableError, WindowCount } from './key-value-store';

/** INCR that starts the expiry window on the first hit, atomically. */
const INCREMENT_IN_WINDOW = `
local value = redis.call('INCR', KEYS[1])
if value == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return value`;

/**
 * The same, also returning the window's remaining milliseconds. A key left without expiry (it
 * cannot happen through this script, but a manual write could) gets the window again rather
 * than counting forever.
 */
const INCREMENT_IN_WINDOW_WITH_TTL = `
local value = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if value == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {value, ttl}`;

type WindowCommands = {
  incrementInWindow(key: string, window: number): Promise<number>;
  incrementInWindowWithTtl(key: string, windowMs: number): Promise<[number, number]>;
};

export interface RedisStoreOptions {
  /** Default: standalone. */
  mode?: RedisMode;
  /** Standalone: the server; cluster: the seed used when `cluster.nodes` is empty. */
  host?: string;
  port: number;
  username?: string;
  password?: string;
  db: number;
  keyPrefix: string;
  tls?: RedisTlsConfig;
  sentinel?: { nodes: RedisNode[]; masterName: string; password?: string };
  cluster?: { nodes: RedisNode[] };
}

/** Short timeouts and no offline queue: a request that needs the store never waits long. */
const TIMEOUT_MS = 2000;
const reconnectDelay = (attempt: number): number => Math.min(attempt * 200, 2000);

/**
 * The key part Redis Cluster hashes to pick a slot: the content of the first `{...}` when not
 * empty, else the whole key. Keys with the same tag are always in the same slot.
 */
export function hashTagOf(key: string): string {
  const open = key.indexOf('{');
  const close = open === -1 ? -1 : key.indexOf('}', open + 1);

  return close > open + 1 ? key.slice(open + 1, close) : key;
}

/**
 * Redis-backed store: one server, a master found through Sentinel, or a Redis Cluster.
 * Commands fail fast while Redis is unreachable (no offline queue), so a request that needs
 * the store gets a quick 503 instead of hanging, and the client reconnects in the background
 * so service resumes without a restart.
 *
 * Cluster safety: every command here touches one key, except `getMany`, which in cluster mode
 * sends one MGET per hash slot group (see there). The Lua scripts take exactly one key.
 */
export class RedisStore implements KeyValueStore {
  readonly client: Redis | Cluster;
  private readonly keyPrefix: string;

  constructor(options: RedisStoreOptions) {
    this.keyPrefix = options.keyPrefix;
    this.client = createClient(options);
    // Connection errors surface through commands and the health check; without a listener
    // ioredis would print each reconnect failure as an unhandled error event.
    this.client.on('error', () => undefined);
    this.client.on('node error', () => undefined);
    this.client.defineCommand('incrementInWindow', { numberOfKeys: 1, lua: INCREMENT_IN_WINDOW });
    this.client.defineCommand('incrementInWindowWithTtl', {
      numberOfKeys: 1,
      lua: INCREMENT_IN_WINDOW_WITH_TTL,
    });
  }

  async connect(): Promise<void> {
    await this.client.connect().catch(() => undefined);
  }

  get(key: string): Promise<string | null> {
    return this.run(() => this.client.get(key));
  }

  async getMany(keys: string[]): Promise<(string | null)[]> {
    // MGET with no key is a Redis syntax error, which would surface as "store unavailable".
    if (keys.length === 0) return [];

    if (!(this.client instanceof Cluster)) return this.run(() => this.client.mget(keys));

    // MGET across slots is refused in a cluster (CROSSSLOT). Callers give keys they read
    // together a shared hash tag (RevocationKeys), so this is usually one MGET per tag, sent in
    // parallel. The tag is taken from the key as Redis sees it, prefix included.
    const groups = new Map<string, number[]>();
    keys.forEach((key, index) => {
      const tag = hashTagOf(this.keyPrefix + key);
      groups.set(tag, [...(groups.get(tag) ?? []), index]);
    });
    const cluster = this.client;
    const values: (string | null)[] = new Array<string | null>(keys.length).fill(null);
    await this.run(() =>
      Promise.all(
        [...groups.values()].map(async (indexes) => {
          const found = await cluster.mget(indexes.map((index) => keys[index]));
          indexes.forEach((index, position) => (values[index] = found[position]));
        }),
      ),
    );

    return values;
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    await this.run(() => this.client.set(key, value, 'EX', Math.max(1, Math.ceil(ttlSeconds))));
  }

  async setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    const ttl = Math.max(1, Math.ceil(ttlSeconds));
    const result = await this.run(() => this.client.set(key, value, 'EX', ttl, 'NX'));

    return result === 'OK';
  }

  async increment(key: string, windowSeconds: number): Promise<number> {
    const client = this.client as unknown as WindowCommands;

    return this.run(() => client.incrementInWindow(key, Math.max(1, Math.ceil(windowSeconds))));
  }

  async incrementInWindow(key: string, windowSeconds: number): Promise<WindowCount> {
    const client = this.client as unknown as WindowCommands;
    const windowMs = Math.max(1000, Math.ceil(windowSeconds * 1000));
    const [count, remainingMs] = await this.run(() =>
      client.incrementInWindowWithTtl(key, windowMs),
    );

    return { count, remainingMs };
  }

  async delete(key: string): Promise<void> {
    await this.run(() => this.client.del(key));
  }

  /**
   * In cluster mode, healthy means every master answers and the cluster serves all its slots:
   * a cluster missing one master still answers a PING on the others.
   */
  async ping(): Promise<void> {
    const client = this.client;
    if (!(client instanceof Cluster)) {
      await this.run(() => client.ping());
      return;
    }
    await this.run(async () => {
      const masters = client.nodes('master');
      if (client.status !== 'ready' || masters.length === 0) throw new Error('Cluster not ready');
      await Promise.all(masters.map((node) => node.ping()));
      const info = await client.cluster('INFO');
      if (!info.includes('cluster_state:ok')) throw new Error('Cluster state is not ok');
    });
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }

  private async run<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      throw new StoreUnavailableError(error);
    }
  }
}

function createClient(options: RedisStoreOptions): Redis | Cluster {
  // Verification stays on: rejectUnauthorized is never set, so Node.js defaults to true.
  const tls = options.tls && {
    ca: options.tls.ca,
    cert: options.tls.cert,
    key: options.tls.key,
    servername: options.tls.servername,
  };
  const connection = {
    username: options.username || undefined,
    password: options.password || undefined,
    tls,
    maxRetriesPerRequest: 1,
    connectTimeout: TIMEOUT_MS,
    commandTimeout: TIMEOUT_MS,
  } satisfies RedisOptions;

  switch (options.mode ?? 'standalone') {
    case 'standalone':
      return new Redis({
        ...connection,
        host: options.host,
        port: options.port,
        db: options.db,
        keyPrefix: options.keyPrefix,
        enableOfflineQueue: false,
        retryStrategy: reconnectDelay,
        lazyConnect: true,
      });
    case 'sentinel':
      return new Redis({
        ...connection,
        sentinels: options.sentinel?.nodes,
        name: options.sentinel?.masterName,
        sentinelPassword: options.sentinel?.password || undefined,
        enableTLSForSentinelMode: tls !== undefined,
        sentinelTLS: tls,
        sentinelCommandTimeout: TIMEOUT_MS,
        sentinelRetryStrategy: reconnectDelay,
        // Learn of a failover from the Sentinels at once instead of at the next lost command.
        failoverDetector: true,
        // A master demoted by a failover answers writes with READONLY: reconnect, which asks
        // the Sentinels for the new master, and send the command again.
        reconnectOnError: (error) => (error.message.startsWith('READONLY') ? 2 : false),
        db: options.db,
        keyPrefix: options.keyPrefix,
        enableOfflineQueue: false,
        retryStrategy: reconnectDelay,
        lazyConnect: true,
      });
    case 'cluster': {
      const seeds = options.cluster?.nodes.length
        ? options.cluster.nodes
        : [{ host: options.host ?? '127.0.0.1', port: options.port }];

      return new Cluster(seeds, {
        redisOptions: connection,
        keyPrefix: options.keyPrefix,
        enableOfflineQueue: false,
        clusterRetryStrategy: reconnectDelay,
        slotsRefreshTimeout: TIMEOUT_MS,
        lazyConnect: true,
      });
    }
  }
}
