import { DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '@app/migrations';
import { AppConfig } from '@app/config';
import { EmbeddedEndpoint } from './embedded-postgres';
import { buildPostgresSsl } from './postgres-tls';

type PostgresCredentials = NonNullable<
  Extract<DataSourceOptions, { type: 'postgres' }>['replication']
>['master'];

export const MIGRATIONS_TABLE = 'schema_migrations';

/** `application_name` of the pools, so `pg_stat_activity` tells primary and replica work apart. */
export const PRIMARY_APPLICATION_NAME = 'faultmaven-auth';
export const REPLICA_APPLICATION_NAME = 'faultmaven-auth-replica';

export interface DataSourceBuildOptions {
  /** Open pools to POSTGRES_REPLICA_HOSTS; the migrations CLI has no use for them. */
  replicas?: boolean;
}

/**
 * TypeORM options for the configured PostgreSQL, or for the embedded one at `embedded`.
 * Schema changes only ever come from migrations. Reads the TLS files, so call it once.
 */
export function buildDataSourceOptions(
  config: AppConfig,
  embedded?: EmbeddedEndpoint,
  { replicas = true }: DataSourceBuildOptions = {},
): DataSourceOptions {
  const database = config.database;
  const common = {
    type: 'postgres',
    synchronize: false,
    migrationsRun: false,
    migrations: MIGRATIONS,
    migrationsTableName: MIGRATIONS_TABLE,
    migrationsTransactionMode: 'each',
    logging: false,
    // Schema, extensions included, is the migrations' business; the service's least-privilege
    // role could not create an extension anyway (see scripts/db/create-app-role.sql).
    installExtensions: false,
    extra: {
      max: embedded ? 1 : database.poolSize,
      connectionTimeoutMillis: database.connectTimeoutMs,
      idleTimeoutMillis: 30_000,
    },
  } as const;

  // PGlite speaks neither TLS nor replication.
  if (embedded) {
    return {
      ...common,
      host: embedded.host,
      port: embedded.port,
      username: 'postgres',
      database: 'postgres',
      applicationName: PRIMARY_APPLICATION_NAME,
    };
  }

  const ssl = buildPostgresSsl(database.tls);
  const credentials = (host: string, port: number): PostgresCredentials => ({
    host,
    port,
    username: database.user,
    password: database.password,
    database: database.database,
    ssl,
  });
  const primary = credentials(database.host ?? '127.0.0.1', database.port);
  if (!replicas || database.replicas.length === 0) {
    return { ...common, ...primary, applicationName: PRIMARY_APPLICATION_NAME };
  }

  return {
    ...common,
    // No top-level applicationName: TypeORM would give it to every pool.
    replication: {
      master: { ...primary, applicationName: PRIMARY_APPLICATION_NAME },
      slaves: database.replicas.map((replica) => ({
        ...credentials(replica.host, replica.port),
        applicationName: REPLICA_APPLICATION_NAME,
      })),
      // TypeORM's default, 'slave', would send every `find` and query builder outside a
      // transaction to a replica, permission checks included. Replica reads are opt-in instead,
      // through ReadReplica.
      defaultMode: 'master',
    },
  };
}
