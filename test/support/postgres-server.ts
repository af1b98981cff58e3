import { execFile } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { appendFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client, ClientConfig } from 'pg';

const run = promisify(execFile);

/**
 * The PostgreSQL server binaries (Debian's layout, newest version), or undefined. CI sets `CI`,
 * where their absence is a failure; elsewhere the tests that need them are skipped with a note.
 */
export const POSTGRES_BIN = findBinaries();

export function describeWithPostgresBinaries(title: string): jest.Describe {
  if (POSTGRES_BIN || process.env.CI) return describe;
  process.stderr.write(
    `Skipping ${title}: no PostgreSQL server binaries under /usr/lib/postgresql ` +
      '(apt-get install postgresql).\n',
  );

  return describe.skip;
}

function findBinaries(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((version) => existsSync(join(root, version, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));

  return versions[0] && join(root, versions[0], 'bin');
}

export interface PostgresServerOptions {
  /** Lines appended to postgresql.conf. */
  settings?: string[];
  /** Replaces pg_hba.conf; the default trusts loopback and the local socket. */
  hba?: string[];
  /** Superuser password; with it, loopback TCP asks for scram-sha-256. */
  superuserPassword?: string;
  /** Files written into the data folder, readable only by the server (certificates, keys). */
  files?: Record<string, string>;
}

/**
 * A throwaway PostgreSQL instance on a free loopback port, in a folder of its own, logging to
 * `logFile`. PostgreSQL refuses to run as root, so as root the binaries run as `postgres`.
 */
export class PostgresServer {
  private constructor(
    readonly folder: string,
    readonly port: number,
    private readonly superuserPassword?: string,
  ) {}

  get dataDir(): string {
    return join(this.folder, 'data');
  }

  get logFile(): string {
    return join(this.folder, 'server.log');
  }

  static async start(options: PostgresServerOptions = {}): Promise<PostgresServer> {
    const server = new PostgresServer(prepareFolder(), await freePort(), options.superuserPassword);
    const initdb = ['-D', server.dataDir, '-U', 'postgres', '-E', 'UTF8', '--no-sync'];
    if (options.superuserPassword) {
      const pwfile = join(server.folder, 'pwfile');
      await server.writeOwned(pwfile, options.superuserPassword);
      initdb.push(`--pwfile=${pwfile}`, '--auth-local=trust', '--auth-host=scram-sha-256');
    } else {
      initdb.push('--auth=trust');
    }
    await server.exec('initdb', initdb);
    for (const [name, content] of Object.entries(options.files ?? {})) {
      await server.writeOwned(join(server.dataDir, name), content);
    }
    if (options.settings) {
      await appendFile(
        join(server.dataDir, 'postgresql.conf'),
        `\n${options.settings.join('\n')}\n`,
      );
    }
    if (options.hba) {
      await writeFile(join(server.dataDir, 'pg_hba.conf'), `${options.hba.join('\n')}\n`);
    }
    await server.startServer();

    return server;
  }

  /** A hot standby of `primary`, cloned with pg_basebackup and streaming from it. */
  static async replicaOf(primary: PostgresServer): Promise<PostgresServer> {
    const server = new PostgresServer(prepareFolder(), await freePort());
    await server.exec('pg_basebackup', [
      '-h',
      '127.0.0.1',
      '-p',
      String(primary.port),
      '-U',
      'postgres',
      '-D',
      server.dataDir,
      '-R',
      '-X',
      'stream',
      '--no-sync',
    ]);
    await server.startServer();

    return server;
  }

  clientConfig(overrides: ClientConfig = {}): ClientConfig {
    return {
      host: '127.0.0.1',
      port: this.port,
      user: 'postgres',
      password: this.superuserPassword,
      database: 'postgres',
      application_name: 'fm-test',
      ...overrides,
    };
  }

  /** Runs `work` with a connected client, then disconnects it. */
  async withClient<T>(
    work: (client: Client) => Promise<T>,
    overrides: ClientConfig = {},
  ): Promise<T> {
    const client = new Client(this.clientConfig(overrides));
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  }

  readLog(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '';
  }

  /**
   * Stops the server as an operator would (`fast`: sessions are terminated, data is kept), so
   * `restart` brings it back on the same port and folder.
   */
  async halt(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    await this.exec('pg_ctl', ['-D', this.dataDir, '-m', mode, '-w', 'stop']);
  }

  /** Starts a server stopped with `halt` again, on the same port. */
  async restart(): Promise<void> {
    await this.startServer();
  }

  async stop(): Promise<void> {
    await this.exec('pg_ctl', ['-D', this.dataDir, '-m', 'immediate', '-w', 'stop']).catch(
      () => undefined,
    );
    await rm(this.folder, { recursive: true, force: true });
  }

  private async startServer(): Promise<void> {
    await this.exec('pg_ctl', [
      '-D',
      this.dataDir,
      '-l',
      this.logFile,
      '-w',
      '-t',
      '60',
      '-o',
      `-p ${this.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${this.folder}`,
      'start',
    ]);
  }

  private async exec(binary: string, args: string[]): Promise<void> {
    if (!POSTGRES_BIN) throw new Error('No PostgreSQL server binaries under /usr/lib/postgresql');
    const path = join(POSTGRES_BIN, binary);
    if (isRoot()) {
      await run('runuser', ['-u', 'postgres', '--', path, ...args], { cwd: this.folder });
    } else {
      await run(path, args, { cwd: this.folder });
    }
  }

  private async writeOwned(path: string, content: string): Promise<void> {
    await writeFile(path, content, { mode: 0o600 });
    if (isRoot()) chownSync(path, postgresUid(), postgresGid());
  }
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

function prepareFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'fm-pg-'));
  chmodSync(folder, 0o700);
  if (isRoot()) chownSync(folder, postgresUid(), postgresGid());

  return folder;
}

function postgresUid(): number {
  return Number(passwdEntry()[2]);
}

function postgresGid(): number {
  return Number(passwdEntry()[3]);
}

function passwdEntry(): string[] {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('postgres:'));
  if (!line) throw new Error('Running as root needs a postgres user to run PostgreSQL as');

  return line.split(':');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
