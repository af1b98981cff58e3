import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsUUID } from 'class-validator';
import { IsPresentOrAbsent } from '@app/common';
import { TEAM_ROLES, TeamRole } from '../team-member.entity';

export class AddTeamMemberDto {
  @ApiProperty({ format: 'uuid', description: 'An active member of the organization' })
  @IsUUID('all', { message: 'user_id must be a UUID' })
  user_id!: string;

  @ApiPropertyOptional({ enum: TEAM_ROLES, default: 'member' })
  @IsPresentOrAbsent()
  @IsIn(TEAM_ROLES)
  role?: TeamRole;
}

export class UpdateTeamMemberDto {
  @ApiProperty({ enum: TEAM_ROLES })
  @IsIn(TEAM_ROLES)
  role!: TeamRole;
}
