// Load runs with autocannon and what is read from them.
import autocannon from 'autocannon';

/**
 * One load run. `requests` are autocannon request objects (with `setupRequest` and
 * `onResponse` for per-connection state); every response time is kept, so percentiles are
 * exact rather than read off autocannon's fixed set (which has no p95).
 *
 * With a `rate`, the load is spread over the second: autocannon lets each connection send its
 * share of a rate as fast as it can at the start of every second, so one instance sends all
 * its requests in a burst and measures the queue the burst builds. Several instances, each
 * with a part of the connections and of the rate, started at even offsets within the first
 * second, send it as a steady stream of small bursts, which is what "at N requests per
 * second" means for the latency it reports.
 */
export async function runLoad({
  url,
  connections,
  seconds,
  rate,
  amount,
  requests,
  warmupSeconds = 0,
}) {
  if (warmupSeconds > 0) {
    await Promise.all(
      paced(connections, rate).map(({ share, delay }) =>
        wait(delay).then(() => autocannon({ url, duration: warmupSeconds, requests, ...share })),
      ),
    );
  }
  const latencies = [];
  const statuses = new Map();
  const results = await Promise.all(
    paced(connections, rate).map(async ({ share, delay }) => {
      await wait(delay);
      const instance = autocannon({
        url,
        duration: seconds,
        requests,
        ...share,
        // At most this many requests, and at most `seconds` (autocannon's `amount` would
        // drop the time limit). Used only by open-rate runs, which are one instance.
        ...(amount ? { maxOverallRequests: amount } : {}),
      });
      instance.on('response', (_client, status, _bytes, responseTime) => {
        latencies.push(responseTime);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      });
      const result = await instance;
      return { ...result, responses: result.requests.total };
    }),
  );
  latencies.sort((a, b) => a - b);
  const total = latencies.length;
  const failures = [...statuses].filter(([status]) => status >= 400).reduce((n, [, c]) => n + c, 0);
  const socketErrors = results.reduce((n, result) => n + result.errors, 0);
  const timeouts = results.reduce((n, result) => n + result.timeouts, 0);

  return {
    throughput: results.reduce((sum, result) => sum + result.responses / result.duration, 0),
    requests: total,
    p50: percentile(latencies, 0.5),
    p95: percentile(latencies, 0.95),
    p99: percentile(latencies, 0.99),
    errors: failures + socketErrors + timeouts,
    statuses: Object.fromEntries([...statuses].sort(([a], [b]) => a - b)),
    socketErrors,
    timeouts,
  };
}

/**
 * The autocannon instances of one run: one with every connection when the rate is open;
 * otherwise up to eight, splitting connections and rate as evenly as whole numbers allow,
 * each starting a fraction of a second after the one before.
 */
export function paced(connections, rate) {
  if (!rate) return [{ share: { connections }, delay: 0 }];
  const groups = Math.max(1, Math.min(8, connections, rate));
  return Array.from({ length: groups }, (_, group) => ({
    share: {
      connections: split(connections, groups, group),
      overallRate: split(rate, groups, group),
    },
    delay: Math.round((group * 1000) / groups),
  }));
}

function split(total, parts, part) {
  return Math.floor(total / parts) + (part < total % parts ? 1 : 0);
}

function wait(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
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
