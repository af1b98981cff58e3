import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { ENVIRONMENT_VARIABLES, RawEnvironment, VariableName } from './environment-variables';
import { JwtAlgorithm, normalizePem, parsePrivateKey, parsePublicKey } from './jwt-keys';
import { RedisConfig, loadRedisConfig } from './redis-config';

export type Environment = 'development' | 'test' | 'staging' | 'production';

export interface PasswordPolicy {
  minLength: number;
  maxLength: number;
  requireUppercase: boolean;
  requireLowercase: boolean;
  requireDigits: boolean;
  requireSpecialChars: boolean;
  /** Refuse passwords containing the email's local part or the first or last name. */
  rejectPersonalInfo: boolean;
}

export interface SmtpConfig {
  host: string;
  port: number;
  /** Implicit TLS from the first byte (port 465); otherwise STARTTLS when offered. */
  secure: boolean;
  /** Fail rather than send over a connection the server did not upgrade with STARTTLS. */
  requireTls: boolean;
  username?: string;
  password?: string;
}

export interface MailConfig {
  /** Undefined: no SMTP server; outside production mails are written under DATA_DIR/mail. */
  smtp?: SmtpConfig;
  from: string;
  /**
   * Whether mails with links can reach users. False only in production without `SMTP_HOST`
   * (the deployment guide's minimal configuration): password reset and verification mails are
   * then refused with 503 rather than silently dropped.
   */
  available: boolean;
}

export interface DatabaseConfig {
  /** Undefined means: run the embedded PostgreSQL. */
  host?: string;
  port: number;
  user: string;
  password?: string;
  database: string;
  poolSize: number;
  connectTimeoutMs: number;
  /** Read replicas for lag-tolerant reads; empty means every query goes to the primary. */
  replicas: PostgresEndpoint[];
  tls: PostgresTlsConfig;
}

export interface PostgresEndpoint {
  host: string;
  port: number;
}

export type PostgresSslMode = 'disable' | 'require' | 'verify-ca' | 'verify-full';

/** File paths only: the database lib reads them once when it builds the pools. */
export interface PostgresTlsConfig {
  mode: PostgresSslMode;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

/** One AES-256-GCM key of ENCRYPTION_KEYS: its id travels in every ciphertext it makes. */
export interface EncryptionKey {
  id: string;
  key: Buffer;
}

export interface AppConfig {
  environment: Environment;
  isProduction: boolean;
  http: {
    host: string;
    port: number;
    publicUrl: string;
    corsOrigins: string[];
    trustProxy: boolean | number | string;
    bodyLimit: string;
    /** Time a client has to send a whole request (Node's headersTimeout and requestTimeout). */
    requestTimeoutMs: number;
    swagger: boolean;
  };
  log: { level: string; format: 'json' | 'pretty' };
  observability: {
    /** Undefined: /metrics is served on the main port. */
    metricsPort?: number;
    /** Undefined: no tracing. */
    otlpEndpoint?: string;
    serviceName: string;
  };
  shutdown: {
    timeoutSeconds: number;
    /** Seconds readiness fails before the listener closes; always below the timeout. */
    drainDelaySeconds: number;
  };
  dataDir: string;
  database: DatabaseConfig;
  redis: RedisConfig;
  jwt: {
    algorithm: JwtAlgorithm;
    /** HS256 only. Undefined outside production means: generate one under DATA_DIR. */
    secret?: string;
    /** HS256 only: the key before the last rotation, accepted but never used to sign. */
    previousSecret?: string;
    /** RS256/ES256/EdDSA: PEM private key that signs; validated at load. */
    privateKey?: string;
    keyId?: string;
    /** PEM public key published in JWKS before it signs. */
    nextPublicKey?: string;
    nextKeyId?: string;
    /** PEM public key of the key that signed before; its tokens verify until they expire. */
    previousPublicKey?: string;
    previousKeyId?: string;
    issuer: string;
    audience: string;
    accessTokenTtlSeconds: number;
  };
  /**
   * Keys for secrets at rest, the encrypting one first. Undefined outside production means:
   * generate one and keep it under DATA_DIR.
   */
  encryptionKeys?: EncryptionKey[];
  refreshTokenTtlSeconds: number;
  /** How long a rotated refresh token still answers with its successor (two tabs at once). */
  refreshReuseGraceSeconds: number;
  password: PasswordPolicy;
  hashing: { bcryptRounds: number; concurrency: number; queueLimit: number };
  rateLimits: { authPerMinute: number; loginPerAccountPerMinute: number };
  lockout: { maxAttempts: number; windowSeconds: number; durationSeconds: number };
  features: { teams: boolean; audit: boolean; sso: boolean };
  sso: {
    clockSkewSeconds: number;
    flowTtlSeconds: number;
    /** Lets an OIDC issuer on a loopback address speak plain HTTP: never in production. */
    allowHttpLoopbackIssuers: boolean;
    /** Mounted TLS secret (tls.crt, tls.key) for SAML request signing; may not exist. */
    certificateDir: string;
    domainVerification: 'dns' | 'trust';
    /** Resolvers for domain verification; empty: the system's. */
    dnsServers: string[];
    /** Whether OIDC issuers may resolve to loopback, link-local or private addresses. */
    allowLoopbackIssuerAddresses: boolean;
    allowPrivateIssuerAddresses: boolean;
  };
  audit: { retentionDays: number };
  invitations: { expireDays: number };
  mail: MailConfig;
  passwordReset: { ttlSeconds: number };
  emailVerification: { ttlSeconds: number; required: boolean };
  startup: { runMigrations: boolean; seed: boolean };
  seed: { organizationName: string; adminEmail: string; adminPassword?: string };
}

export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigValidationError';
  }
}

/** Variables whose absence stops a production start. */
const REQUIRED_IN_PRODUCTION: VariableName[] = [
  'POSTGRES_HOST',
  'POSTGRES_PASSWORD',
  'REDIS_HOST',
  'REDIS_PASSWORD',
  'CORS_ORIGINS',
];

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/**
 * Parses `k2:BASE64,k1:BASE64`. Problems name the position of the bad entry, never its value,
 * since the whole variable is a secret.
 */
export function parseEncryptionKeys(value: string): { keys: EncryptionKey[]; problems: string[] } {
  const keys: EncryptionKey[] = [];
  const problems: string[] = [];
  const entries = value.split(',').map((entry) => entry.trim());
  entries.forEach((entry, index) => {
    const separator = entry.indexOf(':');
    const id = separator > 0 ? entry.slice(0, separator) : '';
    const encoded = separator > 0 ? entry.slice(separator + 1) : '';
    const key = BASE64.test(encoded) ? Buffer.from(encoded, 'base64') : Buffer.alloc(0);
    if (!KEY_ID.test(id) || key.length !== 32) {
      problems.push(
        `ENCRYPTION_KEYS entry ${index + 1} must be id:base64 of 32 bytes ` +
          '(id of letters, digits, - or _)',
      );
      return;
    }
    if (keys.some((known) => known.id === id)) {
      problems.push(`ENCRYPTION_KEYS entry ${index + 1} repeats a key id`);
      return;
    }
    keys.push({ id, key });
  });

  return { keys, problems };
}

/**
 * Parses `replica-1,replica-2:5433,[::1]:5434`. An entry without a port takes the primary's
 * port, since replicas usually mirror the primary's setup.
 */
export function parseReplicaHosts(
  value: string | undefined,
  defaultPort: number,
): { endpoints: PostgresEndpoint[]; problems: string[] } {
  const endpoints: PostgresEndpoint[] = [];
  const problems: string[] = [];
  if (value === undefined) return { endpoints, problems };

  value.split(',').forEach((entry, index) => {
    const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]]+))(?::(\d{1,5}))?$/.exec(entry.trim());
    const port = match?.[3] === undefined ? defaultPort : Number(match[3]);
    if (!match || port < 1 || port > 65535) {
      problems.push(`POSTGRES_REPLICA_HOSTS entry ${index + 1} must be host or host:port`);
      return;
    }
    endpoints.push({ host: match[1] ?? match[2], port });
  });

  return { endpoints, problems };
}

function postgresTls(raw: RawEnvironment): PostgresTlsConfig {
  return {
    mode: raw.POSTGRES_SSL_MODE ?? (raw.POSTGRES_SSL_CA_FILE ? 'verify-full' : 'disable'),
    caFile: raw.POSTGRES_SSL_CA_FILE,
    certFile: raw.POSTGRES_SSL_CERT_FILE,
    keyFile: raw.POSTGRES_SSL_KEY_FILE,
  };
}

function postgresTlsProblems(raw: RawEnvironment): string[] {
  const problems: string[] = [];
  if ((raw.POSTGRES_SSL_CERT_FILE === undefined) !== (raw.POSTGRES_SSL_KEY_FILE === undefined)) {
    problems.push('POSTGRES_SSL_CERT_FILE and POSTGRES_SSL_KEY_FILE must be set together');
  }
  if (raw.POSTGRES_SSL_MODE === 'disable') {
    // A file that is set but silently unused would leave the operator believing TLS is on.
    for (const name of [
      'POSTGRES_SSL_CA_FILE',
      'POSTGRES_SSL_CERT_FILE',
      'POSTGRES_SSL_KEY_FILE',
    ] as const) {
      if (raw[name] !== undefined) problems.push(`${name} is set but POSTGRES_SSL_MODE is disable`);
    }
  }

  return problems;
}

const MIN_PRODUCTION_SECRET_LENGTH = 64;

/** Suffix of the variable that names a file holding a secret (Docker and Kubernetes secrets). */
export const SECRET_FILE_SUFFIX = '_FILE';

/**
 * The environment with every secret given as `<NAME>_FILE` read from its file, once. Setting
 * both forms is a problem, and so is a file that cannot be read; problems name the
 * variables and the path, never what the file holds. One final line break is dropped, as
 * `echo secret > file` and Kubernetes' `--from-file` leave one.
 */
function withSecretFiles(env: NodeJS.ProcessEnv, problems: string[]): NodeJS.ProcessEnv {
  const resolved: NodeJS.ProcessEnv = { ...env };
  for (const [name, spec] of Object.entries(ENVIRONMENT_VARIABLES)) {
    if (!('secret' in spec && spec.secret)) continue;
    const fileVariable = `${name}${SECRET_FILE_SUFFIX}`;
    const path = env[fileVariable]?.trim();
    if (!path) continue;
    if (env[name]?.trim()) {
      problems.push(`${name} and ${fileVariable} are both set: set only one of them`);
      continue;
    }
    try {
      resolved[name] = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      problems.push(`${fileVariable} names a file that cannot be read (${code}): ${path}`);
    }
  }

  return resolved;
}

function parseVariables(input: NodeJS.ProcessEnv): { raw: RawEnvironment; problems: string[] } {
  const raw: Record<string, unknown> = {};
  const problems: string[] = [];
  const env = withSecretFiles(input, problems);

  for (const [name, spec] of Object.entries(ENVIRONMENT_VARIABLES)) {
    const value = env[name];
    const input = value === undefined || value.trim() === '' ? undefined : value;
    const result = spec.schema.safeParse(input);
    if (result.success) {
      raw[name] = result.data;
      continue;
    }
    // Zod messages describe the rule, never the value; secrets get no detail at all.
    const detail = 'secret' in spec && spec.secret ? 'is invalid' : result.error.issues[0].message;
    problems.push(`${name} ${detail.startsWith('is ') ? detail : `is invalid: ${detail}`}`);
  }

  return { raw: raw as RawEnvironment, problems };
}

function parseTrustProxy(value: string | undefined): boolean | number | string {
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);

  return value;
}

/**
 * Key material problems in any environment: a key that does not parse, does not fit the
 * algorithm, or is set for the other family of algorithms. Names variables, never values.
 */
function signingKeyProblems(raw: RawEnvironment): string[] {
  const algorithm = raw.JWT_ALGORITHM ?? 'HS256';
  const asymmetricVariables = [
    'JWT_PRIVATE_KEY',
    'JWT_KEY_ID',
    'JWT_NEXT_PUBLIC_KEY',
    'JWT_NEXT_KEY_ID',
    'JWT_PREVIOUS_PUBLIC_KEY',
    'JWT_PREVIOUS_KEY_ID',
  ] as const;
  if (algorithm === 'HS256') {
    return asymmetricVariables
      .filter((name) => raw[name] !== undefined)
      .map((name) => `${name} is set but JWT_ALGORITHM is HS256; set JWT_ALGORITHM to use it`);
  }

  const problems: string[] = [];
  for (const name of ['JWT_SECRET_KEY', 'JWT_SECRET_KEY_PREVIOUS'] as const) {
    if (raw[name] !== undefined) problems.push(`${name} is set but JWT_ALGORITHM is ${algorithm}`);
  }
  if (raw.JWT_PRIVATE_KEY === undefined) {
    problems.push(`JWT_PRIVATE_KEY is required when JWT_ALGORITHM is ${algorithm}`);
  } else {
    const { problem } = parsePrivateKey('JWT_PRIVATE_KEY', raw.JWT_PRIVATE_KEY, algorithm);
    if (problem) problems.push(problem);
  }
  for (const [name, idName] of [
    ['JWT_NEXT_PUBLIC_KEY', 'JWT_NEXT_KEY_ID'],
    ['JWT_PREVIOUS_PUBLIC_KEY', 'JWT_PREVIOUS_KEY_ID'],
  ] as const) {
    const pem = raw[name];
    if (pem === undefined) {
      if (raw[idName] !== undefined) problems.push(`${idName} is set without ${name}`);
      continue;
    }
    const { problem } = parsePublicKey(name, pem, algorithm);
    if (problem) problems.push(problem);
  }
  const ids = [raw.JWT_KEY_ID, raw.JWT_NEXT_KEY_ID, raw.JWT_PREVIOUS_KEY_ID].filter(Boolean);
  if (new Set(ids).size !== ids.length) {
    problems.push('JWT_KEY_ID, JWT_NEXT_KEY_ID and JWT_PREVIOUS_KEY_ID must differ');
  }

  return problems;
}

function shutdownConfig(raw: RawEnvironment, isProduction: boolean): AppConfig['shutdown'] {
  // Kubernetes waits 30 s (terminationGracePeriodSeconds) before it kills a pod.
  const timeoutSeconds = raw.GRACEFUL_SHUTDOWN_TIMEOUT ?? 25;
  // Readiness probes run every few seconds in production; a developer's Ctrl-C need not wait.
  const delay = raw.GRACEFUL_SHUTDOWN_DELAY ?? (isProduction ? 5 : 0);

  // The delay leaves at least a second of the timeout for the requests to finish.
  return { timeoutSeconds, drainDelaySeconds: Math.max(0, Math.min(delay, timeoutSeconds - 1)) };
}

function smtpConfig(host: string, raw: RawEnvironment, isProduction: boolean): SmtpConfig {
  const port = raw.SMTP_PORT ?? 587;
  const secure = raw.SMTP_SECURE ?? port === 465;

  return {
    host,
    port,
    secure,
    // In production, credentials and reset links never cross the network in clear text unless
    // the operator says so; implicit TLS needs no upgrade.
    requireTls: raw.SMTP_REQUIRE_TLS ?? (isProduction && !secure),
    username: raw.SMTP_USERNAME,
    password: raw.SMTP_PASSWORD,
  };
}

function productionProblems(raw: RawEnvironment): string[] {
  // Sentinel and cluster modes name their servers in other variables (see redis-config.ts).
  const required = REQUIRED_IN_PRODUCTION.filter(
    (name) => name !== 'REDIS_HOST' || (raw.REDIS_MODE ?? 'standalone') === 'standalone',
  );
  const problems = required
    .filter((name) => raw[name] === undefined)
    .map((name) => `${name} is required when ENVIRONMENT=production`);
  if (raw.ENCRYPTION_KEYS === undefined && (raw.JWT_ALGORITHM ?? 'HS256') !== 'HS256') {
    // With HS256 a key is derived from JWT_SECRET_KEY; a key pair offers nothing to derive from.
    problems.push(
      `ENCRYPTION_KEYS is required in production with JWT_ALGORITHM ${raw.JWT_ALGORITHM}`,
    );
  }
  // Links in mails are built from PUBLIC_URL: without it they would point at localhost.
  if (raw.SMTP_HOST !== undefined && raw.PUBLIC_URL === undefined) {
    problems.push('PUBLIC_URL is required in production when SMTP_HOST is set');
  }
  if (raw.REQUIRE_EMAIL_VERIFICATION && raw.SMTP_HOST === undefined) {
    problems.push('REQUIRE_EMAIL_VERIFICATION needs SMTP_HOST in production');
  }
  if ((raw.JWT_ALGORITHM ?? 'HS256') === 'HS256') {
    if (raw.JWT_SECRET_KEY === undefined) {
      problems.push('JWT_SECRET_KEY is required when ENVIRONMENT=production');
    }
    for (const name of ['JWT_SECRET_KEY', 'JWT_SECRET_KEY_PREVIOUS'] as const) {
      const secret = raw[name];
      if (secret !== undefined && secret.length < MIN_PRODUCTION_SECRET_LENGTH) {
        problems.push(
          `${name} must be at least ${MIN_PRODUCTION_SECRET_LENGTH} characters in production`,
        );
      }
    }
  }
  const origins = (raw.CORS_ORIGINS ?? '').split(',').map((origin) => origin.trim());
  if (origins.includes('*')) {
    problems.push('CORS_ORIGINS must list exact origins in production, not "*"');
  }
  if (raw.SSO_DOMAIN_VERIFICATION === 'trust') {
    problems.push('SSO_DOMAIN_VERIFICATION=trust is refused in production: domains must be proven');
  }
  if (raw.PASSWORD_MIN_LENGTH !== undefined && raw.PASSWORD_MIN_LENGTH < 12) {
    problems.push('PASSWORD_MIN_LENGTH must be at least 12 in production');
  }

  return problems;
}

/**
 * Reads and validates the environment once. Throws a ConfigValidationError that names every
 * problem and never a value.
 */
export function loadAppConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const { raw, problems } = parseVariables(env);
  const environment: Environment = raw.ENVIRONMENT ?? 'development';
  const isProduction = environment === 'production';
  if (problems.length === 0) problems.push(...signingKeyProblems(raw));
  if (isProduction) problems.push(...productionProblems(raw));
  const encryption =
    raw.ENCRYPTION_KEYS === undefined ? undefined : parseEncryptionKeys(raw.ENCRYPTION_KEYS);
  if (encryption) problems.push(...encryption.problems);
  const { redis, problems: redisProblems } = loadRedisConfig(raw);
  problems.push(...redisProblems);
  const replicas = parseReplicaHosts(raw.POSTGRES_REPLICA_HOSTS, raw.POSTGRES_PORT ?? 5432);
  problems.push(...replicas.problems, ...postgresTlsProblems(raw));
  if (problems.length > 0) throw new ConfigValidationError(problems);

  const port = raw.PORT ?? 8000;
  const strictPasswords = isProduction;

  return {
    environment,
    isProduction,
    http: {
      host: raw.HOST ?? '0.0.0.0',
      port,
      publicUrl: (raw.PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/+$/, ''),
      corsOrigins: (raw.CORS_ORIGINS ?? '')
        .split(',')
        .map((origin) => origin.trim())
        .filter(Boolean),
      trustProxy: parseTrustProxy(raw.TRUST_PROXY),
      bodyLimit: raw.BODY_LIMIT ?? '100kb',
      requestTimeoutMs: (raw.HTTP_REQUEST_TIMEOUT_SECONDS ?? 30) * 1000,
      swagger: raw.ENABLE_SWAGGER ?? true,
    },
    log: {
      level: raw.LOG_LEVEL ?? 'info',
      format: raw.LOG_FORMAT ?? (isProduction || environment === 'staging' ? 'json' : 'pretty'),
    },
    observability: {
      metricsPort: raw.METRICS_PORT,
      otlpEndpoint: raw.OTEL_EXPORTER_OTLP_ENDPOINT,
      serviceName: raw.OTEL_SERVICE_NAME ?? 'faultmaven-auth',
    },
    shutdown: shutdownConfig(raw, isProduction),
    dataDir: raw.DATA_DIR ?? '.data',
    database: {
      host: raw.POSTGRES_HOST,
      port: raw.POSTGRES_PORT ?? 5432,
      user: raw.POSTGRES_USER ?? 'postgres',
      password: raw.POSTGRES_PASSWORD,
      database: raw.POSTGRES_DB ?? 'faultmaven_auth',
      poolSize: raw.POSTGRES_POOL_SIZE ?? 10,
      connectTimeoutMs: raw.POSTGRES_CONNECT_TIMEOUT_MS ?? 5000,
      replicas: replicas.endpoints,
      tls: postgresTls(raw),
    },
    redis,
    jwt: {
      algorithm: raw.JWT_ALGORITHM ?? 'HS256',
      secret: raw.JWT_SECRET_KEY,
      previousSecret: raw.JWT_SECRET_KEY_PREVIOUS,
      privateKey: raw.JWT_PRIVATE_KEY && normalizePem(raw.JWT_PRIVATE_KEY),
      keyId: raw.JWT_KEY_ID,
      nextPublicKey: raw.JWT_NEXT_PUBLIC_KEY && normalizePem(raw.JWT_NEXT_PUBLIC_KEY),
      nextKeyId: raw.JWT_NEXT_KEY_ID,
      previousPublicKey: raw.JWT_PREVIOUS_PUBLIC_KEY && normalizePem(raw.JWT_PREVIOUS_PUBLIC_KEY),
      previousKeyId: raw.JWT_PREVIOUS_KEY_ID,
      issuer: raw.JWT_ISSUER ?? 'faultmaven-auth',
      audience: raw.JWT_AUDIENCE ?? 'faultmaven',
      accessTokenTtlSeconds: (raw.ACCESS_TOKEN_EXPIRE_MINUTES ?? 15) * 60,
    },
    encryptionKeys: encryption?.keys,
    refreshTokenTtlSeconds: (raw.REFRESH_TOKEN_EXPIRE_DAYS ?? 7) * 24 * 60 * 60,
    refreshReuseGraceSeconds: raw.REFRESH_REUSE_GRACE_SECONDS ?? 5,
    password: {
      minLength: raw.PASSWORD_MIN_LENGTH ?? (strictPasswords ? 12 : 8),
      maxLength: 128,
      requireUppercase: raw.PASSWORD_REQUIRE_UPPERCASE ?? strictPasswords,
      requireLowercase: raw.PASSWORD_REQUIRE_LOWERCASE ?? strictPasswords,
      requireDigits: raw.PASSWORD_REQUIRE_DIGITS ?? strictPasswords,
      requireSpecialChars: raw.PASSWORD_REQUIRE_SPECIAL_CHARS ?? strictPasswords,
      // Off by default outside production, where the deployment guide's smoke test registers
      // "Test User" with the password "Test123!@#".
      rejectPersonalInfo: raw.PASSWORD_REJECT_PERSONAL_INFO ?? strictPasswords,
    },
    hashing: {
      bcryptRounds: raw.BCRYPT_ROUNDS ?? 12,
      concurrency: raw.HASH_CONCURRENCY ?? Math.max(2, availableParallelism()),
      queueLimit: raw.HASH_QUEUE_LIMIT ?? 64,
    },
    rateLimits: {
      authPerMinute: raw.RATE_LIMIT_AUTH_PER_MINUTE ?? 30,
      loginPerAccountPerMinute: raw.RATE_LIMIT_LOGIN_PER_ACCOUNT_PER_MINUTE ?? 10,
    },
    lockout: {
      maxAttempts: raw.MAX_LOGIN_ATTEMPTS ?? 5,
      windowSeconds: (raw.LOGIN_ATTEMPT_WINDOW_MINUTES ?? 15) * 60,
      durationSeconds: (raw.ACCOUNT_LOCKOUT_DURATION_MINUTES ?? 30) * 60,
    },
    features: {
      teams: raw.ENABLE_TEAM_MANAGEMENT ?? true,
      audit: raw.ENABLE_AUDIT_LOGGING ?? true,
      sso: raw.ENABLE_SSO ?? true,
    },
    sso: {
      clockSkewSeconds: raw.SSO_CLOCK_SKEW_SECONDS ?? 60,
      flowTtlSeconds: (raw.SSO_FLOW_TIMEOUT_MINUTES ?? 10) * 60,
      allowHttpLoopbackIssuers: !isProduction,
      // Where the deployment guide mounts the optional `saml-certificate` secret.
      certificateDir: raw.SAML_CERTIFICATE_DIR ?? '/var/secrets/saml',
      // Developers and tests run identity providers nowhere near a DNS zone of their own.
      domainVerification:
        raw.SSO_DOMAIN_VERIFICATION ??
        (environment === 'development' || environment === 'test' ? 'trust' : 'dns'),
      dnsServers: (raw.SSO_DNS_SERVERS ?? '')
        .split(',')
        .map((server) => server.trim())
        .filter(Boolean),
      allowLoopbackIssuerAddresses: !isProduction,
      allowPrivateIssuerAddresses: raw.SSO_ALLOW_PRIVATE_NETWORK_ISSUERS ?? !isProduction,
    },
    audit: { retentionDays: raw.AUDIT_RETENTION_DAYS ?? 365 },
    invitations: { expireDays: raw.INVITATION_EXPIRE_DAYS ?? 7 },
    mail: {
      smtp: raw.SMTP_HOST ? smtpConfig(raw.SMTP_HOST, raw, isProduction) : undefined,
      from: raw.EMAIL_FROM ?? 'FaultMaven <no-reply@faultmaven.local>',
      available: !isProduction || raw.SMTP_HOST !== undefined,
    },
    passwordReset: { ttlSeconds: (raw.PASSWORD_RESET_EXPIRE_MINUTES ?? 30) * 60 },
    emailVerification: {
      ttlSeconds: (raw.EMAIL_VERIFICATION_EXPIRE_HOURS ?? 48) * 60 * 60,
      required: raw.REQUIRE_EMAIL_VERIFICATION ?? false,
    },
    startup: {
      runMigrations: raw.RUN_MIGRATIONS_ON_START ?? !isProduction,
      seed: raw.SEED_ON_START ?? !isProduction,
    },
    seed: {
      organizationName: raw.DEFAULT_ORGANIZATION_NAME ?? 'Default Organization',
      adminEmail: (raw.ADMIN_EMAIL ?? 'admin@faultmaven.local').toLowerCase(),
      adminPassword: raw.ADMIN_PASSWORD,
    },
  };
}
