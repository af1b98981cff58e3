import { DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '@app/migrations';
import { AppConfig } from '@app/config';
import { EmbeddedEndpoint } from './embedded-postgres';

export const MIGRATIONS_TABLE = 'schema_migrations';

/**
 * TypeORM options for the configured PostgreSQL, or for the embedded one at `embedded`.
 * Schema changes only ever come from migrations.
 */
export function buildDataSourceOptions(
  config: AppConfig,
  embedded?: EmbeddedEndpoint,
): DataSourceOptions {
  const database = config.database;

  return {
    type: 'postgres',
    host: embedded?.host ?? database.host,
    port: embedded?.port ?? database.port,
    username: embedded ? 'postgres' : database.user,
    password: embedded ? undefined : database.password,
    database: embedded ? 'postgres' : database.database,
    synchronize: false,
    migrationsRun: false,
    migrations: MIGRATIONS,
    migrationsTableName: MIGRATIONS_TABLE,
    migrationsTransactionMode: 'each',
    logging: false,
    applicationName: 'faultmaven-auth',
    extra: {
      max: embedded ? 1 : database.poolSize,
      connectionTimeoutMillis: database.connectTimeoutMs,
      idleTimeoutMillis: 30_000,
    },
  };
}
