import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { IntegerQueryParam } from '@app/common';
import { AUDIT_OUTCOMES, AuditOutcome } from '../audit-event.entity';
import { AuditTimeRangeQueryDto } from './audit-time-range-query.dto';

/** Filters and keyset pagination of `GET audit/events`. */
export class ListAuditEventsQueryDto extends AuditTimeRangeQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Only events by this user' })
  @IsOptional()
  @IsUUID('all', { message: 'actor_id must be a UUID' })
  actor_id?: string;

  @ApiPropertyOptional({
    maxLength: 100,
    description: 'An exact action (`auth.login`) or a prefix ending in `.*` (`auth.*`)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  @Matches(/^[a-z0-9_]+(\.[a-z0-9_]+)*(\.\*)?$/, {
    message: 'action must be an action like auth.login or a prefix like auth.*',
  })
  action?: string;

  @ApiPropertyOptional({ maxLength: 50, description: 'Kind of the target, e.g. `session`' })
  @IsOptional()
  @IsString()
  @MaxLength(50)
  target_type?: string;

  @ApiPropertyOptional({ maxLength: 100 })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  target_id?: string;

  @ApiPropertyOptional({ enum: AUDIT_OUTCOMES })
  @IsOptional()
  @IsIn(AUDIT_OUTCOMES)
  outcome?: AuditOutcome;

  @IntegerQueryParam({ minimum: 1, maximum: 200, default: 50 })
  limit: number = 50;

  @ApiPropertyOptional({ maxLength: 200, description: '`next_cursor` of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}
