// `npm run bench:profile -- <scenario> [--seconds 10]`: one scenario of the benchmark against
// a service started with V8's CPU profiler, on the same seeded data set. Prints the service's
// CPU time per request (from /proc, so time the process spent waiting is not counted) and where
// its samples fell, by package and by function. The .cpuprofile is kept for Chrome DevTools.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runLoad } from './lib/load.mjs';
import {
  failedLoginRequests,
  loginRequests,
  logoutRequests,
  meRequests,
  membersRequests,
  refreshRequests,
  registerRequests,
  sessionPool,
  API,
} from './lib/scenarios.mjs';
import {
  ROOT,
  accessToken,
  clearRedisPrefix,
  connectionSettings,
  createDatabase,
  deployedNodeFlags,
  dropDatabase,
  freePort,
  migrate,
  residentBytes,
  runFolder,
  seed,
  serviceEnvironment,
  settingsFrom,
  startProcess,
  stopProcess,
} from './lib/setup.mjs';

const { values: options, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    seconds: { type: 'string', default: '10' },
    'bcrypt-rounds': { type: 'string', default: '10' },
    set: { type: 'string', multiple: true, default: [] },
  },
});
const scenario = positionals[0];
const SCENARIOS = ['login', 'failed-login', 'me', 'refresh', 'register', 'members', 'logout'];
if (!SCENARIOS.includes(scenario)) {
  process.stderr.write(`usage: npm run bench:profile -- <${SCENARIOS.join('|')}> [--seconds N]\n`);
  process.exit(2);
}

const settings = connectionSettings();
const id = `fm_bench_profile_${Date.now()}_${process.pid}`;
const profiles = join(ROOT, 'bench/results/profiles');
mkdirSync(profiles, { recursive: true });
let service;

try {
  execFileSync(process.execPath, ['scripts/build-if-stale.mjs'], { cwd: ROOT, stdio: 'inherit' });
  await createDatabase(settings, id);
  const port = await freePort();
  const bcryptRounds = Number(options['bcrypt-rounds']);
  const env = serviceEnvironment(
    settings,
    id,
    `${id}:`,
    port,
    bcryptRounds,
    settingsFrom(options.set),
  );
  await migrate(env);
  const data = await seed(settings, id, {
    users: 20_000,
    organizations: 5,
    largeOrganization: 1_000,
    sessions: 20_000,
    bcryptRounds,
  });
  const pool = sessionPool(data.sessions);
  const requests = {
    login: () => loginRequests(`${API}/auth/login`),
    'failed-login': () => failedLoginRequests(),
    me: () => meRequests(pool.take(500).map(accessToken)),
    refresh: () => refreshRequests(pool.take(2_000)),
    register: () => registerRequests(data),
    members: () => membersRequests(accessToken(data.owner)),
    logout: () => logoutRequests(pool.take(15_000)),
  }[scenario]();
  const connections = { login: 8, 'failed-login': 8, register: 8, me: 32 }[scenario] ?? 16;

  const before = new Set(readdirSync(profiles));
  service = await startProcess(
    'service',
    [
      ...deployedNodeFlags(),
      '--cpu-prof',
      `--cpu-prof-dir=${profiles}`,
      'dist/apps/auth-service/src/main.js',
    ],
    env,
    `http://127.0.0.1:${port}/health`,
  );
  const url = `http://127.0.0.1:${port}`;
  await runLoad({ url, connections, seconds: 1, requests });
  const cpuBefore = cpuAccount(service.pid);
  const run = await runLoad({ url, connections, seconds: Number(options.seconds), requests });
  const spent = cpuAccount(service.pid, cpuBefore);
  const rss = residentBytes(service.pid);
  await stopProcess(service);
  service = undefined;

  const file = readdirSync(profiles).find((name) => !before.has(name));
  process.stdout.write(
    `${scenario}: ${run.throughput.toFixed(0)} req/s, p50 ${run.p50.toFixed(1)} ms, ` +
      `p99 ${run.p99.toFixed(1)} ms, statuses ${JSON.stringify(run.statuses)}\n` +
      `service CPU per request: ${(spent.service / run.requests).toFixed(3)} ms, ` +
      `RSS after the run: ${(rss / 1048576).toFixed(0)} MiB\n` +
      `${accountLines(spent, run.requests)}\n` +
      `profile (start-up included): ${join(profiles, file)}\n\n` +
      summarize(JSON.parse(readFileSync(join(profiles, file), 'utf8'))),
  );
} catch (error) {
  process.exitCode = 1;
  process.stderr.write(`profile failed: ${error.stack ?? error}\n`);
} finally {
  if (service) await stopProcess(service);
  await dropDatabase(settings, id).catch(() => undefined);
  await clearRedisPrefix(settings, `${id}:`).catch(() => undefined);
  rmSync(runFolder(id), { recursive: true, force: true });
}

/**
 * utime + stime of a process or thread, in milliseconds (Linux clock ticks of 10 ms); 0 when it
 * is gone or not ours to read.
 */
function cpuMilliseconds(path) {
  try {
    const fields = readFileSync(`${path}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

/**
 * Where the machine's CPU went, in milliseconds: the service by thread (its event loop, libuv's
 * pool, where password hashes run, and V8's helpers: GC and compilation), the PostgreSQL and
 * Redis servers when they run on this machine (every process of that name: backends too), and
 * this process, the load generator. With `since`, the difference from that earlier account.
 */
function cpuAccount(pid, since) {
  const account = { service: cpuMilliseconds(`/proc/${pid}`), threads: {}, postgres: 0, redis: 0 };
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const path = `/proc/${pid}/task/${tid}`;
    const name = tid === String(pid) ? 'event loop' : threadGroup(readName(path));
    account.threads[name] = (account.threads[name] ?? 0) + cpuMilliseconds(path);
  }
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const name = readName(`/proc/${entry}`);
    if (name.startsWith('postgres')) account.postgres += cpuMilliseconds(`/proc/${entry}`);
    else if (name.startsWith('redis-server')) account.redis += cpuMilliseconds(`/proc/${entry}`);
  }
  const own = process.cpuUsage();
  account.loadGenerator = (own.user + own.system) / 1000;
  if (!since) return account;

  const threads = {};
  for (const [name, value] of Object.entries(account.threads)) {
    threads[name] = value - (since.threads[name] ?? 0);
  }
  return {
    service: account.service - since.service,
    threads,
    postgres: account.postgres - since.postgres,
    redis: account.redis - since.redis,
    loadGenerator: account.loadGenerator - since.loadGenerator,
  };
}

function readName(path) {
  try {
    return readFileSync(`${path}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

function threadGroup(name) {
  if (name === 'libuv-worker') return 'thread pool';
  if (name.startsWith('V8')) return 'V8 helpers';
  return 'other threads';
}

function accountLines(spent, requests) {
  const ms = (value) => (value / requests).toFixed(3);
  const threads = Object.entries(spent.threads)
    .filter(([, value]) => value > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([name, value]) => `${name} ${ms(value)}`)
    .join(', ');
  const servers = [
    spent.postgres > 0 ? `PostgreSQL ${ms(spent.postgres)}` : 'PostgreSQL not on this machine',
    spent.redis > 0 ? `Redis ${ms(spent.redis)}` : 'Redis not on this machine',
  ];
  return (
    `CPU per request on this machine, ms: service ${ms(spent.service)} (${threads}), ` +
    `${servers.join(', ')}, load generator ${ms(spent.loadGenerator)}`
  );
}

/** Self time by package and by function, idle samples left out. */
function summarize(profile) {
  const self = new Map();
  profile.samples.forEach((id, index) =>
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)),
  );
  const byPackage = new Map();
  const byFunction = new Map();
  let total = 0;
  for (const node of profile.nodes) {
    const time = self.get(node.id) ?? 0;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)' || time === 0) continue;
    total += time;
    const where = url.replace(/^.*node_modules\//, '').replace(/^.*\/dist\//, 'dist/');
    const owner =
      /^((@[^/]+\/)?[^/]+)/.exec(url.includes('node_modules/') ? where : '')?.[1] ??
      (url.includes('/dist/') ? 'the service (dist/)' : url ? 'node' : 'native and V8');
    byPackage.set(owner, (byPackage.get(owner) ?? 0) + time);
    const key = `${functionName || '(anonymous)'} ${where}${url ? `:${lineNumber + 1}` : ''}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + time);
  }
  const top = (map, count) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([name, time]) => `${((100 * time) / total).toFixed(1).padStart(5)}%  ${name}`)
      .join('\n');

  return `by package:\n${top(byPackage, 20)}\n\nby function:\n${top(byFunction, 25)}\n`;
}
