import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { PaginationQueryDto } from '@app/common';

export class ListTeamsQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({
    maxLength: 100,
    description: 'Matches part of the name or slug, case-insensitively',
  })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  search?: string;
}
