/**
 * The field names of every structured log line, defined once so they cannot drift. They
 * follow the deployment guide's logging section.
 */
export const LOG_FIELDS = {
  timestamp: 'timestamp',
  level: 'level',
  message: 'message',
  service: 'service',
  environment: 'environment',
  requestId: 'request_id',
  traceId: 'trace_id',
  spanId: 'span_id',
  /** The user who acted: the authenticated caller on a request's lines. */
  userId: 'user_id',
  /** The user an action was about, when not the caller (an unlocked or removed member). */
  targetUserId: 'target_user_id',
  organizationId: 'organization_id',
  endpoint: 'endpoint',
  method: 'method',
  statusCode: 'status_code',
  durationMs: 'duration_ms',
  event: 'event',
} as const;

/**
 * Paths pino censors wherever they appear: a backstop behind the rule that code never logs
 * secrets in the first place.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'password',
  'passwordHash',
  'password_hash',
  'access_token',
  'refresh_token',
  'token',
  'secret',
  '*.password',
  '*.passwordHash',
  '*.password_hash',
  '*.access_token',
  '*.refresh_token',
  '*.token',
  '*.secret',
  '*.authorization',
  '*.cookie',
];
