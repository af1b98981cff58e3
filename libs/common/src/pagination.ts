import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

/** `?limit=&offset=` of every offset-paginated listing. */
export class PaginationQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit: number = 50;

  @ApiPropertyOptional({ minimum: 0, default: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  offset: number = 0;
}

export class PageInfoDto {
  @ApiProperty({ example: 120 })
  total!: number;

  @ApiProperty({ example: 50 })
  limit!: number;

  @ApiProperty({ example: 0 })
  offset!: number;
}

/** The body of a listing: `{ data: [...], page: { total, limit, offset } }`. */
export interface Page<T> {
  data: T[];
  page: PageInfoDto;
}

export function toPage<T>(data: T[], total: number, query: PaginationQueryDto): Page<T> {
  return { data, page: { total, limit: query.limit, offset: query.offset } };
}
