import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

/** A connection to one replica, held until `release` (which may be called more than once). */
export interface ReplicaLease {
  manager: EntityManager;
  release(): Promise<void>;
}

/**
 * The one way a query reaches a read replica. Every other query, including TypeORM's own
 * `find` and query builders (replication `defaultMode` is `master`), goes to the primary.
 *
 * Only lag-tolerant reads belong here: admin listings and audit reads, never anything that
 * decides who may do what (sign-in, token and session checks, permissions, MFA, SSO) and never
 * a read that a write depends on. A replica may be seconds behind; a member added a moment ago
 * may be missing from a listing, which is acceptable, while a revoked session still being
 * accepted would not be.
 *
 * Without POSTGRES_REPLICA_HOSTS (and always on the embedded database) it hands out the
 * primary's manager.
 */
@Injectable()
export class ReadReplica {
  constructor(private readonly dataSource: DataSource) {}

  /** Whether replicas are configured; false means reads here run on the primary. */
  get enabled(): boolean {
    return this.dataSource.driver.isReplicated;
  }

  /** Runs `work` on one replica connection (picked at random), released afterwards. */
  async read<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const lease = await this.lease();
    try {
      return await work(lease.manager);
    } finally {
      await lease.release();
    }
  }

  /**
   * Holds one replica connection for several reads that must see the same replica, e.g. the
   * batches of a streamed export: two replicas can be at different points of the WAL.
   */
  async lease(): Promise<ReplicaLease> {
    if (!this.enabled) {
      return { manager: this.dataSource.manager, release: () => Promise.resolve() };
    }
    const runner = this.dataSource.createQueryRunner('slave');
    await runner.connect();
    let released: Promise<void> | undefined;

    return { manager: runner.manager, release: () => (released ??= runner.release()) };
  }
}
