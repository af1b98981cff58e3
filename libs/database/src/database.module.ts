import {
  Global,
  Inject,
  Logger,
  Module,
  OnApplicationShutdown,
  OnModuleInit,
} from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, DataSourceOptions, MigrationExecutor } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@app/config';
import { buildDataSourceOptions } from './data-source-options';
import { EmbeddedPostgres } from './embedded-postgres';
import { ReadReplica } from './read-replica';

/** Arbitrary but fixed key of the advisory lock that serialises start-up migrations. */
const MIGRATION_LOCK_ID = 7_301_942_118;

/** Provides the embedded PostgreSQL when POSTGRES_HOST is unset, or null. */
@Module({
  providers: [
    {
      provide: EmbeddedPostgres,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig): EmbeddedPostgres | null =>
        config.database.host ? null : new EmbeddedPostgres(config.dataDir),
    },
  ],
  exports: [EmbeddedPostgres],
})
class EmbeddedPostgresModule implements OnApplicationShutdown {
  constructor(@Inject(EmbeddedPostgres) private readonly embedded: EmbeddedPostgres | null) {}

  async onApplicationShutdown(): Promise<void> {
    await this.embedded?.stop();
  }
}

/** The servers could not be reached at start-up; says which ones and how, never credentials. */
export class DatabaseConnectionError extends Error {
  constructor(options: DataSourceOptions, cause: unknown) {
    super(
      `Could not connect to PostgreSQL (${describeServers(options)}): ` +
        // Not `instanceof Error`: errors from Node's TLS layer may come from another realm.
        (typeof cause === 'object' && cause !== null && 'message' in cause
          ? String(cause.message)
          : String(cause)),
    );
    this.name = 'DatabaseConnectionError';
  }
}

function describeServers(options: DataSourceOptions): string {
  if (options.type !== 'postgres') return options.type;
  type Server = { host?: string; port?: number; ssl?: unknown };
  const describe = (server: Server) =>
    `${server.host}:${server.port}${server.ssl ? ' over TLS' : ''}`;
  if (!options.replication) return `primary ${describe(options)}`;

  const replicas = options.replication.slaves.map(describe).join(', ');

  return `primary ${describe(options.replication.master)}, replicas ${replicas}`;
}

/**
 * The TypeORM connection, and ReadReplica for the reads that may go to a replica. Applies
 * pending migrations at start-up when RUN_MIGRATIONS_ON_START allows it (the default outside
 * production; production runs them as a separate step).
 */
@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      imports: [EmbeddedPostgresModule],
      inject: [APP_CONFIG, EmbeddedPostgres],
      useFactory: async (config: AppConfig, embedded: EmbeddedPostgres | null) => ({
        ...buildDataSourceOptions(config, embedded ? await embedded.start() : undefined),
        autoLoadEntities: true,
        retryAttempts: 0,
      }),
      dataSourceFactory: async (options?: DataSourceOptions) => {
        const dataSource = new DataSource(options!);
        try {
          return await dataSource.initialize();
        } catch (error) {
          throw new DatabaseConnectionError(options!, error);
        }
      },
    }),
  ],
  providers: [ReadReplica],
  exports: [ReadReplica],
})
export class DatabaseModule implements OnModuleInit {
  private readonly logger = new Logger(DatabaseModule.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
  ) {}

  async onModuleInit(): Promise<void> {
    this.warnAboutPlaintext();
    if (!this.config.startup.runMigrations) return;
    // Several instances may start at once against one server: a session-level advisory lock
    // lets one migrate while the others wait, then find nothing pending. The embedded
    // database has a single connection and a single process, so it needs no lock.
    const lock = this.config.database.host ? this.dataSource.createQueryRunner() : undefined;
    try {
      await lock?.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
      // The migrations run on the connection that holds the lock: with POSTGRES_POOL_SIZE=1
      // a second one would never come, and the instance would never start.
      const executor = new MigrationExecutor(this.dataSource, lock);
      executor.transaction = 'each';
      const applied = await executor.executePendingMigrations();
      if (applied.length > 0) {
        this.logger.log(
          `Applied ${applied.length} migration(s): ${applied.map((m) => m.name).join(', ')}`,
        );
      }
    } finally {
      await lock
        ?.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID])
        .catch(() => undefined);
      await lock?.release();
    }
  }

  /**
   * TLS stays opt-in so that a database on the same host or in a sidecar keeps working, but a
   * production database across the network without it deserves a line in the log.
   */
  private warnAboutPlaintext(): void {
    const { host, tls } = this.config.database;
    if (!this.config.isProduction || tls.mode !== 'disable' || !host) return;
    if (['localhost', '127.0.0.1', '::1'].includes(host) || host.startsWith('/')) return;
    this.logger.warn(
      'POSTGRES_SSL_MODE is disable: traffic to PostgreSQL is not encrypted; set ' +
        'POSTGRES_SSL_CA_FILE (verify-full) or POSTGRES_SSL_MODE',
    );
  }
}
