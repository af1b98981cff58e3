import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { KEY_VALUE_STORE, KeyValueStore, RedisStore } from '@app/cache';
import { Metrics, PoolSnapshot } from '@app/observability';

/**
 * Reports the PostgreSQL pool and the Redis connection at scrape time, read from the live
 * objects rather than counted, so the numbers cannot drift.
 */
@Injectable()
export class DependencyMetrics implements OnModuleInit {
  constructor(
    private readonly metrics: Metrics,
    private readonly dataSource: DataSource,
    @Inject(KEY_VALUE_STORE) private readonly store: KeyValueStore,
  ) {}

  onModuleInit(): void {
    this.metrics.observeDatabasePool(() => this.pool());
    const store = this.store;
    this.metrics.observeStoreConnection(() =>
      // The in-memory store lives in the process: it is always there.
      store instanceof RedisStore ? store.client.status === 'ready' : true,
    );
  }

  private pool(): PoolSnapshot | undefined {
    if (!this.dataSource.isInitialized) return undefined;
    // TypeORM's PostgreSQL driver keeps its pg Pool as `master` (typed `any` by TypeORM).
    const pool = (this.dataSource.driver as { master?: Pool }).master;
    if (!pool) return undefined;

    return { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount };
  }
}
