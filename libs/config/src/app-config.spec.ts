import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigValidationError, loadAppConfig } from './app-config';

/** A production environment that passes validation; each test breaks one part of it. */
const PRODUCTION: NodeJS.ProcessEnv = {
  ENVIRONMENT: 'production',
  POSTGRES_HOST: 'db.internal',
  POSTGRES_PASSWORD: 'postgres-password-VALUE',
  REDIS_HOST: 'redis.internal',
  REDIS_PASSWORD: 'redis-password-VALUE',
  JWT_SECRET_KEY: 'k'.repeat(64),
  ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')}`,
  CORS_ORIGINS: 'https://app.faultmaven.com',
  PUBLIC_URL: 'https://auth.faultmaven.com',
  SMTP_HOST: 'smtp.internal',
};

function validationError(env: NodeJS.ProcessEnv): ConfigValidationError {
  try {
    loadAppConfig(env);
  } catch (error) {
    if (error instanceof ConfigValidationError) return error;
    throw error;
  }
  throw new Error('expected loadAppConfig to refuse the environment');
}

describe('loadAppConfig', () => {
  describe('in development', () => {
    it('starts with safe defaults and nothing set', () => {
      const config = loadAppConfig({});

      expect(config).toMatchObject({
        environment: 'development',
        isProduction: false,
        http: {
          host: '0.0.0.0',
          port: 8000,
          publicUrl: 'http://localhost:8000',
          corsOrigins: [],
          trustProxy: false,
          swagger: true,
        },
        log: { level: 'info', format: 'pretty' },
        dataDir: '.data',
        database: { host: undefined, port: 5432, user: 'postgres', database: 'faultmaven_auth' },
        redis: { host: undefined, port: 6379, db: 0, keyPrefix: 'fm-auth:' },
        jwt: {
          secret: undefined,
          issuer: 'faultmaven-auth',
          audience: 'faultmaven',
          accessTokenTtlSeconds: 15 * 60,
        },
        refreshTokenTtlSeconds: 7 * 24 * 60 * 60,
        hashing: { bcryptRounds: 12, queueLimit: 64 },
        startup: { runMigrations: true, seed: true },
      });
      expect(config.hashing.concurrency).toBeGreaterThanOrEqual(2);
    });

    it('treats blank values as unset', () => {
      const config = loadAppConfig({ PORT: '  ', POSTGRES_HOST: '', JWT_SECRET_KEY: '' });

      expect(config.http.port).toBe(8000);
      expect(config.database.host).toBeUndefined();
      expect(config.jwt.secret).toBeUndefined();
    });

    it('accepts a short JWT secret, "*" in CORS_ORIGINS and missing servers', () => {
      const config = loadAppConfig({ JWT_SECRET_KEY: 'dev', CORS_ORIGINS: '*' });

      expect(config.jwt.secret).toBe('dev');
      expect(config.http.corsOrigins).toEqual(['*']);
    });

    it('parses the documented spellings of values', () => {
      const config = loadAppConfig({
        PORT: '9000',
        LOG_LEVEL: 'WARNING',
        ENABLE_SWAGGER: 'off',
        SEED_ON_START: 'YES',
        CORS_ORIGINS: ' https://a.example , https://b.example ,',
        TRUST_PROXY: '2',
        PUBLIC_URL: 'https://auth.example.com/',
        ADMIN_EMAIL: 'Admin@Example.com',
      });

      expect(config.http.port).toBe(9000);
      expect(config.log.level).toBe('warn');
      expect(config.http.swagger).toBe(false);
      expect(config.startup.seed).toBe(true);
      expect(config.http.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
      expect(config.http.trustProxy).toBe(2);
      expect(config.http.publicUrl).toBe('https://auth.example.com');
      expect(config.seed.adminEmail).toBe('admin@example.com');
    });
  });

  describe('in production', () => {
    it('starts with every required variable set', () => {
      const config = loadAppConfig(PRODUCTION);

      expect(config).toMatchObject({
        environment: 'production',
        isProduction: true,
        log: { format: 'json' },
        startup: { runMigrations: false, seed: false },
      });
    });

    it("starts with only the deployment guide's critical variables, without mail", () => {
      const config = loadAppConfig({
        ENVIRONMENT: 'production',
        POSTGRES_HOST: 'db.internal',
        POSTGRES_PASSWORD: 'postgres-password-VALUE',
        REDIS_HOST: 'redis.internal',
        REDIS_PASSWORD: 'redis-password-VALUE',
        JWT_SECRET_KEY: 'k'.repeat(64),
        CORS_ORIGINS: 'https://app.faultmaven.com',
      });

      expect(config.encryptionKeys).toBeUndefined();
      expect(config.mail).toMatchObject({ smtp: undefined, available: false });
    });

    it('offers mail outside production without SMTP_HOST (.eml files)', () => {
      expect(loadAppConfig({}).mail.available).toBe(true);
    });

    it.each([
      [{ SMTP_HOST: 'smtp.internal', PUBLIC_URL: undefined }, 'PUBLIC_URL is required'],
      [{ SMTP_HOST: undefined, REQUIRE_EMAIL_VERIFICATION: 'true' }, 'needs SMTP_HOST'],
    ])('refuses mail settings that cannot deliver working links (%j)', (override, rule) => {
      const error = validationError({ ...PRODUCTION, ...override });

      expect(error.problems).toEqual([expect.stringContaining(rule)]);
    });

    it.each([
      'POSTGRES_HOST',
      'POSTGRES_PASSWORD',
      'REDIS_HOST',
      'REDIS_PASSWORD',
      'JWT_SECRET_KEY',
      'CORS_ORIGINS',
    ])('refuses to start without %s', (name) => {
      const error = validationError({ ...PRODUCTION, [name]: undefined });

      expect(error.problems).toEqual([`${name} is required when ENVIRONMENT=production`]);
    });

    it.each([
      ['JWT_SECRET_KEY', { JWT_SECRET_KEY: 'k'.repeat(63) }, 'at least 64 characters'],
      ['CORS_ORIGINS', { CORS_ORIGINS: '*' }, 'not "*"'],
      ['CORS_ORIGINS', { CORS_ORIGINS: 'https://app.faultmaven.com, *' }, 'not "*"'],
      ['PASSWORD_MIN_LENGTH', { PASSWORD_MIN_LENGTH: '11' }, 'at least 12'],
    ])('refuses an unsafe %s (%j)', (name, override, rule) => {
      const error = validationError({ ...PRODUCTION, ...override });

      expect(error.problems).toHaveLength(1);
      expect(error.problems[0]).toContain(name);
      expect(error.problems[0]).toContain(rule);
    });

    it('accepts the limits themselves: a 64-character secret and PASSWORD_MIN_LENGTH=12', () => {
      const config = loadAppConfig({ ...PRODUCTION, PASSWORD_MIN_LENGTH: '12' });

      expect(config.password.minLength).toBe(12);
    });

    it('lists every problem at once, naming each variable', () => {
      const error = validationError({
        ENVIRONMENT: 'production',
        JWT_SECRET_KEY: 'short-secret-VALUE',
        CORS_ORIGINS: '*',
        PASSWORD_MIN_LENGTH: '8',
        PORT: 'abc',
      });

      expect(error.problems).toEqual([
        expect.stringMatching(/^PORT /),
        'POSTGRES_HOST is required when ENVIRONMENT=production',
        'POSTGRES_PASSWORD is required when ENVIRONMENT=production',
        'REDIS_HOST is required when ENVIRONMENT=production',
        'REDIS_PASSWORD is required when ENVIRONMENT=production',
        'JWT_SECRET_KEY must be at least 64 characters in production',
        'CORS_ORIGINS must list exact origins in production, not "*"',
        'PASSWORD_MIN_LENGTH must be at least 12 in production',
      ]);
      for (const problem of error.problems) expect(error.message).toContain(problem);
    });

    it('reads ENCRYPTION_KEYS in order, the first one encrypting', () => {
      const k2 = Buffer.alloc(32, 2).toString('base64');
      const config = loadAppConfig({
        ...PRODUCTION,
        ENCRYPTION_KEYS: `k2:${k2}, ${PRODUCTION.ENCRYPTION_KEYS}`,
      });

      expect(config.encryptionKeys?.map((entry) => entry.id)).toEqual(['k2', 'k1']);
      expect(config.encryptionKeys?.[0].key).toEqual(Buffer.alloc(32, 2));
    });

    it.each([
      ['a key of the wrong length', `k1:${Buffer.alloc(16, 7).toString('base64')}`, 'entry 1'],
      ['a key without an id', Buffer.alloc(32, 7).toString('base64'), 'entry 1'],
      [
        'a repeated id',
        `k1:${Buffer.alloc(32, 7).toString('base64')},k1:${Buffer.alloc(32, 8).toString('base64')}`,
        'repeats',
      ],
    ])('refuses ENCRYPTION_KEYS with %s, without printing it', (_name, value, rule) => {
      const error = validationError({ ...PRODUCTION, ENCRYPTION_KEYS: value });

      expect(error.problems).toHaveLength(1);
      expect(error.problems[0]).toContain('ENCRYPTION_KEYS');
      expect(error.problems[0]).toContain(rule);
      expect(error.message).not.toContain(Buffer.alloc(32, 7).toString('base64'));
    });

    it('never puts a secret value in the message', () => {
      const secrets = {
        JWT_SECRET_KEY: 'short-secret-VALUE',
        POSTGRES_PASSWORD: 'postgres-secret-VALUE',
        REDIS_PASSWORD: 'redis-secret-VALUE',
        ADMIN_PASSWORD: 'admin-secret-VALUE',
      };
      const error = validationError({ ENVIRONMENT: 'production', ...secrets, PORT: 'abc' });

      expect(error.message).toContain('JWT_SECRET_KEY');
      for (const value of Object.values(secrets)) {
        expect(error.message).not.toContain(value);
        expect(JSON.stringify(error.problems)).not.toContain(value);
      }
    });

    it('requires 12-character passwords with complexity by default', () => {
      expect(loadAppConfig(PRODUCTION).password).toEqual({
        minLength: 12,
        maxLength: 128,
        requireUppercase: true,
        requireLowercase: true,
        requireDigits: true,
        requireSpecialChars: true,
        rejectPersonalInfo: true,
      });
    });

    it('requires STARTTLS from the SMTP server unless implicit TLS or the operator says not', () => {
      expect(loadAppConfig(PRODUCTION).mail.smtp).toEqual({
        host: 'smtp.internal',
        port: 587,
        secure: false,
        requireTls: true,
        username: undefined,
        password: undefined,
      });
      expect(loadAppConfig({ ...PRODUCTION, SMTP_PORT: '465' }).mail.smtp).toMatchObject({
        secure: true,
        requireTls: false,
      });
      expect(
        loadAppConfig({ ...PRODUCTION, SMTP_REQUIRE_TLS: 'false' }).mail.smtp?.requireTls,
      ).toBe(false);
    });
  });

  it('requires 8-character passwords without complexity by default in development', () => {
    expect(loadAppConfig({}).password).toEqual({
      minLength: 8,
      maxLength: 128,
      requireUppercase: false,
      requireLowercase: false,
      requireDigits: false,
      requireSpecialChars: false,
      rejectPersonalInfo: false,
    });
  });

  it('sends no mail through SMTP and keeps email verification optional by default', () => {
    expect(loadAppConfig({})).toMatchObject({
      mail: { smtp: undefined, from: 'FaultMaven <no-reply@faultmaven.local>' },
      passwordReset: { ttlSeconds: 30 * 60 },
      emailVerification: { ttlSeconds: 48 * 60 * 60, required: false },
    });
  });

  it('lets each password rule be set explicitly', () => {
    const config = loadAppConfig({ PASSWORD_MIN_LENGTH: '10', PASSWORD_REQUIRE_DIGITS: 'true' });

    expect(config.password).toMatchObject({ minLength: 10, requireDigits: true });
    expect(config.password.requireUppercase).toBe(false);
  });

  describe('invalid values', () => {
    it.each([
      ['PORT', 'abc'],
      ['PORT', '70000'],
      ['LOG_LEVEL', 'loud'],
      ['LOG_FORMAT', 'xml'],
      ['ENABLE_SWAGGER', 'maybe'],
      ['SEED_ON_START', 'maybe'],
      ['ACCESS_TOKEN_EXPIRE_MINUTES', '0'],
      ['REFRESH_TOKEN_EXPIRE_DAYS', '-1'],
      ['BCRYPT_ROUNDS', '3'],
      ['ENVIRONMENT', 'live'],
      ['PUBLIC_URL', 'not a url'],
      ['ADMIN_EMAIL', 'not-an-email'],
    ])('names %s=%s without repeating the value', (name, value) => {
      const error = validationError({ [name]: value });

      expect(error.problems).toHaveLength(1);
      expect(error.problems[0]).toMatch(new RegExp(`^${name} is invalid`));
      expect(error.problems[0]).not.toContain(value);
    });

    it('names each invalid variable when several are wrong', () => {
      const error = validationError({
        PORT: 'abc',
        LOG_LEVEL: 'loud',
        ENABLE_SWAGGER: 'maybe',
        ACCESS_TOKEN_EXPIRE_MINUTES: '0',
      });

      const named = error.problems.map((problem) => problem.split(' ')[0]);

      expect(named.sort()).toEqual([
        'ACCESS_TOKEN_EXPIRE_MINUTES',
        'ENABLE_SWAGGER',
        'LOG_LEVEL',
        'PORT',
      ]);
    });
  });
});

describe('signing key configuration', () => {
  const rsa = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const problemsOf = (env: Record<string, string>): string[] => {
    try {
      loadAppConfig(env);
    } catch (error) {
      return (error as ConfigValidationError).problems;
    }
    return [];
  };

  it('accepts an RS256 key pair given on one line with \\n escapes', () => {
    const config = loadAppConfig({
      JWT_ALGORITHM: 'RS256',
      JWT_PRIVATE_KEY: rsa.privateKey.replace(/\n/g, '\\n'),
      JWT_NEXT_PUBLIC_KEY: rsa.publicKey,
    });

    expect(config.jwt.privateKey).toBe(rsa.privateKey.trim());
  });

  it.each<[string, Record<string, string>, string]>([
    ['a missing private key', { JWT_ALGORITHM: 'ES256' }, 'JWT_PRIVATE_KEY is required'],
    [
      'a private key that is not PEM',
      { JWT_ALGORITHM: 'RS256', JWT_PRIVATE_KEY: 'not-a-key-secret-text' },
      'JWT_PRIVATE_KEY is not a PEM private key',
    ],
    [
      'a key of another type',
      { JWT_ALGORITHM: 'EdDSA', JWT_PRIVATE_KEY: rsa.privateKey },
      'JWT_PRIVATE_KEY must be an Ed25519 key',
    ],
    [
      'a private key given as the next public key',
      {
        JWT_ALGORITHM: 'RS256',
        JWT_PRIVATE_KEY: rsa.privateKey,
        JWT_NEXT_PUBLIC_KEY: rsa.privateKey,
      },
      'JWT_NEXT_PUBLIC_KEY holds a private key',
    ],
    [
      'a key pair with HS256',
      { JWT_PRIVATE_KEY: rsa.privateKey },
      'JWT_PRIVATE_KEY is set but JWT_ALGORITHM is HS256',
    ],
  ])('names %s without printing it', (_case, env, expected) => {
    const problems = problemsOf(env);

    expect(problems.join('\n')).toContain(expected);
    expect(problems.join('\n')).not.toMatch(/BEGIN|not-a-key-secret-text/);
  });

  it('requires no JWT_SECRET_KEY in production with a key pair, and a long previous secret', () => {
    const production = {
      ENVIRONMENT: 'production',
      JWT_ALGORITHM: 'RS256',
      JWT_PRIVATE_KEY: rsa.privateKey,
    };

    expect(problemsOf(production).join('\n')).not.toContain('JWT_SECRET_KEY');
    // Nothing to derive secrets-at-rest keys from, unlike HS256's secret.
    expect(problemsOf(production)).toContain(
      'ENCRYPTION_KEYS is required in production with JWT_ALGORITHM RS256',
    );
    expect(
      problemsOf({
        ENVIRONMENT: 'production',
        JWT_SECRET_KEY: 'k'.repeat(64),
        JWT_SECRET_KEY_PREVIOUS: 'short',
      }),
    ).toContain('JWT_SECRET_KEY_PREVIOUS must be at least 64 characters in production');
  });
});

describe('secrets from files (<NAME>_FILE)', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'fm-secrets-'));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function secretFile(name: string, content: string): string {
    const path = join(dir, name);
    writeFileSync(path, content, { mode: 0o600 });

    return path;
  }

  it('reads every secret of the production environment from files, dropping one line break', () => {
    const { POSTGRES_PASSWORD, JWT_SECRET_KEY, REDIS_PASSWORD, ...rest } = PRODUCTION;
    const config = loadAppConfig({
      ...rest,
      POSTGRES_PASSWORD_FILE: secretFile('db', `${POSTGRES_PASSWORD}\n`),
      JWT_SECRET_KEY_FILE: secretFile('jwt', `${JWT_SECRET_KEY}\n`),
      REDIS_PASSWORD_FILE: secretFile('redis', String(REDIS_PASSWORD)),
    });

    expect(config.database).toMatchObject({ password: POSTGRES_PASSWORD });
    expect(config.redis).toMatchObject({ password: REDIS_PASSWORD });
    expect(config.jwt.secret).toBe(JWT_SECRET_KEY);
  });

  it('keeps a multi-line PEM key whole', () => {
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const config = loadAppConfig({
      JWT_ALGORITHM: 'ES256',
      JWT_PRIVATE_KEY_FILE: secretFile('jwt.pem', pem),
    });

    expect(config.jwt.privateKey?.trim()).toBe(pem.trim());
  });

  it('refuses a secret set both directly and as a file, naming both', () => {
    const error = validationError({
      ...PRODUCTION,
      JWT_SECRET_KEY_FILE: secretFile('jwt-both', 'j'.repeat(64)),
    });

    expect(error.problems).toContain(
      'JWT_SECRET_KEY and JWT_SECRET_KEY_FILE are both set: set only one of them',
    );
  });

  it('names an unreadable file without printing any secret', () => {
    const error = validationError({
      ...PRODUCTION,
      POSTGRES_PASSWORD: undefined,
      POSTGRES_PASSWORD_FILE: join(dir, 'missing'),
    });

    expect(error.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^POSTGRES_PASSWORD_FILE names a file that cannot be read \(ENOENT\)/,
        ),
      ]),
    );
    expect(error.message).not.toContain('postgres-password-VALUE');
  });

  it('validates a secret read from a file like one given directly', () => {
    const error = validationError({
      ...PRODUCTION,
      JWT_SECRET_KEY: undefined,
      JWT_SECRET_KEY_FILE: secretFile('short', 'short'),
    });

    expect(error.problems.join('\n')).toMatch(/JWT_SECRET_KEY/);
    expect(error.message).not.toContain('short\n');
  });

  it('ignores _FILE for variables that are not secrets', () => {
    const config = loadAppConfig({ LOG_LEVEL_FILE: secretFile('level', 'error') });

    expect(config.log.level).toBe('info');
  });
});
