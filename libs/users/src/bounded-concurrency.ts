/** Thrown when the waiting line is full: the caller sheds the work instead of queueing it. */
export class ConcurrencyLimitExceededError extends Error {
  constructor() {
    super('Too much work waiting');
    this.name = 'ConcurrencyLimitExceededError';
  }
}

/**
 * Runs at most `concurrency` tasks at once and lets at most `queueLimit` more wait. Anything
 * beyond is refused at once, so a flood cannot grow memory or latency without bound.
 */
export class BoundedConcurrency {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly concurrency: number,
    private readonly queueLimit: number,
  ) {}

  get active(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.length;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.queueLimit) throw new ConcurrencyLimitExceededError();
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter, so `running` only drops when none waits.
      if (next) next();
      else this.running--;
    }
  }
}
