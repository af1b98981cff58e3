import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@app/config';
import { AuditChainHead } from './audit-chain-head.entity';
import { AuditContext, PLATFORM_AUDIT_CHAIN } from './audit-context';
import { AuditEvent, AuditOutcome } from './audit-event.entity';
import { hashAuditEvent } from './audit-hash';

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

    // The head row is locked until the transaction ends: appends to one chain are serial.
    await manager.query(
      'INSERT INTO audit_chain_heads (organization_id) VALUES ($1) ON CONFLICT DO NOTHING',
      [organizationId],
    );
    const head = await manager
      .getRepository(AuditChainHead)
      .createQueryBuilder('head')
      .where('head.organizationId = :organizationId', { organizationId })
      .setLock('pessimistic_write')
      .getOneOrFail();

    const fields = {
      organizationId,
      sequence: String(BigInt(head.lastSequence) + 1n),
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
      previousHash: head.lastHash,
    };
    const hash = hashAuditEvent(fields);
    const events = manager.getRepository(AuditEvent);
    await events.save(events.create({ ...fields, hash }));
    await manager
      .getRepository(AuditChainHead)
      .update({ organizationId }, { lastSequence: fields.sequence, lastHash: hash });
  }
}
