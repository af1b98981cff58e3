import { Redis, RedisOptions } from 'ioredis';
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

type WindowCommands = Redis & {
  incrementInWindow(key: string, window: number): Promise<number>;
  incrementInWindowWithTtl(key: string, windowMs: number): Promise<[number, number]>;
};

export interface RedisStoreOptions {
  host: string;
  port: number;
  password?: string;
  db: number;
  keyPrefix: string;
}

/**
 * Redis-backed store. Commands fail fast while Redis is unreachable (no offline queue), so a
 * request that needs the store gets a quick 503 instead of hanging, and the client reconnects
 * in the background so service resumes without a restart.
 */
export class RedisStore implements KeyValueStore {
  readonly client: Redis;

  constructor(options: RedisStoreOptions) {
    const redisOptions: RedisOptions = {
      host: options.host,
      port: options.port,
      password: options.password || undefined,
      db: options.db,
      keyPrefix: options.keyPrefix,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      commandTimeout: 2000,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
      lazyConnect: true,
    };
    this.client = new Redis(redisOptions);
    // Connection errors surface through commands and the health check; without a listener
    // ioredis would print each reconnect failure as an unhandled error event.
    this.client.on('error', () => undefined);
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

    return this.run(() => this.client.mget(keys));
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
    const client = this.client as WindowCommands;

    return this.run(() => client.incrementInWindow(key, Math.max(1, Math.ceil(windowSeconds))));
  }

  async incrementInWindow(key: string, windowSeconds: number): Promise<WindowCount> {
    const client = this.client as WindowCommands;
    const windowMs = Math.max(1000, Math.ceil(windowSeconds * 1000));
    const [count, remainingMs] = await this.run(() =>
      client.incrementInWindowWithTtl(key, windowMs),
    );

    return { count, remainingMs };
  }

  async delete(key: string): Promise<void> {
    await this.run(() => this.client.del(key));
  }

  async ping(): Promise<void> {
    await this.run(() => this.client.ping());
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
