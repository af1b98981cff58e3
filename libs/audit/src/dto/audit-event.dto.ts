import { ApiProperty } from '@nestjs/swagger';
import { AUDIT_OUTCOMES, AuditEvent, AuditOutcome } from '../audit-event.entity';

/** One audit event as the API shows it. */
export class AuditEventDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 42, description: "Position in the organization's hash chain" })
  sequence!: number;

  @ApiProperty({ format: 'date-time' })
  occurred_at!: string;

  @ApiProperty({ format: 'uuid', nullable: true, type: String })
  actor_user_id!: string | null;

  @ApiProperty({ example: 'auth.login' })
  action!: string;

  @ApiProperty({ example: 'session', nullable: true, type: String })
  target_type!: string | null;

  @ApiProperty({ nullable: true, type: String })
  target_id!: string | null;

  @ApiProperty({ enum: AUDIT_OUTCOMES, example: 'success' })
  outcome!: AuditOutcome;

  @ApiProperty({ example: '203.0.113.7', nullable: true, type: String })
  ip_address!: string | null;

  @ApiProperty({ nullable: true, type: String })
  user_agent!: string | null;

  @ApiProperty({ nullable: true, type: String })
  request_id!: string | null;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: { method: 'password' },
    description: 'What changed, by id and name; never secrets',
  })
  details!: Record<string, unknown>;

  @ApiProperty({ description: 'SHA-256 (hex) over the previous hash and every field' })
  hash!: string;

  @ApiProperty({ nullable: true, type: String, description: 'Hash of the event before it' })
  previous_hash!: string | null;
}

export function toAuditEventDto(event: AuditEvent): AuditEventDto {
  return {
    id: event.id,
    sequence: Number(event.sequence),
    occurred_at: event.occurredAt.toISOString(),
    actor_user_id: event.actorUserId,
    action: event.action,
    target_type: event.targetType,
    target_id: event.targetId,
    outcome: event.outcome,
    ip_address: event.ipAddress,
    user_agent: event.userAgent,
    request_id: event.requestId,
    details: event.details,
    hash: event.hash,
    previous_hash: event.previousHash,
  };
}
