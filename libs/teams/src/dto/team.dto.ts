import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PageInfoDto } from '@app/common';
import { TEAM_ROLES, TeamMember, TeamRole } from '../team-member.entity';
import { Team } from '../team.entity';

export class TeamDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'uuid' })
  organization_id!: string;

  @ApiProperty({ example: 'Platform Reliability' })
  name!: string;

  @ApiProperty({ example: 'platform-reliability' })
  slug!: string;

  @ApiPropertyOptional({ nullable: true, type: String })
  description!: string | null;

  @ApiProperty({ example: 4 })
  member_count!: number;

  @ApiProperty({ format: 'date-time' })
  created_at!: string;

  @ApiProperty({ format: 'date-time' })
  updated_at!: string;
}

export class TeamPageDto {
  @ApiProperty({ type: [TeamDto] })
  data!: TeamDto[];

  @ApiProperty({ type: PageInfoDto })
  page!: PageInfoDto;
}

export class TeamMemberDto {
  @ApiProperty({ format: 'uuid' })
  user_id!: string;

  @ApiProperty({ example: 'test@example.com' })
  email!: string;

  @ApiProperty({ example: 'Test' })
  first_name!: string;

  @ApiProperty({ example: 'User' })
  last_name!: string;

  @ApiProperty({ enum: TEAM_ROLES })
  role!: TeamRole;

  @ApiProperty({ format: 'date-time' })
  added_at!: string;
}

export class TeamMemberPageDto {
  @ApiProperty({ type: [TeamMemberDto] })
  data!: TeamMemberDto[];

  @ApiProperty({ type: PageInfoDto })
  page!: PageInfoDto;
}

export function toTeamDto(team: Team, memberCount: number): TeamDto {
  return {
    id: team.id,
    organization_id: team.organizationId,
    name: team.name,
    slug: team.slug,
    description: team.description,
    member_count: memberCount,
    created_at: team.createdAt.toISOString(),
    updated_at: team.updatedAt.toISOString(),
  };
}

/** Expects the member's user to be loaded. */
export function toTeamMemberDto(member: TeamMember): TeamMemberDto {
  return {
    user_id: member.userId,
    email: member.user?.email ?? '',
    first_name: member.user?.firstName ?? '',
    last_name: member.user?.lastName ?? '',
    role: member.role,
    added_at: member.createdAt.toISOString(),
  };
}
