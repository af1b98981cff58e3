import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
} from 'class-validator';
import { IsDisplayText, IsPresentOrAbsent, PageInfoDto } from '@app/common';
import { ROLE_KEY_PATTERN } from './member.dto';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class CreateRoleDto {
  @ApiProperty({
    example: 'auditor',
    description: 'Lower-case slug, unique in the organization, never a built-in key',
  })
  @IsString()
  @Matches(ROLE_KEY_PATTERN, {
    message: 'key must start with a letter and hold only a-z, 0-9, _ and - (at most 50)',
  })
  key!: string;

  @ApiProperty({ example: 'Auditor', maxLength: 100 })
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  @IsDisplayText()
  name!: string;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 500 })
  @Transform(trim)
  @IsOptional()
  @IsString()
  @MaxLength(500)
  @IsDisplayText({ multiline: true })
  description?: string | null;

  @ApiProperty({ type: [String], example: ['audit:read', 'members:read'] })
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  permissions!: string[];
}

export class UpdateRoleDto {
  @ApiPropertyOptional({ example: 'Auditor', maxLength: 100 })
  @Transform(trim)
  @IsPresentOrAbsent()
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  @IsDisplayText()
  name?: string;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 500 })
  @Transform(trim)
  @IsOptional()
  @IsString()
  @MaxLength(500)
  @IsDisplayText({ multiline: true })
  description?: string | null;

  @ApiPropertyOptional({ type: [String], example: ['audit:read'] })
  @IsPresentOrAbsent()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  permissions?: string[];
}

export class RoleDto {
  @ApiProperty({
    format: 'uuid',
    nullable: true,
    type: String,
    description: 'Null for built-in roles, which cannot be changed',
  })
  id!: string | null;

  @ApiProperty({ example: 'auditor' })
  key!: string;

  @ApiProperty({ example: 'Auditor' })
  name!: string;

  @ApiProperty({ type: String, nullable: true })
  description!: string | null;

  @ApiProperty({ type: [String], example: ['audit:read'] })
  permissions!: string[];

  @ApiProperty()
  built_in!: boolean;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  created_at!: string | null;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  updated_at!: string | null;
}

export class RoleListDto {
  @ApiProperty({ type: [RoleDto], description: 'Built-in roles first, then custom roles by key' })
  data!: RoleDto[];

  @ApiProperty({ type: PageInfoDto })
  page!: PageInfoDto;
}

export class PermissionDto {
  @ApiProperty({ example: 'members:read' })
  key!: string;

  @ApiProperty({ example: 'List and read members' })
  description!: string;
}

export class PermissionListDto {
  @ApiProperty({ type: [PermissionDto] })
  data!: PermissionDto[];
}
