import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class OrganizationMembershipDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'Default Organization' })
  name!: string;

  @ApiProperty({ example: 'default' })
  slug!: string;

  @ApiProperty({ example: ['member'], type: [String] })
  roles!: string[];
}

export class UserProfileDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'test@example.com' })
  email!: string;

  @ApiProperty({ example: 'Test' })
  first_name!: string;

  @ApiProperty({ example: 'User' })
  last_name!: string;

  @ApiProperty()
  email_verified!: boolean;

  @ApiProperty()
  is_platform_admin!: boolean;

  @ApiProperty({ format: 'uuid', description: 'Current organization (of the access token)' })
  organization_id!: string;

  @ApiProperty({
    example: ['member'],
    type: [String],
    description: 'Roles in the current organization',
  })
  roles!: string[];

  @ApiProperty({ type: [OrganizationMembershipDto] })
  organizations!: OrganizationMembershipDto[];

  @ApiProperty({ format: 'date-time' })
  created_at!: string;

  @ApiPropertyOptional({ format: 'date-time', nullable: true, type: String })
  last_login_at!: string | null;
}
