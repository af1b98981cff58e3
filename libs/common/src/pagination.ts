import { ApiProperty } from '@nestjs/swagger';
import { IntegerQueryParam } from './integer-query-param';

/** `?limit=&offset=` of every offset-paginated listing. */
export class PaginationQueryDto {
  @IntegerQueryParam({ minimum: 1, maximum: 100, default: 50 })
  limit: number = 50;

  @IntegerQueryParam({ minimum: 0, maximum: 1_000_000, default: 0 })
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
