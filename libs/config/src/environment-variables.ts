import { z } from 'zod';

/**
 * Every environment variable the service reads, with its meaning and whether it is a secret.
 * Secrets are never printed, not even in validation errors.
 */
export interface VariableSpec {
  description: string;
  schema: z.ZodType;
  secret?: boolean;
}

const flag = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off']))
  .transform((value) => ['true', '1', 'yes', 'on'].includes(value));

const port = z.coerce.number().int().min(1).max(65535);
const positiveInt = z.coerce.number().int().min(1);
const text = z.string().trim().min(1);

export const ENVIRONMENT_VARIABLES = {
  ENVIRONMENT: {
    description: 'Deployment environment: development, test, staging or production',
    schema: z.enum(['development', 'test', 'staging', 'production']).optional(),
  },
  HOST: { description: 'Address the HTTP server binds to', schema: text.optional() },
  PORT: { description: 'HTTP port', schema: port.optional() },
  PUBLIC_URL: {
    description: 'Public base URL of the service, used in links and printed at start-up',
    schema: z.url().optional(),
  },
  LOG_LEVEL: {
    description: 'Log level: DEBUG, INFO, WARN or ERROR (case-insensitive)',
    schema: z
      .string()
      .trim()
      .toLowerCase()
      .pipe(z.enum(['trace', 'debug', 'info', 'warn', 'warning', 'error', 'fatal', 'silent']))
      .transform((level) => (level === 'warning' ? 'warn' : level))
      .optional(),
  },
  LOG_FORMAT: {
    description: 'Log format: json (one JSON object a line) or pretty',
    schema: z
      .string()
      .trim()
      .toLowerCase()
      .pipe(z.enum(['json', 'pretty']))
      .optional(),
  },
  METRICS_PORT: {
    description:
      'Serve GET /metrics on this port only, on its own listener, so the ingress never exposes ' +
      'it (unset: /metrics on the main port)',
    schema: port.optional(),
  },
  OTEL_EXPORTER_OTLP_ENDPOINT: {
    description: 'OTLP/HTTP collector URL; when set, traces are exported there',
    schema: z.url().optional(),
  },
  OTEL_SERVICE_NAME: {
    description: 'Service name on exported traces',
    schema: text.optional(),
  },
  GRACEFUL_SHUTDOWN_TIMEOUT: {
    description:
      'Seconds a SIGTERM may take: readiness fails first, in-flight requests finish, pools ' +
      'close, then the process exits',
    schema: z.coerce.number().int().min(1).max(600).optional(),
  },
  GRACEFUL_SHUTDOWN_DELAY: {
    description:
      'Seconds between a SIGTERM and closing the listener, while readiness already fails, so ' +
      'load balancers stop sending traffic first (capped below GRACEFUL_SHUTDOWN_TIMEOUT)',
    schema: z.coerce.number().int().min(0).max(300).optional(),
  },
  POSTGRES_HOST: {
    description: 'PostgreSQL host; when unset outside production an embedded PostgreSQL is used',
    schema: text.optional(),
  },
  POSTGRES_PORT: { description: 'PostgreSQL port', schema: port.optional() },
  POSTGRES_USER: { description: 'PostgreSQL user', schema: text.optional() },
  POSTGRES_PASSWORD: {
    description: 'PostgreSQL password',
    schema: z.string().optional(),
    secret: true,
  },
  POSTGRES_DB: { description: 'PostgreSQL database name', schema: text.optional() },
  POSTGRES_POOL_SIZE: {
    description: 'Maximum connections in the PostgreSQL pool of one instance',
    schema: positiveInt.max(200).optional(),
  },
  POSTGRES_CONNECT_TIMEOUT_MS: {
    description: 'How long to wait for a PostgreSQL connection before failing the request',
    schema: positiveInt.optional(),
  },
  POSTGRES_REPLICA_HOSTS: {
    description:
      'Read replicas, comma-separated host[:port] (same user, password and database as the ' +
      'primary); admin listings and audit reads go there, authentication never does',
    schema: text.optional(),
  },
  POSTGRES_SSL_MODE: {
    description:
      'TLS to PostgreSQL and its replicas: disable, require (encrypt, no certificate check), ' +
      'verify-ca or verify-full (default verify-full when POSTGRES_SSL_CA_FILE is set, else disable)',
    schema: z.enum(['disable', 'require', 'verify-ca', 'verify-full']).optional(),
  },
  POSTGRES_SSL_CA_FILE: {
    description: 'PEM file of the CA(s) that sign the PostgreSQL server certificates',
    schema: text.optional(),
  },
  POSTGRES_SSL_CERT_FILE: {
    description: 'PEM client certificate for PostgreSQL certificate authentication',
    schema: text.optional(),
  },
  POSTGRES_SSL_KEY_FILE: {
    description: 'PEM private key of POSTGRES_SSL_CERT_FILE',
    schema: text.optional(),
  },
  DATA_DIR: {
    description:
      'Folder for the embedded PostgreSQL and generated development secrets; "memory" keeps nothing',
    schema: text.optional(),
  },
  REDIS_HOST: {
    description: 'Redis host; when unset outside production an in-memory store is used',
    schema: text.optional(),
  },
  REDIS_PORT: { description: 'Redis port', schema: port.optional() },
  REDIS_PASSWORD: { description: 'Redis password', schema: z.string().optional(), secret: true },
  REDIS_DB: {
    description: 'Redis database index',
    schema: z.coerce.number().int().min(0).optional(),
  },
  REDIS_KEY_PREFIX: {
    description: 'Prefix of every Redis key this service writes',
    schema: text.optional(),
  },
  REDIS_MODE: {
    description:
      'How to reach Redis: standalone (REDIS_HOST), sentinel (REDIS_SENTINELS) or cluster ' +
      '(REDIS_CLUSTER_NODES)',
    schema: z.enum(['standalone', 'sentinel', 'cluster']).optional(),
  },
  REDIS_USERNAME: {
    description: 'Redis ACL user (Redis 6+); unset: the default user',
    schema: text.optional(),
  },
  REDIS_TLS: {
    description: 'Connect to Redis (and Sentinel) over TLS; certificates are always verified',
    schema: flag.optional(),
  },
  REDIS_TLS_CA_FILE: {
    description: "PEM file of the CA that signed the Redis servers' certificates",
    schema: text.optional(),
  },
  REDIS_TLS_CERT_FILE: {
    description: 'PEM client certificate, for servers that require one (tls-auth-clients)',
    schema: text.optional(),
  },
  REDIS_TLS_KEY_FILE: {
    description: 'PEM private key of REDIS_TLS_CERT_FILE',
    schema: text.optional(),
  },
  REDIS_TLS_SERVERNAME: {
    description:
      "Name expected in the Redis servers' certificates (default: the host connected to)",
    schema: text.optional(),
  },
  REDIS_SENTINELS: {
    description: 'Sentinel mode: comma-separated host:port list of Sentinels',
    schema: text.optional(),
  },
  REDIS_SENTINEL_MASTER: {
    description: 'Sentinel mode: name of the monitored master',
    schema: text.optional(),
  },
  REDIS_SENTINEL_PASSWORD: {
    description: 'Sentinel mode: password of the Sentinels (requirepass), if they have one',
    schema: z.string().optional(),
    secret: true,
  },
  REDIS_CLUSTER_NODES: {
    description: 'Cluster mode: comma-separated host:port list of seed nodes',
    schema: text.optional(),
  },
  JWT_SECRET_KEY: {
    description: 'HS256 signing key for access tokens (64+ characters in production)',
    schema: z.string().optional(),
    secret: true,
  },
  ENCRYPTION_KEYS: {
    description:
      'AES-256-GCM keys for secrets at rest, `id:base64` (32 bytes) comma-separated; the first ' +
      'encrypts, all decrypt. Unset: derived from JWT_SECRET_KEY in production, else generated ' +
      'into DATA_DIR',
    schema: z.string().optional(),
    secret: true,
  },
  JWT_SECRET_KEY_PREVIOUS: {
    description:
      'Previous HS256 key, still accepted for verification during a rotation (never signs)',
    schema: z.string().optional(),
    secret: true,
  },
  JWT_ALGORITHM: {
    description: 'Signing algorithm of access tokens: HS256, RS256, ES256 or EdDSA',
    schema: z.enum(['HS256', 'RS256', 'ES256', 'EdDSA']).optional(),
  },
  JWT_PRIVATE_KEY: {
    description: 'PEM private key that signs access tokens with RS256, ES256 or EdDSA',
    schema: z.string().optional(),
    secret: true,
  },
  JWT_KEY_ID: {
    description: 'kid of the signing key (default: its RFC 7638 JWK thumbprint)',
    schema: text.max(200).optional(),
  },
  JWT_NEXT_PUBLIC_KEY: {
    description: 'PEM public key of the next signing key, published in JWKS before it signs',
    schema: z.string().optional(),
  },
  JWT_NEXT_KEY_ID: {
    description: 'kid of the next key (default: its JWK thumbprint)',
    schema: text.max(200).optional(),
  },
  JWT_PREVIOUS_PUBLIC_KEY: {
    description: 'PEM public key of the previous signing key; its tokens verify until they expire',
    schema: z.string().optional(),
  },
  JWT_PREVIOUS_KEY_ID: {
    description: 'kid of the previous key (default: its JWK thumbprint)',
    schema: text.max(200).optional(),
  },
  JWT_ISSUER: { description: 'iss claim of issued access tokens', schema: text.optional() },
  JWT_AUDIENCE: { description: 'aud claim of issued access tokens', schema: text.optional() },
  ACCESS_TOKEN_EXPIRE_MINUTES: {
    description: 'Access token lifetime in minutes',
    schema: positiveInt.max(24 * 60).optional(),
  },
  REFRESH_TOKEN_EXPIRE_DAYS: {
    description: 'Refresh token lifetime in days',
    schema: positiveInt.max(365).optional(),
  },
  REFRESH_REUSE_GRACE_SECONDS: {
    description:
      'Seconds after a refresh token was rotated in which presenting it again returns its ' +
      'successor instead of revoking the session (0 turns the grace window off)',
    schema: z.coerce.number().int().min(0).max(60).optional(),
  },
  BCRYPT_ROUNDS: {
    description: 'bcrypt cost factor for new password hashes',
    schema: z.coerce.number().int().min(4).max(15).optional(),
  },
  HASH_CONCURRENCY: {
    description: 'Password hashes computed at once by one instance',
    schema: positiveInt.max(64).optional(),
  },
  HASH_QUEUE_LIMIT: {
    description: 'Password hashes allowed to wait; beyond it requests are refused with 503',
    schema: z.coerce.number().int().min(0).max(10000).optional(),
  },
  PASSWORD_MIN_LENGTH: {
    description: 'Minimum password length (production default 12, otherwise 8)',
    schema: z.coerce.number().int().min(6).max(128).optional(),
  },
  PASSWORD_REQUIRE_UPPERCASE: {
    description: 'Passwords need an upper-case letter',
    schema: flag.optional(),
  },
  PASSWORD_REQUIRE_LOWERCASE: {
    description: 'Passwords need a lower-case letter',
    schema: flag.optional(),
  },
  PASSWORD_REQUIRE_DIGITS: { description: 'Passwords need a digit', schema: flag.optional() },
  PASSWORD_REQUIRE_SPECIAL_CHARS: {
    description: 'Passwords need a character that is not a letter or digit',
    schema: flag.optional(),
  },
  RATE_LIMIT_AUTH_PER_MINUTE: {
    description:
      'Requests per minute one client IP (IPv6: one /64) may make to the authentication routes',
    schema: positiveInt.max(1_000_000).optional(),
  },
  RATE_LIMIT_LOGIN_PER_ACCOUNT_PER_MINUTE: {
    description: 'Login attempts per minute for one email address, from any number of IPs',
    schema: positiveInt.max(1_000_000).optional(),
  },
  MAX_LOGIN_ATTEMPTS: {
    description: 'Failed logins for one email within LOGIN_ATTEMPT_WINDOW_MINUTES that lock it',
    schema: positiveInt.max(1_000_000).optional(),
  },
  LOGIN_ATTEMPT_WINDOW_MINUTES: {
    description: 'Window, from the first failed login, in which failures count toward a lockout',
    schema: positiveInt.max(24 * 60).optional(),
  },
  ACCOUNT_LOCKOUT_DURATION_MINUTES: {
    description: 'How long an account stays locked after MAX_LOGIN_ATTEMPTS failures',
    schema: positiveInt.max(7 * 24 * 60).optional(),
  },
  PASSWORD_REJECT_PERSONAL_INFO: {
    description:
      "Refuse passwords containing the user's email local part or first or last name (3+ characters)",
    schema: flag.optional(),
  },
  PASSWORD_RESET_EXPIRE_MINUTES: {
    description: 'Minutes a password reset link stays valid',
    schema: positiveInt.max(24 * 60).optional(),
  },
  EMAIL_VERIFICATION_EXPIRE_HOURS: {
    description: 'Hours an email verification link stays valid',
    schema: positiveInt.max(30 * 24).optional(),
  },
  REQUIRE_EMAIL_VERIFICATION: {
    description: 'Refuse sign-in to users who have not verified their email address',
    schema: flag.optional(),
  },
  SMTP_HOST: {
    description:
      'SMTP server for outgoing mail; unset, development writes .eml files and production ' +
      'answers mail routes with 503',
    schema: text.optional(),
  },
  SMTP_PORT: { description: 'SMTP port', schema: port.optional() },
  SMTP_USERNAME: {
    description: 'SMTP user name, when the server wants one',
    schema: text.optional(),
  },
  SMTP_PASSWORD: { description: 'SMTP password', schema: z.string().optional(), secret: true },
  SMTP_SECURE: {
    description: 'Connect with TLS from the start (implicit TLS, usually port 465)',
    schema: flag.optional(),
  },
  SMTP_REQUIRE_TLS: {
    description: 'Refuse to send unless the server upgrades the connection with STARTTLS',
    schema: flag.optional(),
  },
  EMAIL_FROM: {
    description: 'Sender of outgoing mail, e.g. "FaultMaven <no-reply@example.com>"',
    schema: text.max(320).optional(),
  },
  CORS_ORIGINS: {
    description: 'Comma-separated exact origins allowed by CORS (required in production)',
    schema: z.string().optional(),
  },
  TRUST_PROXY: {
    description: 'Express trust proxy setting: false, true, a hop count, or addresses/subnets',
    schema: text.optional(),
  },
  BODY_LIMIT: { description: 'Largest accepted JSON body, e.g. 100kb', schema: text.optional() },
  HTTP_REQUEST_TIMEOUT_SECONDS: {
    description:
      'Seconds a client may take to send a whole request, headers and body; a slower one is ' +
      'answered 408 and its connection closed',
    schema: z.coerce.number().int().min(1).max(600).optional(),
  },
  ENABLE_TEAM_MANAGEMENT: {
    description: 'Serve the team routes (off: they answer 404 and leave the OpenAPI document)',
    schema: flag.optional(),
  },
  ENABLE_SSO: {
    description:
      'Serve SAML and OIDC single sign-on (off: the SSO routes answer 404 and leave the OpenAPI ' +
      'document)',
    schema: flag.optional(),
  },
  SAML_CERTIFICATE_DIR: {
    description:
      'Folder of a mounted TLS secret (tls.crt, tls.key) whose key signs SAML requests of ' +
      'connections without their own; re-read when the files change',
    schema: text.optional(),
  },
  SSO_DOMAIN_VERIFICATION: {
    description:
      'How an SSO connection proves its email domains: dns (a TXT record) or trust (every ' +
      'domain counts as proven; refused in production)',
    schema: z.enum(['dns', 'trust']).optional(),
  },
  SSO_DNS_SERVERS: {
    description:
      'DNS servers (host or host:port, comma-separated) for domain verification; unset: the ' +
      "system's resolvers",
    schema: text.optional(),
  },
  SSO_ALLOW_PRIVATE_NETWORK_ISSUERS: {
    description:
      'Let OIDC issuers resolve to private network addresses (an identity provider inside your ' +
      'network); loopback and link-local addresses stay refused in production',
    schema: flag.optional(),
  },
  SSO_CLOCK_SKEW_SECONDS: {
    description: 'Clock difference accepted with identity providers (SAML conditions, ID tokens)',
    schema: z.coerce.number().int().min(0).max(300).optional(),
  },
  SSO_FLOW_TIMEOUT_MINUTES: {
    description: 'Minutes a user may take at the identity provider before the login expires',
    schema: positiveInt.max(60).optional(),
  },
  INVITATION_EXPIRE_DAYS: {
    description: 'Days an invitation to an organization can be accepted before it expires',
    schema: positiveInt.max(365).optional(),
  },
  ENABLE_AUDIT_LOGGING: {
    description: 'Write audit events for authentication and administrative changes',
    schema: flag.optional(),
  },
  AUDIT_RETENTION_DAYS: {
    description: 'Age in days after which `npm run audit:purge` deletes audit events',
    schema: positiveInt.max(36500).optional(),
  },
  ENABLE_SWAGGER: {
    description: 'Serve the Swagger UI at /enterprise/docs',
    schema: flag.optional(),
  },
  RUN_MIGRATIONS_ON_START: {
    description: 'Apply pending migrations at start-up (default true outside production)',
    schema: flag.optional(),
  },
  SEED_ON_START: {
    description: 'Create the default organization and admin on an empty database at start-up',
    schema: flag.optional(),
  },
  DEFAULT_ORGANIZATION_NAME: {
    description: 'Name of the organization the seed creates',
    schema: text.max(200).optional(),
  },
  ADMIN_EMAIL: {
    description: 'Email of the platform administrator the seed creates',
    schema: z.email().optional(),
  },
  ADMIN_PASSWORD: {
    description: 'Password of the seeded administrator; generated and printed once when unset',
    schema: z.string().optional(),
    secret: true,
  },
} satisfies Record<string, VariableSpec>;

export type VariableName = keyof typeof ENVIRONMENT_VARIABLES;

export type RawEnvironment = {
  [K in VariableName]: z.output<(typeof ENVIRONMENT_VARIABLES)[K]['schema']>;
};
