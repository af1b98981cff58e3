// `npm run lint:openapi`: builds the OpenAPI document the service serves at
// /enterprise/docs-json, from the compiled app on the embedded defaults (in-memory PostgreSQL
// and store, nothing kept), and lints it with Redocly and the repository's redocly.yaml.
// Any error or warning fails. Usage: node scripts/lint-openapi.mjs [--out openapi.json]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const require = createRequire(import.meta.url);
const outIndex = process.argv.indexOf('--out');
const out = outIndex > 0 ? resolve(process.argv[outIndex + 1]) : undefined;

async function buildDocument() {
  const env = { ...process.env };
  for (const name of ['POSTGRES_HOST', 'REDIS_HOST', 'POSTGRES_DB', 'REDIS_KEY_PREFIX']) {
    delete env[name];
  }
  Object.assign(env, {
    ENVIRONMENT: 'development',
    DATA_DIR: 'memory',
    SEED_ON_START: 'false',
    LOG_LEVEL: 'silent',
  });
  const { loadAppConfig } = require(join(root, 'dist/libs/config/src'));
  const { createApp } = require(join(root, 'dist/apps/auth-service/src/app.factory'));
  const { buildOpenApiDocument } = require(join(root, 'dist/apps/auth-service/src/app.setup'));
  const app = await createApp(loadAppConfig(env));
  try {
    return buildOpenApiDocument(app);
  } finally {
    await app.close();
  }
}

function lint(file) {
  const redocly = join(root, 'node_modules/@redocly/cli/bin/cli.js');
  const args = [redocly, 'lint', file, '--config', join(root, 'redocly.yaml'), '--format=json'];
  let report;
  try {
    report = execFileSync(process.execPath, args, {
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    // Errors make the CLI exit 1 with the same JSON report; anything else is a real failure.
    if (!error.stdout?.toString().trimStart().startsWith('{')) {
      process.stderr.write(error.stderr ?? '');
      throw error;
    }
    report = error.stdout;
  }

  return JSON.parse(report.toString()).problems;
}

const dir = mkdtempSync(join(tmpdir(), 'fm-openapi-'));
try {
  const file = out ?? join(dir, 'openapi.json');
  writeFileSync(file, `${JSON.stringify(await buildDocument(), null, 2)}\n`);
  const problems = lint(file);
  for (const problem of problems) {
    const pointer = problem.location[0]?.pointer ?? '';
    console.error(`${problem.severity}\t${problem.ruleId}\t${pointer}\t${problem.message}`);
  }
  console.log(
    problems.length === 0
      ? `The OpenAPI document passes Redocly's rules${out ? ` (written to ${out})` : ''}.`
      : `${problems.length} problem(s) in the OpenAPI document.`,
  );
  process.exitCode = problems.length === 0 ? 0 : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
