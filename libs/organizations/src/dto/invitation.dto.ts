import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PageInfoDto } from '@app/common';
import {
  INVITATION_STATUSES,
  Invitation,
  InvitationStatus,
  invitationStatus,
} from '../invitation.entity';

export class InvitationDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'uuid' })
  organization_id!: string;

  @ApiProperty({ example: 'new.colleague@example.com' })
  email!: string;

  @ApiProperty({ type: [String], example: ['member'] })
  roles!: string[];

  @ApiProperty({ type: [String], format: 'uuid' })
  team_ids!: string[];

  @ApiProperty({ enum: INVITATION_STATUSES })
  status!: InvitationStatus;

  @ApiPropertyOptional({ format: 'uuid', nullable: true, type: String })
  invited_by!: string | null;

  @ApiProperty({ format: 'date-time' })
  expires_at!: string;

  @ApiPropertyOptional({ format: 'date-time', nullable: true, type: String })
  accepted_at!: string | null;

  @ApiPropertyOptional({ format: 'uuid', nullable: true, type: String })
  accepted_by!: string | null;

  @ApiPropertyOptional({ format: 'date-time', nullable: true, type: String })
  revoked_at!: string | null;

  @ApiProperty({ format: 'date-time' })
  created_at!: string;
}

export class CreatedInvitationDto extends InvitationDto {
  @ApiProperty({
    description: 'One-time token for POST invitations/accept or registration; shown only here',
  })
  token!: string;
}

export class InvitationPageDto {
  @ApiProperty({ type: [InvitationDto] })
  data!: InvitationDto[];

  @ApiProperty({ type: PageInfoDto })
  page!: PageInfoDto;
}

export function toInvitationDto(invitation: Invitation, now = new Date()): InvitationDto {
  return {
    id: invitation.id,
    organization_id: invitation.organizationId,
    email: invitation.email,
    roles: invitation.roles,
    team_ids: invitation.teamIds,
    status: invitationStatus(invitation, now),
    invited_by: invitation.invitedBy,
    expires_at: invitation.expiresAt.toISOString(),
    accepted_at: invitation.acceptedAt?.toISOString() ?? null,
    accepted_by: invitation.acceptedBy,
    revoked_at: invitation.revokedAt?.toISOString() ?? null,
    created_at: invitation.createdAt.toISOString(),
  };
}
