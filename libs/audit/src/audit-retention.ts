import { DataSource } from 'typeorm';
import { checkChainSpan } from './audit-chain';

export interface AuditPurgeOptions {
  /** Events that occurred before this instant are removed. */
  cutoff: Date;
  /** Limit the purge to these chains; all chains when absent. */
  organizationIds?: string[];
}

export interface AuditChainPurge {
  organizationId: string;
  removed: number;
  /** The new anchor: the last removed event, where verification now starts. */
  anchorSequence: string;
  /** Set when the chain was left untouched because the span to remove does not verify. */
  skippedReason?: string;
}

interface HeadRow {
  last_sequence: string;
  last_hash: string | null;
  anchor_sequence: string;
  anchor_hash: string | null;
}

/** The cutoff for a retention of `days` days, counted back from `now`. */
export function retentionCutoff(days: number, now = new Date()): Date {
  return new Date(now.getTime() - days * 24 * 60 * 60 * 1000);
}

/**
 * Removes the events older than the cutoff from each chain, one transaction per chain, and
 * moves the chain's anchor to the last removed event so what remains still verifies. Only a
 * prefix of a chain is removed: it stops at the first event that is recent enough, even if a
 * later one carries an older time (clocks of several instances).
 */
export async function purgeAuditEvents(
  dataSource: DataSource,
  options: AuditPurgeOptions,
): Promise<AuditChainPurge[]> {
  const chains = await dataSource.query<{ organization_id: string }[]>(
    options.organizationIds
      ? 'SELECT organization_id FROM audit_chain_heads WHERE organization_id = ANY ($1) ORDER BY organization_id'
      : 'SELECT organization_id FROM audit_chain_heads ORDER BY organization_id',
    options.organizationIds ? [options.organizationIds] : [],
  );
  const results: AuditChainPurge[] = [];
  for (const { organization_id: organizationId } of chains) {
    results.push(await purgeChain(dataSource, organizationId, options.cutoff));
  }

  return results;
}

async function purgeChain(
  dataSource: DataSource,
  organizationId: string,
  cutoff: Date,
): Promise<AuditChainPurge> {
  return dataSource.transaction(async (manager) => {
    // Only this transaction may delete audit rows: the table's trigger checks this setting.
    await manager.query(`SET LOCAL faultmaven.audit_purge = 'on'`);
    // Locking the head holds back appends to this chain until the anchor has moved.
    const [head] = await manager.query<HeadRow[]>(
      `SELECT last_sequence, last_hash, anchor_sequence, anchor_hash
         FROM audit_chain_heads WHERE organization_id = $1 FOR UPDATE`,
      [organizationId],
    );
    const anchor = BigInt(head.anchor_sequence);
    const [firstKept] = await manager.query<{ sequence: string; previous_hash: string | null }[]>(
      `SELECT sequence, previous_hash FROM audit_events
        WHERE organization_id = $1 AND sequence > $2 AND occurred_at >= $3
        ORDER BY sequence LIMIT 1`,
      [organizationId, head.anchor_sequence, cutoff],
    );
    const through = firstKept ? BigInt(firstKept.sequence) - 1n : BigInt(head.last_sequence);
    const unchanged = { organizationId, removed: 0, anchorSequence: head.anchor_sequence };
    if (through <= anchor) return unchanged;

    // Removing a span that was tampered with would erase the evidence: check it first.
    const throughHash = firstKept ? firstKept.previous_hash : head.last_hash;
    const check = await checkChainSpan(
      manager,
      organizationId,
      { sequence: anchor, hash: head.anchor_hash },
      { sequence: through, hash: throughHash },
    );
    if (check.firstInvalid) {
      return {
        ...unchanged,
        skippedReason: `event ${check.firstInvalid.sequence}: ${check.firstInvalid.reason}`,
      };
    }

    const deleted = await manager.query<[unknown[], number]>(
      `DELETE FROM audit_events
        WHERE organization_id = $1 AND sequence > $2 AND sequence <= $3`,
      [organizationId, anchor.toString(), through.toString()],
    );
    await manager.query(
      `UPDATE audit_chain_heads SET anchor_sequence = $2, anchor_hash = $3, updated_at = now()
        WHERE organization_id = $1`,
      [organizationId, through.toString(), throughHash],
    );

    return { organizationId, removed: deleted[1], anchorSequence: through.toString() };
  });
}
