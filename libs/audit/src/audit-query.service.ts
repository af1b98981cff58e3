import { Readable } from 'node:stream';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, SelectQueryBuilder } from 'typeorm';
import { ReadReplica } from '@app/database';
import { AuditChainHead } from './audit-chain-head.entity';
import { checkChainSpan } from './audit-chain';
import { AuditContext } from './audit-context';
import { decodeAuditCursor, encodeAuditCursor } from './audit-cursor';
import { csvRow } from './audit-csv';
import { AuditEvent } from './audit-event.entity';
import { AuditException } from './audit.exception';
import { AuditService } from './audit.service';
import { AuditEventDto, toAuditEventDto } from './dto/audit-event.dto';
import { AuditEventPageDto } from './dto/audit-event-page.dto';
import { AuditTimeRangeQueryDto } from './dto/audit-time-range-query.dto';
import { AuditVerificationDto } from './dto/audit-verification.dto';
import { AuditExportFormat, ExportAuditEventsQueryDto } from './dto/export-audit-events-query.dto';
import { ListAuditEventsQueryDto } from './dto/list-audit-events-query.dto';

const EXPORT_BATCH_SIZE = 500;

/** The columns of a CSV export, in the order of the event DTO. */
const CSV_COLUMNS: (keyof AuditEventDto)[] = [
  'id',
  'sequence',
  'occurred_at',
  'actor_user_id',
  'action',
  'target_type',
  'target_id',
  'outcome',
  'ip_address',
  'user_agent',
  'request_id',
  'details',
  'hash',
  'previous_hash',
];

export interface AuditExport {
  contentType: string;
  filename: string;
  body: Readable;
}

/**
 * Reads an organization's audit chain: filtered pages, streamed exports and verification.
 * Every method takes the organization of the caller's token and never reads another chain.
 * Pages and exports read a replica when there is one; verification reads the primary.
 */
@Injectable()
export class AuditQueryService {
  constructor(
    private readonly audit: AuditService,
    private readonly dataSource: DataSource,
    private readonly replica: ReadReplica,
  ) {}

  /** One page, newest first, with keyset pagination on the sequence. */
  async list(organizationId: string, query: ListAuditEventsQueryDto): Promise<AuditEventPageDto> {
    this.checkTimeRange(query);

    return this.replica.read((manager) => this.listOn(manager, organizationId, query));
  }

  private async listOn(
    manager: EntityManager,
    organizationId: string,
    query: ListAuditEventsQueryDto,
  ): Promise<AuditEventPageDto> {
    const builder = this.filtered(manager, organizationId, query);
    if (query.actor_id)
      builder.andWhere('event.actorUserId = :actorId', { actorId: query.actor_id });
    if (query.action?.endsWith('.*')) {
      // `_` is a LIKE wildcard and may appear in action names; `%` and `\` cannot (validated).
      const prefix = query.action.slice(0, -1).replace(/_/g, '\\_');
      builder.andWhere(`event.action LIKE :actionPrefix ESCAPE '\\'`, {
        actionPrefix: `${prefix}%`,
      });
    } else if (query.action) {
      builder.andWhere('event.action = :action', { action: query.action });
    }
    if (query.target_type) {
      builder.andWhere('event.targetType = :targetType', { targetType: query.target_type });
    }
    if (query.target_id) {
      builder.andWhere('event.targetId = :targetId', { targetId: query.target_id });
    }
    if (query.outcome) builder.andWhere('event.outcome = :outcome', { outcome: query.outcome });
    if (query.cursor) {
      const before = decodeAuditCursor(query.cursor);
      builder.andWhere('event.sequence < :before', { before: before.toString() });
    }

    const rows = await builder
      .orderBy('event.sequence', 'DESC')
      .limit(query.limit + 1)
      .getMany();
    const page = rows.slice(0, query.limit);
    const hasMore = rows.length > query.limit;

    return {
      data: page.map(toAuditEventDto),
      next_cursor: hasMore ? encodeAuditCursor(page[page.length - 1].sequence) : null,
    };
  }

  /**
   * Records the export, then streams the matching events oldest first (chain order, so a
   * reader can re-check the hashes) in keyset batches, pulled only as fast as the client
   * reads. The first batch is read before returning, so a database failure is still a problem
   * response rather than a cut-off download.
   */
  async export(
    organizationId: string,
    query: ExportAuditEventsQueryDto,
    actor: AuditContext,
  ): Promise<AuditExport> {
    this.checkTimeRange(query);
    await this.dataSource.transaction((manager) =>
      this.audit.record(manager, actor, {
        action: 'audit.exported',
        outcome: 'success',
        organizationId,
        targetType: 'audit_events',
        details: {
          format: query.format,
          from: query.from?.toISOString() ?? null,
          to: query.to?.toISOString() ?? null,
        },
      }),
    );

    // Events appended while the download runs are left out: the export ends where the chain
    // ended when it started, so a busy organization cannot make it run forever. Head and
    // batches come from one connection: with replicas, one replica, since two may be at
    // different points and a batch cut short by lag would end the export early. On a lagging
    // replica the export ends where that replica's chain ends.
    const lease = await this.replica.lease();
    try {
      const head = await lease.manager.getRepository(AuditChainHead).findOneBy({ organizationId });
      const last = head?.lastSequence ?? '0';
      const first = await this.exportBatch(lease.manager, organizationId, query, 0n, last);
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      const body = Readable.from(
        this.exportChunks(lease.manager, organizationId, query, last, first),
      );
      // 'close' follows the end, a failure and a client that hangs up, even before the first
      // read, so the connection always goes back to its pool.
      body.once('close', () => void lease.release());

      return {
        contentType:
          query.format === 'csv'
            ? 'text/csv; charset=utf-8'
            : 'application/x-ndjson; charset=utf-8',
        filename: `audit-events-${stamp}.${query.format}`,
        body,
      };
    } catch (error) {
      await lease.release();
      throw error;
    }
  }

  /**
   * Walks the organization's chain from its anchor (where the last purge stopped) to its
   * head, in one snapshot so concurrent appends and purges cannot produce false alarms.
   * Always on the primary: a replica whose replication stalled would report a stale chain as
   * valid, and the answer to "was this tampered with" must come from the authoritative copy.
   */
  async verify(organizationId: string): Promise<AuditVerificationDto> {
    return this.dataSource.transaction('REPEATABLE READ', async (manager) => {
      const head = await manager.getRepository(AuditChainHead).findOneBy({ organizationId });
      const anchor = {
        sequence: BigInt(head?.anchorSequence ?? 0),
        hash: head?.anchorHash ?? null,
      };
      const end = { sequence: BigInt(head?.lastSequence ?? 0), hash: head?.lastHash ?? null };
      const check = await checkChainSpan(manager, organizationId, anchor, end);
      let firstInvalid = check.firstInvalid;

      if (!firstInvalid) {
        // Rows past the head were not written by AuditService.
        const extra = await manager
          .getRepository(AuditEvent)
          .createQueryBuilder('event')
          .where('event.organizationId = :organizationId', { organizationId })
          .andWhere('event.sequence > :last', { last: end.sequence.toString() })
          .orderBy('event.sequence', 'ASC')
          .getOne();
        if (extra) {
          firstInvalid = {
            sequence: BigInt(extra.sequence),
            eventId: extra.id,
            reason: 'event after the chain end: it was inserted outside the audit writer',
          };
        }
      }

      return {
        valid: firstInvalid === null,
        checked: check.checked,
        first_invalid: firstInvalid && {
          sequence: Number(firstInvalid.sequence),
          event_id: firstInvalid.eventId,
          reason: firstInvalid.reason,
        },
      };
    });
  }

  private filtered(
    manager: EntityManager,
    organizationId: string,
    query: AuditTimeRangeQueryDto,
  ): SelectQueryBuilder<AuditEvent> {
    this.checkTimeRange(query);
    const builder = manager
      .getRepository(AuditEvent)
      .createQueryBuilder('event')
      .where('event.organizationId = :organizationId', { organizationId });
    if (query.from) builder.andWhere('event.occurredAt >= :from', { from: query.from });
    if (query.to) builder.andWhere('event.occurredAt < :to', { to: query.to });

    return builder;
  }

  private checkTimeRange(query: AuditTimeRangeQueryDto): void {
    if (query.from && query.to && query.from >= query.to) {
      throw new AuditException('AUDIT_INVALID_TIME_RANGE');
    }
  }

  private exportBatch(
    manager: EntityManager,
    organizationId: string,
    query: AuditTimeRangeQueryDto,
    after: bigint,
    last: string,
  ): Promise<AuditEvent[]> {
    return this.filtered(manager, organizationId, query)
      .andWhere('event.sequence > :after', { after: after.toString() })
      .andWhere('event.sequence <= :last', { last })
      .orderBy('event.sequence', 'ASC')
      .limit(EXPORT_BATCH_SIZE)
      .getMany();
  }

  private async *exportChunks(
    manager: EntityManager,
    organizationId: string,
    query: ExportAuditEventsQueryDto,
    last: string,
    firstBatch: AuditEvent[],
  ): AsyncGenerator<string> {
    if (query.format === 'csv') yield csvRow(CSV_COLUMNS);
    let batch = firstBatch;
    while (batch.length > 0) {
      yield batch.map((event) => formatEvent(toAuditEventDto(event), query.format)).join('');
      if (batch.length < EXPORT_BATCH_SIZE) return;
      const after = BigInt(batch[batch.length - 1].sequence);
      batch = await this.exportBatch(manager, organizationId, query, after, last);
    }
  }
}

function formatEvent(event: AuditEventDto, format: AuditExportFormat): string {
  switch (format) {
    case 'ndjson':
      return `${JSON.stringify(event)}\n`;
    case 'csv':
      return csvRow(
        CSV_COLUMNS.map((column) => {
          const value = event[column];

          return typeof value === 'object' && value !== null ? JSON.stringify(value) : value;
        }),
      );
  }
}
