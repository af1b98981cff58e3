import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsNotEmpty, IsString, Matches, MaxLength, ValidateIf } from 'class-validator';
import { IsDisplayText, IsPresentOrAbsent } from '@app/common';
import { SLUG_PATTERN, trim } from './create-team.dto';

export class UpdateTeamDto {
  @ApiPropertyOptional({ maxLength: 100 })
  @IsPresentOrAbsent()
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  @IsDisplayText()
  name?: string;

  @ApiPropertyOptional({ maxLength: 100 })
  @IsPresentOrAbsent()
  @IsString()
  @MaxLength(100)
  @Matches(SLUG_PATTERN, { message: 'slug must be lower-case letters, digits and hyphens' })
  slug?: string;

  @ApiPropertyOptional({ maxLength: 500, nullable: true, type: String, description: 'null clears' })
  @ValidateIf((_dto, value) => value !== null && value !== undefined)
  @Transform(trim)
  @IsString()
  @MaxLength(500)
  @IsDisplayText({ multiline: true })
  description?: string | null;
}
