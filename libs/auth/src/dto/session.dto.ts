import { ApiProperty } from '@nestjs/swagger';

/** One live session of the signed-in user, as the sessions list shows it. */
export class SessionDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'uuid', description: 'The organization the session signed in to' })
  organization_id!: string;

  @ApiProperty({ description: 'Name of that organization' })
  organization_name!: string;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'User agent of the device that signed in (as sent by the client)',
  })
  user_agent!: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'IP address at sign-in' })
  ip_address!: string | null;

  @ApiProperty({ format: 'date-time' })
  created_at!: string;

  @ApiProperty({ format: 'date-time', description: 'Last sign-in or refresh' })
  last_used_at!: string;

  @ApiProperty({ format: 'date-time', description: 'When the session ends unless refreshed' })
  expires_at!: string;

  @ApiProperty({ description: 'True for the session of the access token making this request' })
  current!: boolean;
}

export class SessionListDto {
  @ApiProperty({ type: [SessionDto], description: 'Not paginated: a user has few sessions' })
  data!: SessionDto[];
}

export class LogoutAllResponseDto {
  @ApiProperty({ example: 3, description: 'Sessions ended, the current one included' })
  revoked_sessions!: number;
}
