/**
 * The short-lived shared state of the service: access-token revocations, counters and one-time
 * keys. Redis backs it in any real deployment so every instance sees the same state; the
 * in-memory implementation serves a single development process.
 */
export interface KeyValueStore {
  get(key: string): Promise<string | null>;
  /** One round trip for several keys; missing keys are null. */
  getMany(keys: string[]): Promise<(string | null)[]>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  /** Sets the key only when absent; true when this call set it. */
  setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean>;
  /** Adds one and returns the new value; the window starts with the first increment. */
  increment(key: string, windowSeconds: number): Promise<number>;
  /**
   * `increment` that also tells how long the window has left, in one atomic step: what a rate
   * limiter needs to answer `Retry-After` without a second round trip.
   */
  incrementInWindow(key: string, windowSeconds: number): Promise<WindowCount>;
  delete(key: string): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** A counter and the time until its window ends. */
export interface WindowCount {
  count: number;
  remainingMs: number;
}

export const KEY_VALUE_STORE = Symbol('KEY_VALUE_STORE');

/** Thrown when the store cannot be reached; answered as a 503, never treated as "not found". */
export class StoreUnavailableError extends Error {
  constructor(cause: unknown) {
    super('Key-value store unavailable', { cause });
    this.name = 'StoreUnavailableError';
  }
}
