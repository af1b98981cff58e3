import { randomBytes } from 'node:crypto';
import type { KeyValueStore } from '@app/cache';

/**
 * One behaviour table for every KeyValueStore: the in-memory store must behave exactly like
 * the Redis one it stands in for.
 */
export interface StoreHarness {
  create(): Promise<KeyValueStore>;
  /** Lets `seconds` pass for the store's expiry clock. */
  elapse(seconds: number): Promise<void>;
}

export function behavesLikeAKeyValueStore(harness: StoreHarness): void {
  let store: KeyValueStore;
  let key: (name: string) => string;

  beforeEach(async () => {
    store = await harness.create();
    const test = randomBytes(4).toString('hex');
    key = (name) => `${test}:${name}`;
  });

  afterEach(async () => {
    await store.close();
  });

  it('answers null for a key never set', async () => {
    await expect(store.get(key('missing'))).resolves.toBeNull();
  });

  it('returns what was set, and the latest value after an overwrite', async () => {
    await store.set(key('a'), 'first', 60);
    await expect(store.get(key('a'))).resolves.toBe('first');

    await store.set(key('a'), 'second', 60);
    await expect(store.get(key('a'))).resolves.toBe('second');
  });

  it('forgets a key once its ttl has passed', async () => {
    await store.set(key('short'), 'value', 1);
    await store.set(key('long'), 'value', 60);

    await harness.elapse(0.4);
    await expect(store.get(key('short'))).resolves.toBe('value');

    await harness.elapse(0.8);
    await expect(store.get(key('short'))).resolves.toBeNull();
    await expect(store.get(key('long'))).resolves.toBe('value');
  });

  it('reads several keys at once, in order, with null for the missing ones', async () => {
    await store.set(key('one'), '1', 60);
    await store.set(key('three'), '3', 60);

    await expect(store.getMany([key('one'), key('two'), key('three')])).resolves.toEqual([
      '1',
      null,
      '3',
    ]);
  });

  it('reads keys with and without a shared hash tag together, in order', async () => {
    const tagged = (name: string) => key(`{tag}:${name}`);
    await store.set(tagged('a'), 'a', 60);
    await store.set(tagged('b'), 'b', 60);
    await store.set(key('plain'), 'plain', 60);

    await expect(
      store.getMany([tagged('a'), key('plain'), tagged('missing'), tagged('b'), key('none')]),
    ).resolves.toEqual(['a', 'plain', null, 'b', null]);
  });

  it('reads an empty list of keys as an empty list', async () => {
    await expect(store.getMany([])).resolves.toEqual([]);
  });

  it('sets a key only when absent, and only the first caller wins', async () => {
    await expect(store.setIfAbsent(key('once'), 'first', 60)).resolves.toBe(true);
    await expect(store.setIfAbsent(key('once'), 'second', 60)).resolves.toBe(false);

    await expect(store.get(key('once'))).resolves.toBe('first');
  });

  it('lets setIfAbsent succeed again after expiry or delete', async () => {
    await store.setIfAbsent(key('expiring'), 'first', 1);
    await store.setIfAbsent(key('deleted'), 'first', 60);

    await harness.elapse(1.2);
    await store.delete(key('deleted'));

    await expect(store.setIfAbsent(key('expiring'), 'again', 60)).resolves.toBe(true);
    await expect(store.setIfAbsent(key('deleted'), 'again', 60)).resolves.toBe(true);
  });

  it('counts up within a window', async () => {
    const counts = [];
    for (let i = 0; i < 3; i++) counts.push(await store.increment(key('counter'), 60));

    expect(counts).toEqual([1, 2, 3]);
    await expect(store.get(key('counter'))).resolves.toBe('3');
  });

  it('starts the window at the first increment; later ones do not extend it', async () => {
    await expect(store.increment(key('window'), 1)).resolves.toBe(1);
    await harness.elapse(0.6);
    await expect(store.increment(key('window'), 1)).resolves.toBe(2);

    await harness.elapse(0.6);
    await expect(store.increment(key('window'), 1)).resolves.toBe(1);
  });

  it('counts within a window and tells how long the window has left', async () => {
    const first = await store.incrementInWindow(key('limited'), 60);
    await harness.elapse(0.6);
    const second = await store.incrementInWindow(key('limited'), 60);

    expect(first).toEqual({ count: 1, remainingMs: expect.any(Number) });
    expect(first.remainingMs).toBeGreaterThan(59_000);
    expect(first.remainingMs).toBeLessThanOrEqual(60_000);
    expect(second.count).toBe(2);
    expect(second.remainingMs).toBeLessThan(first.remainingMs);
  });

  it('deletes a key, and deleting a missing key is harmless', async () => {
    await store.set(key('gone'), 'value', 60);

    await store.delete(key('gone'));
    await store.delete(key('never-there'));

    await expect(store.get(key('gone'))).resolves.toBeNull();
  });

  it('answers a ping', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
  });
}
