import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { KeyValueStore, WindowCount } from './key-value-store';

interface Entry {
  value: string;
  expiresAt: number;
}

export interface MemoryStoreOptions {
  /**
   * File the entries are kept in across restarts. Without it a restart would forget every
   * logout and revocation, and tokens they refused would work again until they expire.
   */
  persistPath?: string;
  sweepIntervalMs?: number;
}

/**
 * Single-process store with the same semantics as the Redis one, for development. With a
 * persist path, every write of a revocation-style key (`set`, `setIfAbsent`, `delete`) is
 * saved at once; counters are saved with the next such write or on close.
 */
export class MemoryStore implements KeyValueStore {
  private readonly entries = new Map<string, Entry>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly persistPath?: string;

  constructor(options: MemoryStoreOptions = {}) {
    this.persistPath = options.persistPath;
    if (this.persistPath) this.load(this.persistPath);
    this.sweeper = setInterval(() => this.sweep(), options.sweepIntervalMs ?? 60_000);
    this.sweeper.unref();
  }

  async get(key: string): Promise<string | null> {
    return this.read(key);
  }

  async getMany(keys: string[]): Promise<(string | null)[]> {
    return keys.map((key) => this.read(key));
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    this.entries.set(key, { value, expiresAt: Date.now() + ttlSeconds * 1000 });
    this.save();
  }

  async setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    if (this.read(key) !== null) return false;
    this.entries.set(key, { value, expiresAt: Date.now() + ttlSeconds * 1000 });
    this.save();

    return true;
  }

  async increment(key: string, windowSeconds: number): Promise<number> {
    const current = this.read(key);
    if (current === null) {
      this.entries.set(key, { value: '1', expiresAt: Date.now() + windowSeconds * 1000 });
      return 1;
    }
    const entry = this.entries.get(key)!;
    entry.value = String(Number(current) + 1);

    return Number(entry.value);
  }

  async incrementInWindow(key: string, windowSeconds: number): Promise<WindowCount> {
    const count = await this.increment(key, windowSeconds);

    return { count, remainingMs: Math.max(0, this.entries.get(key)!.expiresAt - Date.now()) };
  }

  async delete(key: string): Promise<void> {
    if (this.entries.delete(key)) this.save();
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.save();
    this.entries.clear();
  }

  private read(key: string): string | null {
    const entry = this.entries.get(key);
    if (!entry) return null;
    if (entry.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return null;
    }

    return entry.value;
  }

  private load(path: string): void {
    let saved: Record<string, Entry>;
    try {
      saved = JSON.parse(readFileSync(path, 'utf8')) as Record<string, Entry>;
    } catch {
      return; // No file yet (or an unreadable one): start empty.
    }
    const now = Date.now();
    for (const [key, entry] of Object.entries(saved)) {
      if (typeof entry?.value === 'string' && entry.expiresAt > now) this.entries.set(key, entry);
    }
  }

  /** Writes a new file and renames it over the old one, so a crash never leaves half a file. */
  private save(): void {
    if (!this.persistPath) return;
    mkdirSync(dirname(this.persistPath), { recursive: true });
    const temporary = `${this.persistPath}.tmp`;
    writeFileSync(temporary, JSON.stringify(Object.fromEntries(this.entries)), { mode: 0o600 });
    renameSync(temporary, this.persistPath);
  }

  private sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt <= now) this.entries.delete(key);
    }
  }
}
