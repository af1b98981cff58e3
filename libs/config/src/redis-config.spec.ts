import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigValidationError, loadAppConfig } from './app-config';
import { parseRedisNodes } from './redis-config';

/** A production environment that passes validation, minus its Redis variables. */
const PRODUCTION: NodeJS.ProcessEnv = {
  ENVIRONMENT: 'production',
  POSTGRES_HOST: 'db.internal',
  POSTGRES_PASSWORD: 'postgres-password-VALUE',
  REDIS_PASSWORD: 'redis-password-VALUE',
  JWT_SECRET_KEY: 'k'.repeat(64),
  CORS_ORIGINS: 'https://app.faultmaven.com',
};

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadAppConfig(env);
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.problems;
    throw error;
  }
  return [];
}

describe('Redis configuration', () => {
  let folder: string;
  let caFile: string;

  beforeAll(() => {
    folder = mkdtempSync(join(tmpdir(), 'fm-redis-config-'));
    caFile = join(folder, 'ca.pem');
    writeFileSync(caFile, 'CA-PEM-CONTENT');
  });

  afterAll(() => {
    rmSync(folder, { recursive: true, force: true });
  });

  it('uses the in-memory store when nothing names a Redis, outside production', () => {
    expect(loadAppConfig({}).redis).toMatchObject({ enabled: false, mode: 'standalone' });
  });

  it('reads a standalone Redis with an ACL user and TLS files, read once', () => {
    const { redis } = loadAppConfig({
      REDIS_HOST: 'redis.internal',
      REDIS_USERNAME: 'fm-auth',
      REDIS_PASSWORD: 'secret',
      REDIS_TLS: 'true',
      REDIS_TLS_CA_FILE: caFile,
      REDIS_TLS_SERVERNAME: 'redis.example',
    });

    expect(redis).toMatchObject({
      enabled: true,
      mode: 'standalone',
      host: 'redis.internal',
      username: 'fm-auth',
      tls: { ca: Buffer.from('CA-PEM-CONTENT'), servername: 'redis.example' },
    });
  });

  it('reads Sentinels, with 26379 as their default port', () => {
    const { redis } = loadAppConfig({
      ...PRODUCTION,
      REDIS_MODE: 'sentinel',
      REDIS_SENTINELS: 's1.internal, s2.internal:26380,[::1]:26381',
      REDIS_SENTINEL_MASTER: 'fm',
      REDIS_SENTINEL_PASSWORD: 'sentinel-secret',
    });

    expect(redis).toMatchObject({
      enabled: true,
      mode: 'sentinel',
      sentinel: {
        masterName: 'fm',
        password: 'sentinel-secret',
        nodes: [
          { host: 's1.internal', port: 26379 },
          { host: 's2.internal', port: 26380 },
          { host: '::1', port: 26381 },
        ],
      },
    });
  });

  it.each([
    [{ REDIS_CLUSTER_NODES: 'n1:7000,n2:7001' }, [7000, 7001]],
    [{ REDIS_HOST: 'seed.internal', REDIS_PORT: '7005' }, [7005]],
  ])('reads cluster seed nodes, REDIS_HOST:REDIS_PORT by default (%j)', (env, ports) => {
    const { redis } = loadAppConfig({ ...PRODUCTION, REDIS_MODE: 'cluster', ...env });

    expect(redis.mode).toBe('cluster');
    expect(redis.cluster?.nodes.map((node) => node.port)).toEqual(ports);
  });

  it.each([
    [{ REDIS_MODE: 'sentinel' }, 'REDIS_SENTINELS is required when REDIS_MODE=sentinel'],
    [
      { REDIS_MODE: 'sentinel', REDIS_SENTINELS: 's1:26379' },
      'REDIS_SENTINEL_MASTER is required when REDIS_MODE=sentinel',
    ],
    [
      {
        REDIS_MODE: 'sentinel',
        REDIS_SENTINELS: 's1',
        REDIS_SENTINEL_MASTER: 'm',
        REDIS_HOST: 'h',
      },
      'REDIS_HOST is set but REDIS_MODE=sentinel',
    ],
    [{ REDIS_MODE: 'cluster' }, 'REDIS_CLUSTER_NODES or REDIS_HOST is required'],
    [{ REDIS_MODE: 'cluster', REDIS_HOST: 'h', REDIS_DB: '2' }, 'REDIS_DB must be 0'],
    [
      { REDIS_HOST: 'h', REDIS_SENTINELS: 's1' },
      'REDIS_SENTINELS is set but REDIS_MODE is standalone',
    ],
    [{ REDIS_HOST: 'h', REDIS_CLUSTER_NODES: 'n1' }, 'REDIS_CLUSTER_NODES is set but REDIS_MODE'],
    [{ REDIS_MODE: 'cluster', REDIS_CLUSTER_NODES: 'n1:99999' }, 'REDIS_CLUSTER_NODES must be'],
    [{ REDIS_MODE: 'replicated' }, 'REDIS_MODE is invalid'],
    [{ REDIS_HOST: 'h', REDIS_TLS_CA_FILE: '/ca.pem' }, 'REDIS_TLS_CA_FILE is set but REDIS_TLS'],
    [
      { REDIS_HOST: 'h', REDIS_TLS: 'true', REDIS_TLS_CERT_FILE: '/c.pem' },
      'REDIS_TLS_CERT_FILE and REDIS_TLS_KEY_FILE must be set together',
    ],
  ])('refuses an inconsistent combination (%j)', (env, problem) => {
    expect(problemsOf(env)).toContainEqual(expect.stringContaining(problem));
  });

  it('names a TLS file that cannot be read, never its path', () => {
    const missing = join(folder, 'secret-location', 'missing-ca.pem');
    const problems = problemsOf({ REDIS_HOST: 'h', REDIS_TLS: 'on', REDIS_TLS_CA_FILE: missing });

    expect(problems).toEqual(['REDIS_TLS_CA_FILE cannot be read']);
  });

  it.each([
    ['standalone', {}, ['REDIS_HOST is required when ENVIRONMENT=production']],
    [
      'sentinel',
      { REDIS_MODE: 'sentinel' },
      [
        'REDIS_SENTINEL_MASTER is required when REDIS_MODE=sentinel',
        'REDIS_SENTINELS is required when REDIS_MODE=sentinel',
      ],
    ],
    [
      'cluster',
      { REDIS_MODE: 'cluster' },
      ['REDIS_CLUSTER_NODES or REDIS_HOST is required when REDIS_MODE=cluster'],
    ],
  ])('requires a Redis in production in %s mode', (_mode, env, problems) => {
    expect(problemsOf({ ...PRODUCTION, ...env }).filter((p) => p.includes('REDIS'))).toEqual(
      problems,
    );
  });

  it('never prints the Sentinel password', () => {
    const problems = problemsOf({
      REDIS_HOST: 'h',
      REDIS_SENTINEL_PASSWORD: 'sentinel-secret-VALUE',
    });

    expect(problems.join('\n')).not.toContain('sentinel-secret-VALUE');
  });

  it.each(['', 'host:', ':6379', 'a b:1', 'h:0'])('refuses the node list %j', (value) => {
    expect(parseRedisNodes(value, 6379)).toBeUndefined();
  });
});
