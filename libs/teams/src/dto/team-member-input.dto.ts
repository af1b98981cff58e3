import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID } from 'class-validator';
import { TEAM_ROLES, TeamRole } from '../team-member.entity';

export class AddTeamMemberDto {
  @ApiProperty({ format: 'uuid', description: 'An active member of the organization' })
  @IsUUID('all', { message: 'user_id must be a UUID' })
  user_id!: string;

  @ApiPropertyOptional({ enum: TEAM_ROLES, default: 'member' })
  @IsOptional()
  @IsIn(TEAM_ROLES)
  role?: TeamRole;
}

export class UpdateTeamMemberDto {
  @ApiProperty({ enum: TEAM_ROLES })
  @IsIn(TEAM_ROLES)
  role!: TeamRole;
}
