import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { AppConfig } from '@app/config';
import { EmbeddedPostgres, buildDataSourceOptions } from '@app/database';
import { ENTITIES } from './entities';

/** Runs `work` against the configured database, starting the embedded one when needed. */
export async function withDataSource<T>(
  config: AppConfig,
  work: (dataSource: DataSource) => Promise<T>,
): Promise<T> {
  const embedded = config.database.host ? undefined : new EmbeddedPostgres(config.dataDir);
  const endpoint = embedded ? await embedded.start() : undefined;
  const dataSource = new DataSource({
    ...buildDataSourceOptions(config, endpoint, { replicas: false }),
    entities: ENTITIES,
  });
  try {
    await dataSource.initialize();
    return await work(dataSource);
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await embedded?.stop();
  }
}

export async function runMigrations(dataSource: DataSource): Promise<string> {
  const applied = await dataSource.runMigrations({ transaction: 'each' });

  return applied.length === 0
    ? 'No pending migrations.'
    : `Applied:\n${applied.map((migration) => `  ${migration.name}`).join('\n')}`;
}

export async function revertMigration(dataSource: DataSource): Promise<string> {
  const before = await appliedMigrationNames(dataSource);
  if (before.length === 0) return 'No migration to revert.';
  await dataSource.undoLastMigration({ transaction: 'each' });

  return `Reverted ${before[before.length - 1]}.`;
}

export async function showMigrations(dataSource: DataSource): Promise<string> {
  const applied = new Set(await appliedMigrationNames(dataSource));

  return dataSource.migrations
    .map((migration) => `[${applied.has(migration.name!) ? 'X' : ' '}] ${migration.name}`)
    .join('\n');
}

/**
 * Writes a migration with the SQL that brings the database to the entities' shape. The file
 * still has to be reviewed and added to `migrations/index.ts`.
 */
export async function generateMigration(dataSource: DataSource, name: string): Promise<string> {
  if (!/^[A-Z][A-Za-z0-9]+$/.test(name)) {
    throw new Error('The migration name must be PascalCase, e.g. AddUserLocale');
  }
  const sql = await dataSource.driver.createSchemaBuilder().log();
  if (sql.upQueries.length === 0) return 'The entities match the database: nothing to generate.';

  const timestamp = Date.now();
  const className = `${name}${timestamp}`;
  const render = (queries: { query: string; parameters?: unknown[] }[]) =>
    queries
      .map(
        (q) =>
          `    await queryRunner.query(${JSON.stringify(q.query)}${
            q.parameters?.length ? `, ${JSON.stringify(q.parameters)}` : ''
          });`,
      )
      .join('\n');
  const source = `import { MigrationInterface, QueryRunner } from 'typeorm';

export class ${className} implements MigrationInterface {
  name = '${className}';

  async up(queryRunner: QueryRunner): Promise<void> {
${render(sql.upQueries)}
  }

  async down(queryRunner: QueryRunner): Promise<void> {
${render([...sql.downQueries].reverse())}
  }
}
`;
  const path = join('migrations', `${timestamp}-${name}.ts`);
  writeFileSync(path, source);

  return `Wrote ${path}. Review it, then add ${className} to migrations/index.ts.`;
}

async function appliedMigrationNames(dataSource: DataSource): Promise<string[]> {
  const table = dataSource.options.migrationsTableName ?? 'migrations';
  // The query runner holds a pooled connection until released; the embedded database's pool
  // has only one, so an unreleased runner would block every later query.
  const queryRunner = dataSource.createQueryRunner();
  let hasTable: boolean;
  try {
    hasTable = await queryRunner.hasTable(table);
  } finally {
    await queryRunner.release();
  }
  if (!hasTable) return [];
  const rows = await dataSource.query<{ name: string }[]>(
    `SELECT name FROM "${table}" ORDER BY "timestamp" ASC, id ASC`,
  );

  return rows.map((row) => row.name);
}
