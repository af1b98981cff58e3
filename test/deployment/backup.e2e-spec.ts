import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { MIGRATIONS } from '@app/migrations';
import { buildIfStale, runNode } from '../support/built-app';
import { ROOT } from './support/manifests';

/** Whether a Debian tool is on PATH. */
function has(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
}

/**
 * The backup test needs a PostgreSQL server (POSTGRES_HOST, as the rest of the suite) and
 * Debian's pg_dump and psql. Without the tools it is skipped with a note, except in CI, where a
 * missing tool is a failure.
 */
const TOOLS = ['pg_dump', 'psql', 'gzip'];
const missingTools = TOOLS.filter((tool) => !has(tool));
const canRun = Boolean(process.env.POSTGRES_HOST) && (missingTools.length === 0 || process.env.CI);
if (!canRun) {
  const reason = process.env.POSTGRES_HOST
    ? `${missingTools.join(', ')} missing (apt-get install postgresql-client)`
    : 'POSTGRES_HOST is unset';
  process.stderr.write(`Skipping the backup/restore test: ${reason}.\n`);
}
const describeBackup = canRun ? describe : describe.skip;

const server = {
  host: process.env.POSTGRES_HOST ?? '127.0.0.1',
  port: Number(process.env.POSTGRES_PORT ?? 5432),
  user: process.env.POSTGRES_USER ?? 'postgres',
  password: process.env.POSTGRES_PASSWORD ?? '',
};
const connectionEnv = {
  POSTGRES_HOST: server.host,
  POSTGRES_PORT: String(server.port),
  POSTGRES_USER: server.user,
  POSTGRES_PASSWORD: server.password,
};

async function admin<T>(work: (client: Client) => Promise<T>, database = 'postgres'): Promise<T> {
  const client = new Client({ ...server, database });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function script(name: string, args: string[], env: Record<string, string>) {
  return spawnSync('bash', [join(ROOT, 'scripts', name), ...args], {
    env: { PATH: process.env.PATH ?? '', ...connectionEnv, ...env },
    encoding: 'utf8',
  });
}

describeBackup('scripts/backup-auth-db.sh and scripts/restore-auth-db.sh', () => {
  const suffix = `${process.pid}_${Date.now()}`;
  const source = `fm_auth_backup_src_${suffix}`;
  const target = `fm_auth_backup_dst_${suffix}`;
  let backupDir: string;

  beforeAll(async () => {
    if (missingTools.length > 0) {
      throw new Error(`${missingTools.join(', ')} missing: apt-get install postgresql-client`);
    }
    backupDir = mkdtempSync(join(tmpdir(), 'fm-auth-backup-'));
    await admin(async (client) => {
      await client.query(`CREATE DATABASE ${source}`);
      await client.query(`CREATE DATABASE ${target}`);
    });
    await buildIfStale();
    const migrated = await runNode(
      join(ROOT, 'dist/apps/cli/src/main.js'),
      ['migration:run'],
      { ...connectionEnv, POSTGRES_DB: source, ENVIRONMENT: 'test', DATA_DIR: 'memory' },
      backupDir,
    );
    if (migrated.code !== 0) throw new Error(`migration failed: ${migrated.stderr}`);
    await admin(
      (client) =>
        client.query(
          `CREATE TABLE backup_probe (id int PRIMARY KEY, note text);
           INSERT INTO backup_probe VALUES (1, 'O''Brien; DROP TABLE x; -- ünïcode')`,
        ),
      source,
    );
  }, 300_000);

  afterAll(async () => {
    await admin(async (client) => {
      await client.query(`DROP DATABASE IF EXISTS ${source} WITH (FORCE)`);
      await client.query(`DROP DATABASE IF EXISTS ${target} WITH (FORCE)`);
    });
    if (backupDir) rmSync(backupDir, { recursive: true, force: true });
  });

  const backups = () =>
    readdirSync(backupDir).filter((file) => /^auth_\d{8}_\d{6}\.sql\.gz$/.test(file));

  it('writes auth_<timestamp>.sql.gz and drops local backups older than 30 days', () => {
    const old = join(backupDir, 'auth_20000101_000000.sql.gz');
    const recent = join(backupDir, 'auth_20000102_000000.sql.gz');
    for (const [file, days] of [
      [old, 31],
      [recent, 29],
    ] as const) {
      writeFileSync(file, '');
      const when = new Date(Date.now() - days * 24 * 3600 * 1000);
      utimesSync(file, when, when);
    }

    const result = script('backup-auth-db.sh', [], {
      BACKUP_DIR: backupDir,
      DB_NAME: source,
      S3_URI: '',
    });

    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(backups()).not.toContain('auth_20000101_000000.sql.gz');
    expect(backups()).toContain('auth_20000102_000000.sql.gz');
    expect(backups().filter((file) => !file.startsWith('auth_2000'))).toHaveLength(1);
    rmSync(recent);
  });

  it('fails without leaving a file when pg_dump fails', () => {
    const before = backups();

    const result = script('backup-auth-db.sh', [], {
      BACKUP_DIR: backupDir,
      DB_NAME: `${source}_missing`,
      S3_URI: '',
    });

    expect(result.status).not.toBe(0);
    expect(readdirSync(backupDir).sort()).toEqual(before.sort());
  });

  it('restores the backup into an empty database: schema, migrations and data', async () => {
    const [backup] = backups();

    const result = script('restore-auth-db.sh', [join(backupDir, backup), target], {});

    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const restored = await admin(async (client) => {
      const probe = await client.query('SELECT note FROM backup_probe WHERE id = 1');
      const migrations = await client.query('SELECT name FROM schema_migrations ORDER BY id');
      return {
        note: probe.rows[0].note as string,
        migrations: migrations.rows.map((row) => row.name),
      };
    }, target);
    expect(restored).toEqual({
      note: "O'Brien; DROP TABLE x; -- ünïcode",
      migrations: MIGRATIONS.map((migration) => migration.name),
    });
  });

  it('refuses to restore over a database that has tables', () => {
    const [backup] = backups();

    const result = script('restore-auth-db.sh', [join(backupDir, backup), target], {});

    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Refusing to restore');
  });
});

const shellcheckPresent = has('shellcheck');
const describeShellcheck = shellcheckPresent || process.env.CI ? describe : describe.skip;
if (!shellcheckPresent && !process.env.CI) {
  process.stderr.write('Skipping shellcheck of the scripts: apt-get install shellcheck.\n');
}

describeShellcheck('shell scripts', () => {
  it.each(['scripts/backup-auth-db.sh', 'scripts/restore-auth-db.sh', 'docker/alembic'])(
    '%s passes shellcheck',
    (file) => {
      const result = spawnSync('shellcheck', [join(ROOT, file)], { encoding: 'utf8' });

      expect(result.error).toBeUndefined();
      expect(result.stdout).toBe('');
      expect(result.status).toBe(0);
    },
  );
});
