import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { behavesLikeAKeyValueStore } from '../../../test/support/key-value-store-contract';
import { MemoryStore } from './memory.store';
import { RedisStore } from './redis.store';

describe('MemoryStore', () => {
  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  behavesLikeAKeyValueStore({
    create: async () => new MemoryStore(),
    elapse: async (seconds) => {
      jest.advanceTimersByTime(seconds * 1000);
    },
  });
});

const describeRedis = process.env.REDIS_HOST ? describe : describe.skip;

describeRedis('RedisStore', () => {
  const prefix = `fm-auth-test:unit:${randomBytes(6).toString('hex')}:`;
  const connection = {
    host: process.env.REDIS_HOST ?? '127.0.0.1',
    port: Number(process.env.REDIS_PORT ?? 6379),
    password: process.env.REDIS_PASSWORD || undefined,
    db: Number(process.env.REDIS_DB ?? 0),
  };

  afterAll(async () => {
    const admin = new Redis({ ...connection, lazyConnect: true });
    try {
      let cursor = '0';
      do {
        const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
        if (keys.length > 0) await admin.del(...keys);
        cursor = next;
      } while (cursor !== '0');
    } finally {
      admin.disconnect();
    }
  });

  behavesLikeAKeyValueStore({
    create: async () => {
      const store = new RedisStore({ ...connection, keyPrefix: prefix });
      await store.connect();

      return store;
    },
    elapse: (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000)),
  });
});
