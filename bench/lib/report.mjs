// The benchmark's results as a table: every scenario's figures, every ratio against its
// target, the deployment guide's baselines and the per-vCPU figures beside Keycloak's sizing.

const MEBIBYTE = 1024 * 1024;
const GUIDE_MEMORY_REQUEST = 512 * MEBIBYTE;
/** Keycloak's published sizing: password logins and refresh requests per second per vCPU. */
const KEYCLOAK_PER_VCPU = { login: 15, refresh: 120 };

export function buildReport({ results, rss, memory, meta }) {
  const ratio = (a, b) => (a != null && b ? a / b : null);
  const at70 = results.at70;
  const ratios = [
    {
      name: 'login ÷ hash only',
      value: ratio(results.login.service.throughput, results.login.hashOnly.throughput),
      target: '>= 0.90',
      pass: (v) => v >= 0.9,
    },
    {
      name: '`me` ÷ bare Express doing the same work',
      value: ratio(results.me.service.throughput, results.me.express.throughput),
      target: '>= 0.80',
      pass: (v) => v >= 0.8,
    },
    {
      name: '`me` ÷ bare node:http doing the same work',
      value: ratio(results.me.service.throughput, results.me.http.throughput),
      target: '>= 0.50',
      pass: (v) => v >= 0.5,
    },
    {
      name: '`me` with the revocation lookup ÷ without it',
      value: ratio(results.me.service.throughput, results.me.withoutRevocation.throughput),
      target: '>= 0.85',
      pass: (v) => v >= 0.85,
    },
    {
      name: 'refresh ÷ its SQL replayed directly',
      value: ratio(results.refresh.service.throughput, results.refresh.replay.throughput),
      target: '>= 0.40',
      pass: (v) => v >= 0.4,
    },
    {
      name: '`me` p99 during a failed-login flood ÷ without it',
      value: ratio(results.flood.flooded.p99, results.flood.quiet.p99),
      target: '<= 3',
      pass: (v) => v <= 3,
    },
    {
      name: '`me` p99 ÷ p50 at 70% of its maximum',
      value: ratio(at70.me.p99, at70.me.p50),
      target: '<= 5',
      pass: (v) => v <= 5,
    },
    {
      name: 'refresh p99 ÷ p50 at 70% of its maximum',
      value: ratio(at70.refresh.p99, at70.refresh.p50),
      target: '<= 5',
      pass: (v) => v <= 5,
    },
    {
      name: 'peak RSS over the run ÷ bare node:http peak RSS',
      value: ratio(rss.service, rss.http),
      target: `<= 2, service below 512 MiB (${mib(rss.service)} MiB)`,
      pass: (v) => v <= 2 && rss.service < GUIDE_MEMORY_REQUEST,
    },
  ].map(({ pass, ...row }) => ({ ...row, met: row.value == null ? false : pass(row.value) }));

  const errorRequests = Object.values(at70).reduce((n, run) => n + run.requests, 0);
  const errorCount = Object.values(at70).reduce((n, run) => n + run.errors, 0);
  const baselines = [
    {
      name: `authentication (login, bcrypt cost ${meta.bcryptRounds}) p95`,
      value: at70.login.p95,
      unit: 'ms',
      target: '< 200 ms',
      met: at70.login.p95 < 200,
    },
    {
      name: 'organization queries (members, page of 50 of 1,000) p95',
      value: at70.members.p95,
      unit: 'ms',
      target: '< 100 ms',
      met: at70.members.p95 < 100,
    },
    {
      name: 'token refresh p95',
      value: at70.refresh.p95,
      unit: 'ms',
      target: '< 50 ms',
      met: at70.refresh.p95 < 50,
    },
    {
      name: 'error rate over the 70% runs',
      value: errorRequests ? (100 * errorCount) / errorRequests : null,
      unit: '%',
      target: '< 0.1%',
      met: errorRequests > 0 && errorCount / errorRequests < 0.001,
    },
  ];
  const perVcpu = [
    {
      name: `password logins/s per vCPU (bcrypt cost ${meta.bcryptRounds})`,
      value: results.login.service.throughput / meta.cores,
      keycloak: KEYCLOAK_PER_VCPU.login,
    },
    {
      name: 'refresh requests/s per vCPU',
      value: results.refresh.service.throughput / meta.cores,
      keycloak: KEYCLOAK_PER_VCPU.refresh,
    },
  ];

  const scenarios = {
    'login (service)': results.login.service,
    'login ceiling: hash only': results.login.hashOnly,
    'me (service)': results.me.service,
    'me without the revocation lookup': results.me.withoutRevocation,
    'me ceiling: bare Express': results.me.express,
    'me ceiling: bare node:http': results.me.http,
    'refresh (service)': results.refresh.service,
    'refresh ceiling: SQL replay': results.refresh.replay,
    register: results.scenarios.register,
    'members (page of 50)': results.scenarios.members,
    logout: results.scenarios.logout,
    'me at 70%': at70.me,
    'refresh at 70%': at70.refresh,
    'login at 70%': at70.login,
    'members at 70%': at70.members,
    [`me at ${results.flood.meRate}/s, quiet`]: results.flood.quiet,
    [`me at ${results.flood.meRate}/s, failed-login flood`]: results.flood.flooded,
  };

  const json = {
    meta,
    rss_bytes: rss,
    service_rss_mib_by_phase: memory,
    scenarios: Object.fromEntries(
      Object.entries(scenarios).map(([name, s]) => [
        name,
        {
          throughput: s.throughput,
          p50_ms: s.p50,
          p95_ms: s.p95,
          p99_ms: s.p99,
          requests: s.requests,
          errors: s.errors,
          runs: s.runs,
        },
      ]),
    ),
    ratios,
    baselines,
    per_vcpu: perVcpu,
  };

  const fixed = (value, digits = 1) => (value == null ? 'n/a' : value.toFixed(digits));
  const lines = [
    `# Benchmark results (${meta.mode})`,
    '',
    `${meta.date}, commit ${meta.commit}, Node.js ${meta.node}, ${meta.cores} cores (${meta.cpu}), ` +
      `bcrypt cost ${meta.bcryptRounds}, ${rounds(meta.rounds)} of ${meta.seconds} s per ` +
      `scenario; the runs at 70% are one run each. Whole run ${meta.seconds_total} s. Every ` +
      `process ran with \`${meta.nodeFlags}\` (the image's flags).`,
    '',
    '| scenario | req/s | p50 ms | p95 ms | p99 ms | requests | errors |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...Object.entries(scenarios).map(
      ([name, s]) =>
        `| ${name} | ${fixed(s.throughput)} | ${fixed(s.p50)} | ${fixed(s.p95)} | ${fixed(s.p99)} | ` +
        `${s.requests} | ${s.errors} |`,
    ),
    '',
    '| ratio | measured | target | met |',
    '|---|---:|---|---|',
    ...ratios.map(
      (r) => `| ${r.name} | ${fixed(r.value, 2)} | ${r.target} | ${r.met ? 'yes' : 'NO'} |`,
    ),
    '',
    '| guide baseline, at 70% of maximum throughput | measured | target | met |',
    '|---|---:|---|---|',
    ...baselines.map(
      (b) =>
        `| ${b.name} | ${fixed(b.value, b.unit === '%' ? 3 : 1)} ${b.unit} | ${b.target} | ` +
        `${b.met ? 'yes' : 'NO'} |`,
    ),
    '',
    `Service RSS (V8 heap in use) after each phase, MiB: ${Object.entries(memory)
      .map(([phase, { rss: resident, heap }]) => `${phase} ${resident} (${heap})`)
      .join(', ')}. Peak resident memory over the run: service ${mib(rss.service)} MiB, bare ` +
      `node:http ${mib(rss.http)} MiB. At the end of the run the service, just out of the ` +
      `flood, held ${mib(rss.serviceAtEnd)} MiB; bare node:http held ` +
      `${mib(rss.httpAfterItsLoad)} MiB after its last load (the \`me\` rounds) and ` +
      `${mib(rss.httpAtEnd)} MiB at the end, idle since.`,
    '',
    '| per vCPU | measured | Keycloak sizing |',
    '|---|---:|---:|',
    ...perVcpu.map((p) => `| ${p.name} | ${fixed(p.value)} | ${p.keycloak} |`),
    '',
  ];

  return { json, markdown: lines.join('\n') };
}

function rounds(count) {
  return count === 1 ? 'one round' : `${count} interleaved rounds, medians shown,`;
}

function mib(bytes) {
  return (bytes / MEBIBYTE).toFixed(0);
}
