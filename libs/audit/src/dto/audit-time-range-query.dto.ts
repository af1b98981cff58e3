import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsDate, IsOptional } from 'class-validator';

/** A date, or a date and time with its offset: a time without one would mean server-local. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

function parseIsoTime({ value }: { value: unknown }): unknown {
  if (typeof value !== 'string') return value;

  return ISO_TIME.test(value) ? new Date(value) : new Date(NaN);
}

/**
 * `?from=&to=`: events with from <= occurred_at < to, so consecutive ranges never overlap.
 * Optional filters carry no `example`: Swagger UI would fill it in on "Try it out".
 */
export class AuditTimeRangeQueryDto {
  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    description:
      'Earliest occurred_at, inclusive (ISO 8601 with offset, e.g. 2025-01-01T00:00:00Z)',
  })
  @IsOptional()
  @Transform(parseIsoTime)
  @IsDate({ message: 'from must be an ISO 8601 time with an offset, e.g. 2025-01-01T00:00:00Z' })
  from?: Date;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    description: 'Latest occurred_at, exclusive (ISO 8601 with offset, e.g. 2025-02-01T00:00:00Z)',
  })
  @IsOptional()
  @Transform(parseIsoTime)
  @IsDate({ message: 'to must be an ISO 8601 time with an offset, e.g. 2025-02-01T00:00:00Z' })
  to?: Date;
}
