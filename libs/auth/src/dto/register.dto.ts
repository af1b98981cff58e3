import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsNotEmpty, IsString, IsUUID, MaxLength, ValidateIf } from 'class-validator';
import { IsDisplayText, IsPresentOrAbsent } from '@app/common';
import { Trim } from './trim';

export class RegisterDto {
  @ApiProperty({ example: 'test@example.com', maxLength: 254 })
  @Trim()
  @IsString()
  @IsEmail({}, { message: 'email must be a valid email address' })
  @MaxLength(254)
  email!: string;

  @ApiProperty({
    example: 'Test123!@#',
    description: 'Checked against the configured password policy',
    maxLength: 128,
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  password!: string;

  @ApiProperty({ example: 'Test', maxLength: 100 })
  @Trim()
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  @IsDisplayText()
  first_name!: string;

  @ApiProperty({ example: 'User', maxLength: 100 })
  @Trim()
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  @IsDisplayText()
  last_name!: string;

  @ApiPropertyOptional({
    format: 'uuid',
    description:
      'The organization to join; required without `invitation_token`, and with one it must be ' +
      "the invitation's organization",
  })
  @ValidateIf(
    (dto: RegisterDto) => dto.invitation_token === undefined || dto.organization_id !== undefined,
  )
  @IsUUID('all', { message: 'organization_id must be a UUID' })
  organization_id?: string;

  @ApiPropertyOptional({
    description:
      'Token of an invitation sent to this email: joins its organization with the invited ' +
      'roles and teams, even when the organization only admits invited people',
  })
  @IsPresentOrAbsent()
  @IsString()
  @IsNotEmpty()
  @MaxLength(512)
  invitation_token?: string;
}
