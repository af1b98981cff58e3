import { ApiProperty } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { AuditTimeRangeQueryDto } from './audit-time-range-query.dto';

export const AUDIT_EXPORT_FORMATS = ['ndjson', 'csv'] as const;
export type AuditExportFormat = (typeof AUDIT_EXPORT_FORMATS)[number];

/** `GET audit/events/export?format=&from=&to=`. */
export class ExportAuditEventsQueryDto extends AuditTimeRangeQueryDto {
  @ApiProperty({ enum: AUDIT_EXPORT_FORMATS })
  @IsIn(AUDIT_EXPORT_FORMATS, { message: 'format must be ndjson or csv' })
  format!: AuditExportFormat;
}
