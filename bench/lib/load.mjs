// Load runs with autocannon and what is read from them.
import autocannon from 'autocannon';

/**
 * One load run. `requests` are autocannon request objects (with `setupRequest` and
 * `onResponse` for per-connection state); every response time is kept, so percentiles are
 * exact rather than read off autocannon's fixed set (which has no p95).
 */
export async function runLoad({ url, connections, seconds, rate, requests, warmupSeconds = 0 }) {
  if (warmupSeconds > 0) {
    await autocannon({ url, connections, duration: warmupSeconds, requests, overallRate: rate });
  }
  const latencies = [];
  const statuses = new Map();
  const instance = autocannon({
    url,
    connections,
    duration: seconds,
    requests,
    ...(rate ? { overallRate: rate } : {}),
  });
  instance.on('response', (_client, status, _bytes, responseTime) => {
    latencies.push(responseTime);
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
  });
  const result = await instance;
  latencies.sort((a, b) => a - b);
  const total = latencies.length;
  const failures = [...statuses].filter(([status]) => status >= 400).reduce((n, [, c]) => n + c, 0);

  return {
    throughput: total / result.duration,
    requests: total,
    p50: percentile(latencies, 0.5),
    p95: percentile(latencies, 0.95),
    p99: percentile(latencies, 0.99),
    errors: failures + result.errors + result.timeouts,
    statuses: Object.fromEntries([...statuses].sort(([a], [b]) => a - b)),
    socketErrors: result.errors,
    timeouts: result.timeouts,
  };
}

export function percentile(sorted, fraction) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)];
}

export function median(values) {
  const sorted = values.filter((value) => value !== null).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The median of each figure over the runs of one scenario, and the runs themselves. */
export function summarize(runs) {
  const pick = (key) => median(runs.map((run) => run[key]));
  return {
    throughput: pick('throughput'),
    p50: pick('p50'),
    p95: pick('p95'),
    p99: pick('p99'),
    errors: runs.reduce((n, run) => n + run.errors, 0),
    requests: runs.reduce((n, run) => n + run.requests, 0),
    runs,
  };
}

/**
 * Runs the scenarios of one comparison interleaved (A, B, A, B, ...) `rounds` times, so a
 * drift of the machine touches each alike, and returns each one's summary.
 */
export async function interleaved(scenarios, rounds, run) {
  const results = Object.fromEntries(Object.keys(scenarios).map((name) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const [name, scenario] of Object.entries(scenarios)) {
      results[name].push(await run(name, scenario));
    }
  }
  return Object.fromEntries(Object.entries(results).map(([name, runs]) => [name, summarize(runs)]));
}
