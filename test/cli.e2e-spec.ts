import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIGRATIONS } from '@app/migrations';
import { ROOT, buildIfStale, runNode } from './support/built-app';

const CLI = join(ROOT, 'dist/apps/cli/src/main.js');

/** Names of all migrations, oldest first, as the CLI prints them. */
const NAMES = MIGRATIONS.map((migration) => migration.name);
const FIRST = NAMES[0];
const LATEST = NAMES[NAMES.length - 1];

describe('the built CLI on the embedded database', () => {
  let dataDir: string;
  const cli = (...args: string[]) =>
    // No POSTGRES_HOST: the CLI runs the embedded PostgreSQL under DATA_DIR. The working
    // folder is the temp folder, so no developer .env is read.
    runNode(CLI, args, { DATA_DIR: dataDir, BCRYPT_ROUNDS: '4' }, dataDir);

  beforeAll(async () => {
    await buildIfStale();
    dataDir = mkdtempSync(join(tmpdir(), 'fm-auth-cli-'));
  }, 300_000);

  afterAll(() => {
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('lists the migration as not applied on a new database', async () => {
    const result = await cli('migration:show');

    expect(result).toMatchObject({ code: 0, stderr: '' });
    for (const name of NAMES) expect(result.stdout).toContain(`[ ] ${name}`);
  });

  it('applies the migration with migration:run', async () => {
    const result = await cli('migration:run');

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Applied:\n${NAMES.map((name) => `  ${name}`).join('\n')}`);
  });

  it('then lists the migration as applied, and has nothing left to run', async () => {
    const shown = await cli('migration:show');
    const again = await cli('migration:run');

    expect(shown.code).toBe(0);
    for (const name of NAMES) expect(shown.stdout).toContain(`[X] ${name}`);
    expect(again.stdout).toContain('No pending migrations.');
  });

  let organizationId: string;
  let seedOutput: string;

  it('seeds the default organization and an admin with a generated password', async () => {
    const result = await cli('seed');
    seedOutput = result.stdout;

    expect(result.code).toBe(0);
    const organization = /Organization: Default Organization \(id ([0-9a-f-]{36})\) created/.exec(
      result.stdout,
    );
    expect(organization).not.toBeNull();
    organizationId = organization![1];
    expect(result.stdout).toMatch(/Admin: +admin@faultmaven\.local created/);
  });

  it('writes the generated password to a private file, not to redirected output', async () => {
    // The seed above ran with stdout to a pipe, as `npm run seed > log` would.
    const file = join(dataDir, 'admin-password');
    const password = readFileSync(file, 'utf8').trim();

    expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(seedOutput).toContain(`Admin password: written to ${file}`);
    expect(seedOutput).not.toContain(password);
  });

  it('seeds again without changes and without printing a password', async () => {
    const result = await cli('seed');

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`(id ${organizationId}) already present`);
    expect(result.stdout).toMatch(/Admin: +admin@faultmaven\.local already present/);
    expect(result.stdout).not.toMatch(/password/i);
  });

  it('reverts only the latest migration with migration:revert', async () => {
    const reverted = await cli('migration:revert');
    const shown = await cli('migration:show');

    expect(reverted.code).toBe(0);
    expect(reverted.stdout).toContain(`Reverted ${LATEST}.`);
    expect(shown.stdout).toContain(`[ ] ${LATEST}`);
    if (FIRST !== LATEST) expect(shown.stdout).toContain(`[X] ${FIRST}`);
  });

  it('prints its usage and fails on an unknown command', async () => {
    const result = await cli('migration:dance');

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Usage: cli <command>');
  });
});
