import { ConfigValidationError, loadAppConfig } from './app-config';

/** A production environment that passes validation; each test breaks one part of it. */
const PRODUCTION: NodeJS.ProcessEnv = {
  ENVIRONMENT: 'production',
  POSTGRES_HOST: 'db.internal',
  POSTGRES_PASSWORD: 'postgres-password-VALUE',
  REDIS_HOST: 'redis.internal',
  REDIS_PASSWORD: 'redis-password-VALUE',
  JWT_SECRET_KEY: 'k'.repeat(64),
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

    it.each([
      'POSTGRES_HOST',
      'POSTGRES_PASSWORD',
      'REDIS_HOST',
      'REDIS_PASSWORD',
      'JWT_SECRET_KEY',
      'CORS_ORIGINS',
      'PUBLIC_URL',
      'SMTP_HOST',
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
        'PUBLIC_URL is required when ENVIRONMENT=production',
        'SMTP_HOST is required when ENVIRONMENT=production',
        'JWT_SECRET_KEY must be at least 64 characters in production',
        'CORS_ORIGINS must list exact origins in production, not "*"',
        'PASSWORD_MIN_LENGTH must be at least 12 in production',
      ]);
      for (const problem of error.problems) expect(error.message).toContain(problem);
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
