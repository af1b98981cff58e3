import { ApiProperty } from '@nestjs/swagger';
import { AuditEventDto } from './audit-event.dto';

/** A page of events, newest first, and where the next one starts. */
export class AuditEventPageDto {
  @ApiProperty({ type: [AuditEventDto] })
  data!: AuditEventDto[];

  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Pass as `cursor` for the next (older) page; null on the last page',
  })
  next_cursor!: string | null;
}
