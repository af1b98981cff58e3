import { join } from 'node:path';
import { Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { KEY_VALUE_STORE, KeyValueStore } from './key-value-store';
import { MemoryStore } from './memory.store';
import { RedisStore } from './redis.store';

async function createStore(config: AppConfig): Promise<KeyValueStore> {
  const logger = new Logger('CacheModule');
  if (!config.redis.enabled) {
    logger.log('REDIS_HOST is not set: using the in-memory store (single instance only)');
    return new MemoryStore({
      persistPath: config.dataDir === 'memory' ? undefined : join(config.dataDir, 'store.json'),
    });
  }
  const store = new RedisStore(config.redis);
  await store.connect();

  return store;
}

@Global()
@Module({
  providers: [{ provide: KEY_VALUE_STORE, inject: [APP_CONFIG], useFactory: createStore }],
  exports: [KEY_VALUE_STORE],
})
export class CacheModule implements OnApplicationShutdown {
  constructor(@Inject(KEY_VALUE_STORE) private readonly store: KeyValueStore) {}

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}
