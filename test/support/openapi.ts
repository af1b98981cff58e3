import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { TestApp } from './test-app';

export const OPENAPI_JSON_PATH = '/enterprise/docs-json';

const ROOT = resolve(__dirname, '../..');
const REDOCLY = join(ROOT, 'node_modules/@redocly/cli/bin/cli.js');

/** The OpenAPI document exactly as the booted app serves it. */
export async function fetchOpenApiDocument(t: TestApp): Promise<string> {
  const response = await request(t.server).get(OPENAPI_JSON_PATH).expect(200);

  return response.text;
}

/** One finding of the linter, reduced to what a failing test should show. */
export interface LintProblem {
  rule: string;
  severity: string;
  message: string;
  pointer: string;
}

/**
 * Lints an OpenAPI file with Redocly's CLI and the repository's `redocly.yaml`. The CLI ships
 * as a bundle with no Node API, so it runs in a child process on this Node.js, without
 * telemetry or update checks (the tests stay off the network).
 */
export async function lintOpenApiFile(file: string): Promise<LintProblem[]> {
  const args = [REDOCLY, 'lint', file, '--config', join(ROOT, 'redocly.yaml'), '--format=json'];
  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      maxBuffer: 16 * 1024 * 1024,
    }));
  } catch (error) {
    // Errors in the document make the CLI exit 1, with the same JSON report on stdout.
    const output = (error as { stdout?: string; stderr?: string }).stdout;
    if (!output?.trimStart().startsWith('{')) throw error;
    stdout = output;
  }
  const report = JSON.parse(stdout) as {
    problems: Array<{
      ruleId: string;
      severity: string;
      message: string;
      location: Array<{ pointer: string }>;
    }>;
  };

  return report.problems.map((problem) => ({
    rule: problem.ruleId,
    severity: problem.severity,
    message: problem.message,
    pointer: problem.location[0]?.pointer ?? '',
  }));
}
