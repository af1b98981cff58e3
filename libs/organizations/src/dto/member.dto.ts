import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
} from 'class-validator';
import { PageInfoDto, PaginationQueryDto } from '@app/common';
import { MEMBERSHIP_STATUSES, MembershipStatus } from '../membership.entity';

export const ROLE_KEY_PATTERN = /^[a-z][a-z0-9_-]{0,49}$/;

export class ListMembersQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({
    maxLength: 200,
    description: 'Matches part of the first name, last name or email',
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  search?: string;

  @ApiPropertyOptional({ description: 'Members holding this role key, e.g. `admin`' })
  @IsOptional()
  @IsString()
  @MaxLength(50)
  role?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Members of this team' })
  @IsOptional()
  @IsUUID('all', { message: 'team_id must be a UUID' })
  team_id?: string;

  @ApiPropertyOptional({ enum: MEMBERSHIP_STATUSES })
  @IsOptional()
  @IsIn(MEMBERSHIP_STATUSES)
  status?: MembershipStatus;
}

export class SetMemberRolesDto {
  @ApiProperty({
    type: [String],
    example: ['admin'],
    description: 'Built-in role keys or custom role keys of this organization',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @Matches(ROLE_KEY_PATTERN, { each: true, message: 'roles must be role keys' })
  roles!: string[];
}

export class MemberTeamDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'Platform' })
  name!: string;
}

export class MemberDto {
  @ApiProperty({ format: 'uuid' })
  user_id!: string;

  @ApiProperty({ example: 'test@example.com' })
  email!: string;

  @ApiProperty({ example: 'Test' })
  first_name!: string;

  @ApiProperty({ example: 'User' })
  last_name!: string;

  @ApiProperty({ type: [String], example: ['member'] })
  roles!: string[];

  @ApiProperty({ enum: MEMBERSHIP_STATUSES })
  status!: MembershipStatus;

  @ApiProperty({ type: [MemberTeamDto] })
  teams!: MemberTeamDto[];

  @ApiProperty({ format: 'date-time' })
  joined_at!: string;

  @ApiProperty({
    format: 'date-time',
    nullable: true,
    type: String,
    description: 'Last sign-in to this organization',
  })
  last_login_at!: string | null;
}

export class MemberPageDto {
  @ApiProperty({ type: [MemberDto] })
  data!: MemberDto[];

  @ApiProperty({ type: PageInfoDto })
  page!: PageInfoDto;
}
