import { ApiProperty } from '@nestjs/swagger';

export class TokenResponseDto {
  @ApiProperty({ description: 'JWT to send as `Authorization: Bearer <token>`' })
  access_token!: string;

  @ApiProperty({
    description:
      'Opaque token for POST auth/refresh; usable once (again only within the reuse grace window)',
  })
  refresh_token!: string;

  @ApiProperty({ example: 'Bearer' })
  token_type!: 'Bearer';

  @ApiProperty({ example: 900, description: 'Access token lifetime in seconds' })
  expires_in!: number;

  @ApiProperty({ example: 604800, description: 'Refresh token lifetime in seconds' })
  refresh_expires_in!: number;

  @ApiProperty({ format: 'uuid', description: 'The organization the access token is for' })
  organization_id!: string;

  @ApiProperty({ format: 'uuid' })
  user_id!: string;
}
