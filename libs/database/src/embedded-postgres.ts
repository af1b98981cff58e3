import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Logger } from '@nestjs/common';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedEndpoint {
  host: string;
  port: number;
}

/**
 * PostgreSQL compiled to WebAssembly (PGlite), served on a loopback port through its wire
 * protocol, so the service uses the same `pg` driver, migrations and SQL as with a real server.
 * PGlite is single-connection: the pool that talks to it must hold one connection.
 */
export class EmbeddedPostgres {
  private readonly logger = new Logger(EmbeddedPostgres.name);
  private db?: PGlite;
  private server?: PGLiteSocketServer;
  private lockPath?: string;

  /** `memory` keeps everything in memory; any other value is a folder (created if missing). */
  constructor(private readonly dataDir: string) {}

  get location(): string {
    return this.dataDir === 'memory' ? 'memory' : resolve(this.dataDir, 'pglite');
  }

  async start(): Promise<EmbeddedEndpoint> {
    let dataPath = 'memory://';
    if (this.dataDir !== 'memory') {
      dataPath = join(this.dataDir, 'pglite');
      mkdirSync(dataPath, { recursive: true });
      this.acquireLock();
    }
    this.db = await PGlite.create(dataPath);
    this.server = new PGLiteSocketServer({ db: this.db, host: '127.0.0.1', port: 0 });
    await this.server.start();
    const address = this.server.getServerConn();
    const port = Number(address.split(':').pop());
    this.logger.log(`Embedded PostgreSQL (${this.location}) listening on 127.0.0.1:${port}`);

    return { host: '127.0.0.1', port };
  }

  async stop(): Promise<void> {
    await this.server?.stop().catch(() => undefined);
    await this.db?.close().catch(() => undefined);
    this.server = undefined;
    this.db = undefined;
    if (this.lockPath) rmSync(this.lockPath, { force: true });
    this.lockPath = undefined;
  }

  /**
   * Two processes writing one PGlite folder would corrupt it, so the folder is locked to the
   * process that opened it; a lock left by a process that no longer runs is taken over.
   */
  private acquireLock(): void {
    const path = join(this.dataDir, 'pglite.lock');
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' });
    } catch {
      const owner = Number(readFileSync(path, 'utf8'));
      if (owner && owner !== process.pid && isRunning(owner)) {
        throw new Error(
          `The embedded database in ${this.location} is in use by process ${owner}; ` +
            'stop that process first, or set POSTGRES_HOST to use a PostgreSQL server.',
        );
      }
      writeFileSync(path, String(process.pid));
    }
    this.lockPath = path;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
