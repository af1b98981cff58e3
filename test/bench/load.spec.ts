// The benchmark's own arithmetic (bench/lib/load.mjs): how a paced run is split, and the
// percentiles and medians every reported figure comes from.
import type * as LoadModule from '../../bench/lib/load.mjs';

type Load = typeof LoadModule;

describe('benchmark load helpers', () => {
  let load: Load;

  beforeAll(async () => {
    load = await import('../../bench/lib/load.mjs');
  });

  it('runs an open-rate load as one instance with every connection', () => {
    expect(load.paced(32)).toEqual([{ share: { connections: 32 }, delay: 0 }]);
  });

  it('splits a rate over up to eight instances started evenly within the first second', () => {
    const groups = load.paced(32, 945);

    expect(groups).toHaveLength(8);
    expect(groups.map((group) => group.delay)).toEqual([0, 125, 250, 375, 500, 625, 750, 875]);
    expect(groups.reduce((sum, group) => sum + group.share.connections, 0)).toBe(32);
    expect(groups.reduce((sum, group) => sum + (group.share.overallRate ?? 0), 0)).toBe(945);
    expect(groups.map((group) => group.share.overallRate)).toEqual([
      119, 118, 118, 118, 118, 118, 118, 118,
    ]);
  });

  it('never gives an instance no connection or no rate', () => {
    for (const [connections, rate] of [
      [8, 3],
      [2, 100],
      [16, 1],
      [1, 1],
    ]) {
      const groups = load.paced(connections, rate);
      expect(groups.length).toBe(Math.min(8, connections, rate));
      for (const group of groups) {
        expect(group.share.connections).toBeGreaterThan(0);
        expect(group.share.overallRate).toBeGreaterThan(0);
      }
      expect(groups.reduce((sum, group) => sum + (group.share.overallRate ?? 0), 0)).toBe(rate);
    }
  });

  it('reads exact percentiles off the sorted response times', () => {
    const sorted = Array.from({ length: 200 }, (_, index) => index + 1);

    expect(load.percentile(sorted, 0.5)).toBe(100);
    expect(load.percentile(sorted, 0.95)).toBe(190);
    expect(load.percentile(sorted, 0.99)).toBe(198);
    expect(load.percentile([7], 0.99)).toBe(7);
    expect(load.percentile([], 0.5)).toBeNull();
  });

  it('takes the median of the rounds, skipping rounds without a figure', () => {
    expect(load.median([3, 1, 2])).toBe(2);
    expect(load.median([4, 1, 3, 2])).toBe(2.5);
    expect(load.median([null, 5])).toBe(5);
    expect(load.median([null])).toBeNull();
  });
});
