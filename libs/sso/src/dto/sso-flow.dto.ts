import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { SSO_PROTOCOLS, SsoProtocolName } from '../sso-connection.entity';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class DiscoverDto {
  @ApiProperty({ example: 'jane@acme.com', maxLength: 254 })
  @Transform(trim)
  @IsString()
  @IsEmail({}, { message: 'email must be a valid email address' })
  @MaxLength(254)
  email!: string;
}

export class DiscoveryDto {
  @ApiProperty({ enum: ['password', 'sso'] })
  method!: 'password' | 'sso';

  @ApiPropertyOptional({ format: 'uuid' })
  connection_id?: string;

  @ApiPropertyOptional({ enum: SSO_PROTOCOLS })
  protocol?: SsoProtocolName;

  @ApiPropertyOptional({ format: 'uuid' })
  organization_id?: string;

  @ApiPropertyOptional({ description: 'Send the browser here, with return_url (and state)' })
  login_url?: string;
}

export class SsoLoginQueryDto {
  @ApiProperty({
    description: "One of the organization's sso_return_urls; the browser ends there with ?code=",
    maxLength: 2048,
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(2048)
  return_url!: string;

  @ApiPropertyOptional({
    description: "The client application's own value, handed back with the code",
    maxLength: 512,
  })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  state?: string;
}

export class SsoExchangeDto {
  @ApiProperty({ description: 'The one-time code the browser brought back from SSO' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  code!: string;
}
