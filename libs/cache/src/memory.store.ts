import { KeyValueStore, WindowCount } from './key-value-store';

interface Entry {
  value: string;
  expiresAt: number;
}

/** Single-process store with the same semantics as the Redis one, for development. */
export class MemoryStore implements KeyValueStore {
  private readonly entries = new Map<string, Entry>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(sweepIntervalMs = 60_000) {
    this.sweeper = setInterval(() => this.sweep(), sweepIntervalMs);
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
  }

  async setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    if (this.read(key) !== null) return false;
    this.entries.set(key, { value, expiresAt: Date.now() + ttlSeconds * 1000 });

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
    this.entries.delete(key);
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    clearInterval(this.sweeper);
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

  private sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt <= now) this.entries.delete(key);
    }
  }
}
