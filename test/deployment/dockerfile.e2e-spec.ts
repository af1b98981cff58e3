import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { DockerfileParser, From, Instruction } from 'dockerfile-ast';
import { MIGRATIONS } from '@app/migrations';
import { buildIfStale } from '../support/built-app';
import { ROOT, readText } from './support/manifests';

const dockerfile = DockerfileParser.parse(readText('Dockerfile'));
const instructions = dockerfile.getInstructions();
const froms = dockerfile.getFROMs();
const runtimeStart = instructions.indexOf(froms[froms.length - 1]);
/** The instructions of the last stage: what the image that runs is made of. */
const runtime = instructions.slice(runtimeStart);

function args(instruction: Instruction): string {
  return instruction.getArgumentsContent() ?? '';
}
function runtimeOnes(keyword: string): Instruction[] {
  return runtime.filter((instruction) => instruction.getKeyword() === keyword);
}
function stageOf(from: From): string | null {
  return from.getBuildStage();
}

describe('Dockerfile', () => {
  it('parses without problems', () => {
    expect(instructions.length).toBeGreaterThan(10);
  });

  it('builds in stages on node:24-bookworm-slim, the Node major of package.json engines', () => {
    const engines = (JSON.parse(readText('package.json')) as { engines: { node: string } }).engines
      .node;
    const major = /^>=(\d+)/.exec(engines)?.[1];

    expect(froms.map(stageOf)).toEqual(['builder', 'prod-deps', 'runtime']);
    for (const from of froms) {
      expect(`${from.getImageName()}:${from.getImageTag()}`).toBe(`node:${major}-bookworm-slim`);
    }
  });

  it('compiles with dev dependencies in the builder and installs only production ones after', () => {
    const runs = (stage: number) => {
      const start = instructions.indexOf(froms[stage]);
      const end = stage + 1 < froms.length ? instructions.indexOf(froms[stage + 1]) : undefined;

      return instructions
        .slice(start, end)
        .filter((instruction) => instruction.getKeyword() === 'RUN')
        .map(args)
        .join('\n');
    };

    expect(runs(0)).toMatch(/npm ci\b(?![^\n]*--omit=dev)/);
    expect(runs(0)).toContain('npm run build');
    expect(runs(1)).toContain('npm ci --omit=dev');
  });

  it('copies only dist, production node_modules and the CLI helpers into the runtime', () => {
    const copies = runtimeOnes('COPY').map((copy) => copy.getTextContent());

    expect(copies).toEqual([
      expect.stringMatching(/--from=prod-deps .*\/build\/node_modules \.\/node_modules$/),
      expect.stringMatching(/--from=builder .*\/build\/dist \.\/dist$/),
      expect.stringMatching(/ package\.json \.\/$/),
      expect.stringMatching(/ scripts\/build-if-stale\.mjs /),
      expect.stringMatching(/ docker\/alembic \/usr\/local\/bin\/alembic$/),
    ]);
  });

  it('runs as a non-root user, in production, on port 8000', () => {
    const users = runtimeOnes('USER').map(args);

    expect(users).toHaveLength(1);
    expect(users[0]).not.toMatch(/^(root|0)(:|$)/);
    expect(runtimeOnes('EXPOSE').map(args)).toEqual(['8000']);
    expect(runtimeOnes('ENV').map(args).join(' ')).toMatch(/\bENVIRONMENT=production\b/);
    expect(runtimeOnes('CMD').map(args)).toEqual([
      '["node", "--max-semi-space-size=4", "--max-old-space-size=192", "dist/apps/auth-service/src/main.js"]',
    ]);
  });

  it('starts the service with the same V8 flags as `npm start`', () => {
    const [cmd] = runtimeOnes('CMD').map(args);
    const scripts = (
      JSON.parse(readText('package.json')) as {
        scripts: Record<string, string>;
      }
    ).scripts;
    const command = (JSON.parse(cmd) as string[]).join(' ');

    expect(scripts.start).toBe(`exec ${command}`);
    expect(scripts['start:prod']).toBe(`exec ${command}`);
  });

  it('checks its health on /health/live with node, not curl', () => {
    const [healthcheck] = runtimeOnes('HEALTHCHECK').map(args);

    expect(healthcheck).toContain('/health/live');
    expect(healthcheck).toMatch(/CMD \["node", "-e", ".*fetch\(/);
    expect(healthcheck).not.toContain('curl');
  });

  it('keeps the build context to what the image needs', () => {
    const ignore = readText('.dockerignore').split('\n');

    expect(ignore).toContain('**');
    expect(ignore).not.toContain('!.env.production');
    expect(ignore).toContain('!docker/alembic');
  });
});

/** Runs docker/alembic the way the image does, against the built CLI. */
function alembic(args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((done, fail) => {
    const child = spawn('sh', [join(ROOT, 'docker/alembic'), ...args], {
      cwd: env.DATA_DIR,
      env: { PATH: process.env.PATH ?? '', APP_DIR: ROOT, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

describe("the guide's `alembic` commands in the image (docker/alembic)", () => {
  const LATEST = MIGRATIONS[MIGRATIONS.length - 1].name;
  let dataDir: string;
  const run = (...args: string[]) => alembic(args, { DATA_DIR: dataDir, BCRYPT_ROUNDS: '4' });

  beforeAll(async () => {
    await buildIfStale();
    dataDir = mkdtempSync(join(tmpdir(), 'fm-auth-alembic-'));
  }, 300_000);

  afterAll(() => {
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('applies every migration with `alembic upgrade head` and shows them with `alembic current`', async () => {
    expect((await run('upgrade', 'head')).code).toBe(0);
    const current = await run('current');

    expect(current.code).toBe(0);
    for (const migration of MIGRATIONS) expect(current.stdout).toContain(`[X] ${migration.name}`);
  });

  it('reverts the last migration with `alembic downgrade -1`', async () => {
    expect((await run('downgrade', '-1')).code).toBe(0);

    expect((await run('history')).stdout).toContain(`[ ] ${LATEST}`);
  });

  it('refuses what it cannot map, naming the supported commands', async () => {
    const result = await run('revision', '--autogenerate');

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('alembic upgrade head');
  });
});
