import { ConfigValidationError, loadAppConfig, parseReplicaHosts } from './app-config';

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadAppConfig(env);
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.problems;
    throw error;
  }

  return [];
}

describe('PostgreSQL replicas and TLS configuration', () => {
  it('has no replicas and no TLS by default', () => {
    expect(loadAppConfig({}).database).toMatchObject({
      replicas: [],
      tls: { mode: 'disable' },
    });
  });

  it.each([
    ['replica-1', [{ host: 'replica-1', port: 5432 }]],
    [
      'replica-1:6432, 10.0.0.7',
      [
        { host: 'replica-1', port: 6432 },
        { host: '10.0.0.7', port: 5432 },
      ],
    ],
    ['[::1]:5433', [{ host: '::1', port: 5433 }]],
  ])('reads POSTGRES_REPLICA_HOSTS=%s', (value, endpoints) => {
    expect(parseReplicaHosts(value, 5432)).toEqual({ endpoints, problems: [] });
  });

  it('gives replicas without a port the primary port', () => {
    const config = loadAppConfig({ POSTGRES_PORT: '6543', POSTGRES_REPLICA_HOSTS: 'r1,r2:7000' });

    expect(config.database.replicas).toEqual([
      { host: 'r1', port: 6543 },
      { host: 'r2', port: 7000 },
    ]);
  });

  it.each(['replica-1:', 'replica-1:70000', 'a,,b', 'host:port', 'two words'])(
    'refuses POSTGRES_REPLICA_HOSTS=%s by entry position',
    (value) => {
      expect(problemsOf({ POSTGRES_REPLICA_HOSTS: value })).toEqual([
        expect.stringMatching(/^POSTGRES_REPLICA_HOSTS entry \d must be host or host:port$/),
      ]);
    },
  );

  it('defaults to verify-full once a CA file is given', () => {
    expect(loadAppConfig({ POSTGRES_SSL_CA_FILE: '/etc/ssl/db-ca.pem' }).database.tls).toEqual({
      mode: 'verify-full',
      caFile: '/etc/ssl/db-ca.pem',
      certFile: undefined,
      keyFile: undefined,
    });
  });

  it('keeps an explicit mode', () => {
    const config = loadAppConfig({
      POSTGRES_SSL_MODE: 'verify-ca',
      POSTGRES_SSL_CA_FILE: '/etc/ssl/db-ca.pem',
    });

    expect(config.database.tls.mode).toBe('verify-ca');
  });

  it.each([
    [{ POSTGRES_SSL_MODE: 'prefer' }, /^POSTGRES_SSL_MODE is invalid/],
    [{ POSTGRES_SSL_CERT_FILE: '/c.pem' }, /must be set together/],
    [{ POSTGRES_SSL_KEY_FILE: '/k.pem' }, /must be set together/],
    [
      { POSTGRES_SSL_MODE: 'disable', POSTGRES_SSL_CA_FILE: '/ca.pem' },
      /^POSTGRES_SSL_CA_FILE is set but POSTGRES_SSL_MODE is disable$/,
    ],
  ])('refuses %o', (env, problem) => {
    expect(problemsOf(env)).toEqual([expect.stringMatching(problem)]);
  });
});
