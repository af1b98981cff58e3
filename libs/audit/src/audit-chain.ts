import { EntityManager } from 'typeorm';
import { AuditEvent } from './audit-event.entity';
import { hashAuditEvent } from './audit-hash';

/** A point of a chain: a sequence and the hash of the event there (null before the first). */
export interface ChainPoint {
  sequence: bigint;
  hash: string | null;
}

export interface ChainBreak {
  sequence: bigint;
  eventId: string | null;
  reason: string;
}

export interface ChainCheck {
  checked: number;
  firstInvalid: ChainBreak | null;
}

const VERIFY_BATCH_SIZE = 500;

/**
 * Walks the events of one organization's chain after `start` up to and including `end`, in
 * sequence order and in batches, recomputing every hash and following every previous_hash
 * link. Stops at the first problem and says what a person can act on.
 */
export async function checkChainSpan(
  manager: EntityManager,
  organizationId: string,
  start: ChainPoint,
  end: ChainPoint,
): Promise<ChainCheck> {
  const events = manager.getRepository(AuditEvent);
  let expected = start.sequence + 1n;
  let previous: { id: string | null; hash: string | null } = { id: null, hash: start.hash };
  let checked = 0;

  while (expected <= end.sequence) {
    const batch = await events
      .createQueryBuilder('event')
      .where('event.organizationId = :organizationId', { organizationId })
      .andWhere('event.sequence >= :expected', { expected: expected.toString() })
      .andWhere('event.sequence <= :last', { last: end.sequence.toString() })
      .orderBy('event.sequence', 'ASC')
      .limit(VERIFY_BATCH_SIZE)
      .getMany();
    if (batch.length === 0) break;

    for (const event of batch) {
      const sequence = BigInt(event.sequence);
      checked += 1;
      const problem = checkEvent(event, sequence, expected, previous);
      if (problem) return { checked, firstInvalid: problem };
      previous = { id: event.id, hash: event.hash };
      expected = sequence + 1n;
    }
  }

  if (expected <= end.sequence) {
    return {
      checked,
      firstInvalid: {
        sequence: expected,
        eventId: null,
        reason: `chain end missing: events ${expected}..${end.sequence} were removed`,
      },
    };
  }
  if (previous.hash !== end.hash) {
    return {
      checked,
      firstInvalid: {
        sequence: end.sequence,
        eventId: previous.id,
        reason:
          'hash link broken: the chain head does not point to this event; it was altered ' +
          'or replaced',
      },
    };
  }

  return { checked, firstInvalid: null };
}

function checkEvent(
  event: AuditEvent,
  sequence: bigint,
  expected: bigint,
  previous: { id: string | null; hash: string | null },
): ChainBreak | null {
  if (sequence !== expected) {
    return {
      sequence,
      eventId: event.id,
      reason: `sequence gap: events ${expected}..${sequence - 1n} were removed`,
    };
  }
  if (hashAuditEvent(event) !== event.hash) {
    return { sequence, eventId: event.id, reason: 'hash mismatch: the event was altered' };
  }
  if (event.previousHash === previous.hash) return null;

  // The event itself is intact, so the one before it changed (its hash was recomputed), or
  // the anchor a purge left was edited.
  return previous.id
    ? {
        sequence: sequence - 1n,
        eventId: previous.id,
        reason: `hash link broken: event ${sequence} does not point to this event; it was altered or replaced`,
      }
    : {
        sequence,
        eventId: event.id,
        reason:
          "hash link broken: the event does not follow the chain's anchor; the anchor or " +
          'the event was altered',
      };
}
