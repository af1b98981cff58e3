import { createHash } from 'node:crypto';

/** The fields of an event the hash covers: everything but its id and its own hash. */
export interface HashedEventFields {
  organizationId: string;
  sequence: string;
  occurredAt: Date;
  actorUserId: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  outcome: string;
  ipAddress: string | null;
  userAgent: string | null;
  requestId: string | null;
  details: Record<string, unknown>;
  previousHash: string | null;
}

/** JSON with object keys sorted at every depth, as PostgreSQL's jsonb does not keep order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }

  return JSON.stringify(value ?? null);
}

/** SHA-256 over the previous hash and every field, so editing or dropping a row shows. */
export function hashAuditEvent(event: HashedEventFields): string {
  const material = canonicalJson([
    event.organizationId,
    event.sequence,
    event.occurredAt.toISOString(),
    event.actorUserId,
    event.action,
    event.targetType,
    event.targetId,
    event.outcome,
    event.ipAddress,
    event.userAgent,
    event.requestId,
    event.details,
    event.previousHash,
  ]);

  return createHash('sha256').update(material, 'utf8').digest('hex');
}
