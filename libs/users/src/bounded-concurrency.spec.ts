import { BoundedConcurrency, ConcurrencyLimitExceededError } from './bounded-concurrency';

interface Gate {
  promise: Promise<void>;
  open(): void;
  fail(error: Error): void;
}

function gate(): Gate {
  let open!: () => void;
  let fail!: (error: Error) => void;
  const promise = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });

  return { promise, open, fail };
}

/** Lets every pending promise callback run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('BoundedConcurrency', () => {
  it('never runs more than its concurrency at once', async () => {
    const limiter = new BoundedConcurrency(3, 100);
    let running = 0;
    let peak = 0;
    const task = (index: number) => async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, 1 + (index % 4)));
      running--;

      return index;
    };

    const results = await Promise.all(
      Array.from({ length: 20 }, (_, index) => limiter.run(task(index))),
    );

    expect(results).toEqual(Array.from({ length: 20 }, (_, index) => index));
    expect(peak).toBe(3);
    expect(limiter.active).toBe(0);
    expect(limiter.queued).toBe(0);
  });

  it('starts a waiting task only when a running one finishes', async () => {
    const limiter = new BoundedConcurrency(1, 5);
    const first = gate();
    const started: string[] = [];
    const a = limiter.run(async () => {
      started.push('a');
      await first.promise;
    });
    const b = limiter.run(async () => {
      started.push('b');
    });
    await settle();

    expect(started).toEqual(['a']);
    expect(limiter.active).toBe(1);
    expect(limiter.queued).toBe(1);

    first.open();
    await Promise.all([a, b]);

    expect(started).toEqual(['a', 'b']);
  });

  it('refuses work beyond the queue limit at once with ConcurrencyLimitExceededError', async () => {
    const limiter = new BoundedConcurrency(1, 1);
    const blocker = gate();
    const running = limiter.run(() => blocker.promise);
    const waiting = limiter.run(async () => 'waited');
    const refusedTask = jest.fn(async () => 'never');

    await expect(limiter.run(refusedTask)).rejects.toThrow(ConcurrencyLimitExceededError);
    expect(refusedTask).not.toHaveBeenCalled();
    expect(limiter.queued).toBe(1);

    blocker.open();
    await expect(running).resolves.toBeUndefined();
    await expect(waiting).resolves.toBe('waited');
  });

  it('refuses anything that would wait when the queue limit is zero', async () => {
    const limiter = new BoundedConcurrency(2, 0);
    const blocker = gate();
    const both = [limiter.run(() => blocker.promise), limiter.run(() => blocker.promise)];

    await expect(limiter.run(async () => 'third')).rejects.toBeInstanceOf(
      ConcurrencyLimitExceededError,
    );

    blocker.open();
    await Promise.all(both);
  });

  it('releases the slot of a task that rejects', async () => {
    const limiter = new BoundedConcurrency(1, 0);

    await expect(limiter.run(async () => Promise.reject(new Error('task failed')))).rejects.toThrow(
      'task failed',
    );
    expect(limiter.active).toBe(0);
    await expect(limiter.run(async () => 'next')).resolves.toBe('next');
  });

  it('hands the slot of a rejected task to the next waiting one', async () => {
    const limiter = new BoundedConcurrency(1, 2);
    const failing = gate();
    const first = limiter.run(() => failing.promise);
    const second = limiter.run(async () => 'second');
    const third = limiter.run(async () => 'third');

    failing.fail(new Error('boom'));

    await expect(first).rejects.toThrow('boom');
    await expect(second).resolves.toBe('second');
    await expect(third).resolves.toBe('third');
    expect(limiter.active).toBe(0);
    expect(limiter.queued).toBe(0);
  });

  it('releases the slot of a task that throws synchronously', async () => {
    const limiter = new BoundedConcurrency(1, 0);
    const throwing = (): Promise<never> => {
      throw new Error('sync failure');
    };

    await expect(limiter.run(throwing)).rejects.toThrow('sync failure');
    expect(limiter.active).toBe(0);
  });
});
