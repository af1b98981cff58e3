import { StoreUnavailableError } from './key-value-store';
import { RedisStore, hashTagOf } from './redis.store';

describe('RedisStore without a reachable server', () => {
  // Port 1 on loopback: nothing listens there, so every connection is refused.
  const store = new RedisStore({
    host: '127.0.0.1',
    port: 1,
    db: 0,
    keyPrefix: 'fm-auth-test:none:',
  });

  afterAll(async () => {
    await store.close();
    // ioredis arms a 2-second timer to destroy a socket that refused to connect; let it run
    // out so the worker exits cleanly.
    await new Promise((resolve) => setTimeout(resolve, 2_100));
  });

  it('refuses quickly even before connect() is called', async () => {
    const started = Date.now();

    await expect(store.get('key')).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('starts without throwing', async () => {
    await expect(store.connect()).resolves.toBeUndefined();
  });

  it.each([
    ['get', (s: RedisStore) => s.get('key')],
    ['getMany', (s: RedisStore) => s.getMany(['a', 'b'])],
    ['set', (s: RedisStore) => s.set('key', 'value', 60)],
    ['setIfAbsent', (s: RedisStore) => s.setIfAbsent('key', 'value', 60)],
    ['increment', (s: RedisStore) => s.increment('key', 60)],
    ['incrementInWindow', (s: RedisStore) => s.incrementInWindow('key', 60)],
    ['delete', (s: RedisStore) => s.delete('key')],
    ['ping', (s: RedisStore) => s.ping()],
  ])('refuses %s quickly with StoreUnavailableError', async (_name, command) => {
    await store.connect();
    const started = Date.now();

    await expect(command(store)).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe('hashTagOf', () => {
  it.each([
    ['fm:revoked:{sid:s1}:jti:t1', 'sid:s1'],
    ['fm:revoked:{sid:s1}', 'sid:s1'],
    ['fm:{a}{b}', 'a'],
    ['fm:{}{b}', 'fm:{}{b}'],
    ['fm:{open', 'fm:{open'],
    ['fm:plain', 'fm:plain'],
    ['fm:}{x}', 'x'],
  ])('hashes %j by %j, as Redis Cluster does', (key, tag) => {
    expect(hashTagOf(key)).toBe(tag);
  });
});
