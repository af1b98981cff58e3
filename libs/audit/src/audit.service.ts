import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@app/config';
import { AuditContext, PLATFORM_AUDIT_CHAIN } from './audit-context';
import { AuditOutcome } from './audit-event.entity';
import { hashAuditEvent } from './audit-hash';

interface HeadRow {
  last_sequence: string;
  last_hash: string | null;
}

/**
 * Every audited write runs these two statements, written out rather than built by TypeORM: on
 * the hot paths (login, refresh) they were four round trips, two of them query builders.
 */
const LOCK_HEAD_SQL = `
  INSERT INTO audit_chain_heads (organization_id) VALUES ($1)
  ON CONFLICT (organization_id) DO UPDATE SET organization_id = EXCLUDED.organization_id
  RETURNING last_sequence, last_hash`;

/** The event and the head's move to it, in one statement. */
const APPEND_SQL = `
  WITH event AS (
    INSERT INTO audit_events (organization_id, sequence, occurred_at, actor_user_id, action,
      target_type, target_id, outcome, ip_address, user_agent, request_id, details,
      previous_hash, hash)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::jsonb, $13, $14)
  )
  UPDATE audit_chain_heads SET last_sequence = $2, last_hash = $14, updated_at = now()
   WHERE organization_id = $1`;

export interface AuditRecord {
  action: string;
  outcome: AuditOutcome;
  /** Defaults to the context's organization; null or absent there means the platform chain. */
  organizationId?: string | null;
  /** Defaults to the context's actor. */
  actorUserId?: string | null;
  targetType?: string;
  targetId?: string;
  /** Never secrets: ids, names, reasons. */
  details?: Record<string, unknown>;
}

/**
 * Appends audit events to per-organization hash chains, inside the caller's transaction so
 * an event exists exactly when the change it records does.
 */
@Injectable()
export class AuditService {
  private readonly enabled: boolean;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.enabled = config.features.audit;
  }

  async record(manager: EntityManager, context: AuditContext, record: AuditRecord): Promise<void> {
    if (!this.enabled) return;
    const organizationId =
      (record.organizationId === undefined ? context.organizationId : record.organizationId) ??
      PLATFORM_AUDIT_CHAIN;

    // The chain's head, created with its first event, is locked until the transaction ends:
    // appends to one chain are serial. A conflicting upsert locks and returns the latest row
    // even when a concurrent transaction created it after this statement began.
    const [head] = await manager.query<HeadRow[]>(LOCK_HEAD_SQL, [organizationId]);
    const fields = {
      organizationId,
      sequence: String(BigInt(head.last_sequence) + 1n),
      occurredAt: new Date(),
      actorUserId: record.actorUserId === undefined ? context.actorUserId : record.actorUserId,
      action: record.action,
      targetType: record.targetType ?? null,
      targetId: record.targetId ?? null,
      outcome: record.outcome,
      ipAddress: context.ip?.slice(0, 45) ?? null,
      userAgent: context.userAgent?.slice(0, 512) ?? null,
      requestId: context.requestId?.slice(0, 128) ?? null,
      details: record.details ?? {},
      previousHash: head.last_hash,
    };
    const hash = hashAuditEvent(fields);
    await manager.query(APPEND_SQL, [
      fields.organizationId,
      fields.sequence,
      fields.occurredAt,
      fields.actorUserId ?? null,
      fields.action,
      fields.targetType,
      fields.targetId,
      fields.outcome,
      fields.ipAddress,
      fields.userAgent,
      fields.requestId,
      JSON.stringify(fields.details),
      fields.previousHash,
      hash,
    ]);
  }
}
