// `npm run bench`: the service on real PostgreSQL and Redis, seeded with 20,000 users, driven
// by autocannon beside ceilings that do the same work with less machinery, in one run, so
// every goal is a ratio of two measurements taken side by side. See docs/PERFORMANCE.md.
//   npm run bench [-- --quick] [--bcrypt-rounds 12] [--set HASH_CONCURRENCY=4 ...]
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { interleaved, runLoad, summarize } from './lib/load.mjs';
import { buildReport } from './lib/report.mjs';
import {
  API,
  failedLoginRequests,
  json,
  loginRequests,
  logoutRequests,
  meRequests,
  membersRequests,
  refreshRequests,
  registerRequests,
  sessionPool,
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

const { values: options } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    'bcrypt-rounds': { type: 'string', default: '10' },
    set: { type: 'string', multiple: true, default: [] },
    out: { type: 'string', default: join(ROOT, 'bench/results') },
  },
});
const quick = options.quick;
const profile = quick
  ? { rounds: 1, seconds: 3, warmup: 1, meWarmup: 2 }
  : { rounds: 3, seconds: 8, warmup: 1, meWarmup: 6 };
// A quick run is a smoke test of the machinery: it does not replace the full run's results,
// which are kept in the repository and which docs/PERFORMANCE.md describes.
const RESULTS = quick ? 'quick' : 'latest';
const bcryptRounds = Number(options['bcrypt-rounds']);
const cores = availableParallelism();
// Sessions each logout round spends: more than 9 s at this machine's logout rate; the seeded
// 20,000 leave room for three rounds after the other scenarios have taken theirs.
const LOGOUT_SESSIONS = 5_000;
const CONNECTIONS = { login: 8, me: 32, refresh: 16, register: 8, logout: 16, members: 16 };
const started = Date.now();
const NODE_FLAGS = deployedNodeFlags();

const log = (line) =>
  process.stdout.write(`[${((Date.now() - started) / 1000).toFixed(0)}s] ${line}\n`);

const settings = connectionSettings();
const id = `fm_bench_${Date.now()}_${process.pid}`;
const prefix = `${id}:`;
const work = runFolder(id);
mkdirSync(work, { recursive: true });
const processes = [];

async function main() {
  log('building the service if its sources changed');
  execFileSync(process.execPath, ['scripts/build-if-stale.mjs'], { cwd: ROOT, stdio: 'inherit' });

  log(
    `database ${id} on ${settings.postgres.host}:${settings.postgres.port}, Redis prefix ${prefix}`,
  );
  await createDatabase(settings, id);
  const servicePort = await freePort();
  const overrides = settingsFrom(options.set);
  const env = serviceEnvironment(settings, id, prefix, servicePort, bcryptRounds, overrides);
  await migrate(env);
  log(`seeding 20,000 users in 5 organizations (bcrypt cost ${bcryptRounds})`);
  const data = await seed(settings, id, {
    users: 20_000,
    organizations: 5,
    largeOrganization: 1_000,
    sessions: 20_000,
    bcryptRounds,
  });
  const pool = sessionPool(data.sessions);

  const captured = await captureSql(env, pool);
  log(
    `captured the service's SQL: me ${captured.me.length}, refresh ${captured.refresh.length} statements`,
  );

  const targets = await startTargets(env, servicePort, captured, data.hash);
  const results = {};
  const memory = {};
  await noteMemory(targets, 'start', memory);

  // --- login beside the hash ceiling
  const logins = loginRequests(`${API}/auth/login`);
  results.login = await interleaved(
    {
      service: { url: targets.service, requests: logins },
      hashOnly: { url: targets.hashOnly, requests: loginRequests('/') },
    },
    profile.rounds,
    (_name, scenario) => measure(scenario.url, CONNECTIONS.login, scenario.requests),
  );
  await noteMemory(targets, 'login', memory);
  log(`login ${rate(results.login.service)} | hash only ${rate(results.login.hashOnly)}`);

  // --- GET auth/me beside bare Express and bare node:http doing the same work
  const meTokens = pool.take(500).map(accessToken);
  const me = meRequests(meTokens);
  const meTargets = {
    service: targets.service,
    withoutRevocation: targets.withoutRevocation,
    express: targets.express,
    http: targets.http,
  };
  // The service has far more code for V8 to optimize than the bare servers: its throughput
  // kept rising over the first rounds after a 1 s warm-up. Each runs alone first, so the
  // rounds compare steady states.
  for (const url of Object.values(meTargets)) {
    await runLoad({ url, connections: CONNECTIONS.me, seconds: profile.meWarmup, requests: me });
  }
  results.me = await interleaved(meTargets, profile.rounds, (_name, url) =>
    measure(url, CONNECTIONS.me, me),
  );
  await noteMemory(targets, 'me', memory);
  // The bare server's last load: from here it idles while the service goes on.
  const httpAfterItsLoad = residentBytes(targets.processes.http.pid);
  log(
    `me ${rate(results.me.service)} | without revocation ${rate(results.me.withoutRevocation)} | ` +
      `express ${rate(results.me.express)} | node:http ${rate(results.me.http)}`,
  );

  // --- refresh beside its SQL replayed directly
  const replayRuns = [];
  const serviceRefreshRuns = [];
  for (let round = 0; round < profile.rounds; round++) {
    serviceRefreshRuns.push(
      await measure(targets.service, CONNECTIONS.refresh, refreshRequests(pool.take(400))),
    );
    replayRuns.push(await replay(env, captured.refresh, pool.take(400)));
  }
  results.refresh = { service: summarize(serviceRefreshRuns), replay: summarize(replayRuns) };
  await noteMemory(targets, 'refresh', memory);
  log(`refresh ${rate(results.refresh.service)} | SQL replay ${rate(results.refresh.replay)}`);

  // --- the other scenarios on their own
  const ownerToken = accessToken(data.owner);
  results.scenarios = await interleaved(
    {
      register: () => measure(targets.service, CONNECTIONS.register, registerRequests(data)),
      members: () => measure(targets.service, CONNECTIONS.members, membersRequests(ownerToken)),
      // Each logout spends a seeded session, so the run stops when its sessions are spent (the
      // throughput is over the time it ran); the scenarios before it warmed the service.
      logout: () => {
        const sessions = pool.take(LOGOUT_SESSIONS);
        return measure(targets.service, CONNECTIONS.logout, logoutRequests(sessions), {
          warm: false,
          amount: sessions.length,
        });
      },
    },
    profile.rounds,
    (_name, run) => run(),
  );
  await noteMemory(targets, 'register, members, logout', memory);
  log(
    `register ${rate(results.scenarios.register)} | members ${rate(results.scenarios.members)} | ` +
      `logout ${rate(results.scenarios.logout)}`,
  );

  // --- at 70% of each maximum: the tail, and the guide's baselines
  const at70 = (summary) => Math.max(1, Math.floor(summary.throughput * 0.7));
  results.at70 = {
    me: summarize([
      await measure(targets.service, CONNECTIONS.me, me, { rate: at70(results.me.service) }),
    ]),
    refresh: summarize([
      await measure(targets.service, CONNECTIONS.refresh, refreshRequests(pool.take(400)), {
        rate: at70(results.refresh.service),
      }),
    ]),
    login: summarize([
      await measure(targets.service, CONNECTIONS.login, logins, {
        rate: at70(results.login.service),
      }),
    ]),
    members: summarize([
      await measure(targets.service, CONNECTIONS.members, membersRequests(ownerToken), {
        rate: at70(results.scenarios.members),
      }),
    ]),
  };
  await noteMemory(targets, 'at 70%', memory);
  log(`at 70%: me p99 ${ms(results.at70.me.p99)}, refresh p99 ${ms(results.at70.refresh.p99)}`);

  // --- GET auth/me while failed logins keep every hashing slot busy
  const floodMeRate = Math.max(1, Math.floor(results.me.service.throughput * 0.25));
  const flood = failedLoginRequests();
  results.flood = await interleaved(
    { quiet: false, flooded: true },
    profile.rounds,
    async (_name, flooded) => {
      const floodRun = flooded
        ? measure(targets.service, CONNECTIONS.login, flood, { warm: false })
        : undefined;
      const meRun = await measure(targets.service, CONNECTIONS.me, me, { rate: floodMeRate });
      if (floodRun) meRun.flood = await floodRun;
      return meRun;
    },
  );
  results.flood.meRate = floodMeRate;
  await noteMemory(targets, 'flood', memory);
  log(
    `me p99 ${ms(results.flood.quiet.p99)} quiet, ${ms(results.flood.flooded.p99)} under a flood`,
  );

  // The ratio compares peaks: each process's resident memory at the end of the run depends on
  // how long it has been idle (V8 gives memory back to the system a few minutes after the load
  // stops, and the bare server's load ended long before the service's), its peak does not.
  const rss = {
    service: residentBytes(targets.processes.service.pid, { peak: true }),
    http: residentBytes(targets.processes.http.pid, { peak: true }),
    serviceAtEnd: residentBytes(targets.processes.service.pid),
    httpAtEnd: residentBytes(targets.processes.http.pid),
    httpAfterItsLoad,
  };
  const report = buildReport({
    results,
    rss,
    memory,
    meta: {
      date: new Date().toISOString(),
      mode: quick ? 'quick' : 'full',
      node: process.version,
      cpu: cpus()[0]?.model ?? 'unknown',
      cores,
      bcryptRounds,
      hashConcurrency: Math.max(2, cores),
      nodeFlags: NODE_FLAGS.join(' '),
      settings: settingsFrom(options.set),
      poolSize: 10,
      connections: CONNECTIONS,
      rounds: profile.rounds,
      seconds: profile.seconds,
      commit: gitCommit(),
      seconds_total: Math.round((Date.now() - started) / 1000),
    },
  });
  mkdirSync(options.out, { recursive: true });
  writeFileSync(join(options.out, `${RESULTS}.json`), `${JSON.stringify(report.json, null, 2)}\n`);
  writeFileSync(join(options.out, `${RESULTS}.md`), report.markdown);
  process.stdout.write(`\n${report.markdown}\n`);
  log(`wrote ${join(options.out, `${RESULTS}.json`)} and ${RESULTS}.md`);
}

/**
 * The service's resident memory now, and the V8 heap in use (from its own /metrics),
 * in MiB, kept per phase for the report.
 */
async function noteMemory(targets, phase, memory) {
  const metrics = await fetch(`${targets.service}/metrics`).then((response) => response.text());
  const heap = /^\w*nodejs_heap_size_used_bytes (\d+)/m.exec(metrics);
  memory[phase] = {
    rss: Math.round(residentBytes(targets.processes.service.pid) / 1048576),
    heap: heap ? Math.round(Number(heap[1]) / 1048576) : null,
  };
}

function rate(summary) {
  return `${summary.throughput.toFixed(0)}/s p99 ${ms(summary.p99)}`;
}

function ms(value) {
  return value == null ? 'n/a' : `${value.toFixed(1)} ms`;
}

function measure(url, connections, requests, { rate, warm = true, amount } = {}) {
  return runLoad({
    url,
    connections,
    seconds: profile.seconds,
    warmupSeconds: warm ? profile.warmup : 0,
    rate,
    amount,
    requests,
  });
}

/**
 * Runs a throwaway instance with the SQL capture preloaded, sends it one `me` and one
 * refresh, and keeps the statements each sent: the bare servers and the replay use exactly
 * these, so they do the service's database work by construction.
 */
async function captureSql(env, pool) {
  const file = join(work, 'sql.jsonl');
  const port = await freePort();
  const capture = await startProcess(
    'capture instance',
    ['-r', join(ROOT, 'bench/support/sql-capture.cjs'), 'dist/apps/auth-service/src/main.js'],
    { ...env, PORT: String(port), BENCH_SQL_CAPTURE: file },
    `http://127.0.0.1:${port}/health`,
  );
  const [session] = pool.take(1);
  const base = `http://127.0.0.1:${port}${API}`;
  const statements = () =>
    readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line).text);
  try {
    writeFileSync(file, '');
    const me = await fetch(`${base}/auth/me`, {
      headers: { authorization: `Bearer ${accessToken(session)}` },
    });
    if (me.status !== 200) throw new Error(`capture: GET auth/me answered ${me.status}`);
    const meSql = statements();
    if (meSql.length !== 1) {
      throw new Error(`capture: GET auth/me sent ${meSql.length} statements, the bare servers one`);
    }
    writeFileSync(file, '');
    const refresh = await fetch(`${base}/auth/refresh`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ refresh_token: session.refreshToken }),
    });
    if (refresh.status !== 200) throw new Error(`capture: refresh answered ${refresh.status}`);
    const all = statements();
    const begin = all.indexOf('START TRANSACTION');
    const end = all.indexOf('COMMIT', begin);
    return {
      me: meSql,
      refresh: all.slice(begin, end + 1),
    };
  } finally {
    await stopProcess(capture);
  }
}

async function startTargets(env, servicePort, captured, hash) {
  const url = (port) => `http://127.0.0.1:${port}`;
  const ports = {
    withoutRevocation: await freePort(),
    http: await freePort(),
    express: await freePort(),
    hashOnly: await freePort(),
  };
  const meSqlFile = join(work, 'me.sql');
  writeFileSync(meSqlFile, captured.me[0]);
  const bareEnv = { ...env, BENCH_ME_SQL: meSqlFile, BENCH_PASSWORD_HASH: hash };
  // Every measured process runs with the image's V8 flags, so memory compares like for like.
  const start = async (name, args, port, extraEnv = {}) => {
    const info = await startProcess(
      name,
      [...NODE_FLAGS, ...args],
      { ...env, ...extraEnv, PORT: String(port) },
      `${url(port)}/health`,
    );
    processes.push(info);
    return info;
  };
  const service = await start('service', ['dist/apps/auth-service/src/main.js'], servicePort);
  const withoutRevocation = await start(
    'service without the revocation lookup',
    [
      '-r',
      join(ROOT, 'bench/support/without-revocation-lookup.cjs'),
      'dist/apps/auth-service/src/main.js',
    ],
    ports.withoutRevocation,
  );
  const http = await start(
    'bare node:http',
    ['bench/servers/bare-me.mjs', 'http', String(ports.http)],
    ports.http,
    bareEnv,
  );
  const express = await start(
    'bare Express',
    ['bench/servers/bare-me.mjs', 'express', String(ports.express)],
    ports.express,
    bareEnv,
  );
  const hashOnly = await start(
    'hash only',
    ['bench/servers/hash-only.mjs', String(ports.hashOnly)],
    ports.hashOnly,
    bareEnv,
  );

  return {
    service: url(servicePort),
    withoutRevocation: url(ports.withoutRevocation),
    http: url(ports.http),
    express: url(ports.express),
    hashOnly: url(ports.hashOnly),
    processes: { service, withoutRevocation, http, express, hashOnly },
  };
}

async function replay(env, statements, sessions) {
  const input = join(work, `replay-${Date.now()}.json`);
  writeFileSync(
    input,
    JSON.stringify({
      statements,
      tokens: sessions.map((session) => session.refreshToken),
      connections: CONNECTIONS.refresh,
      seconds: profile.seconds,
      pool: 10,
    }),
  );
  const replayArgs = [...NODE_FLAGS, 'bench/servers/refresh-replay.mjs', input];
  const output = execFileSync(process.execPath, replayArgs, {
    cwd: ROOT,
    env,
    encoding: 'utf8',
  });
  const run = JSON.parse(output);
  return {
    throughput: run.transactions / run.seconds,
    requests: run.transactions,
    p50: run.p50,
    p95: run.p95,
    p99: run.p99,
    errors: run.errors,
  };
}

function gitCommit() {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: ROOT,
      encoding: 'utf8',
    }).trim();
  } catch {
    return 'unknown';
  }
}

async function cleanUp() {
  await Promise.all(processes.map((info) => stopProcess(info).catch(() => undefined)));
  await dropDatabase(settings, id).catch((error) => log(`could not drop ${id}: ${error.message}`));
  await clearRedisPrefix(settings, prefix).catch((error) =>
    log(`could not clear the Redis prefix ${prefix}: ${error.message}`),
  );
  rmSync(work, { recursive: true, force: true });
}

try {
  await main();
} catch (error) {
  process.exitCode = 1;
  process.stderr.write(`benchmark failed: ${error.stack ?? error}\n`);
} finally {
  await cleanUp();
}
