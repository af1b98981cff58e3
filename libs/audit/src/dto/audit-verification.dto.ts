import { ApiExtraModels, ApiProperty } from '@nestjs/swagger';
import { nullableModel } from '@app/common';

/** Where the chain first fails to verify, and what to look for. */
export class AuditChainBreakDto {
  @ApiProperty({
    example: 17,
    description:
      'The event that fails: the altered one, the one right after removed events, or, when ' +
      'the end of the chain is missing, the first missing sequence',
  })
  sequence!: number;

  @ApiProperty({
    format: 'uuid',
    nullable: true,
    type: String,
    description: 'Null when the event itself is missing',
  })
  event_id!: string | null;

  @ApiProperty({ example: 'hash mismatch: the event was altered' })
  reason!: string;
}

/** The result of walking an organization's audit chain from its anchor to its head. */
@ApiExtraModels(AuditChainBreakDto)
export class AuditVerificationDto {
  @ApiProperty()
  valid!: boolean;

  @ApiProperty({ example: 1200, description: 'Events checked' })
  checked!: number;

  @ApiProperty({
    ...nullableModel(AuditChainBreakDto),
    description: 'Null when the chain is valid',
  })
  first_invalid!: AuditChainBreakDto | null;
}
