import { AuditException } from './audit.exception';

/** Largest PostgreSQL bigint: a cursor beyond it cannot name an event. */
const MAX_SEQUENCE = 9_223_372_036_854_775_807n;
const CURSOR_VERSION = 1;

/**
 * The position after which the next page starts: the sequence of the last event returned.
 * Encoded as base64url JSON so clients treat it as opaque and we can change it later.
 */
export function encodeAuditCursor(sequence: string): string {
  return Buffer.from(JSON.stringify({ v: CURSOR_VERSION, s: sequence }), 'utf8').toString(
    'base64url',
  );
}

/** The sequence a cursor points at; anything not issued by encodeAuditCursor is a 400. */
export function decodeAuditCursor(cursor: string): bigint {
  const invalid = new AuditException('AUDIT_INVALID_CURSOR');
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) throw invalid;

  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid;
  }
  const { v, s } = (payload ?? {}) as { v?: unknown; s?: unknown };
  if (v !== CURSOR_VERSION || typeof s !== 'string' || !/^[1-9]\d{0,18}$/.test(s)) throw invalid;
  const sequence = BigInt(s);
  if (sequence > MAX_SEQUENCE) throw invalid;

  return sequence;
}
