import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { IsDisplayText, IsPresentOrAbsent } from '@app/common';

export const SLUG_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

export const trim = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim() : value;

export class CreateTeamDto {
  @ApiProperty({ example: 'Platform Reliability', maxLength: 100 })
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  @IsDisplayText()
  name!: string;

  @ApiPropertyOptional({
    example: 'platform-reliability',
    maxLength: 100,
    description: 'Lower-case letters, digits and single hyphens; derived from the name if absent',
  })
  // Absent derives it from the name; null is not a slug (the column is NOT NULL).
  @IsPresentOrAbsent()
  @IsString()
  @MaxLength(100)
  @Matches(SLUG_PATTERN, { message: 'slug must be lower-case letters, digits and hyphens' })
  slug?: string;

  @ApiPropertyOptional({ example: 'On-call for the production platform', maxLength: 500 })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @MaxLength(500)
  @IsDisplayText({ multiline: true })
  description?: string;
}
