import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsEmail,
  IsNotEmpty,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
  ValidateIf,
} from 'class-validator';
import { IsPresentOrAbsent } from '@app/common';
import { Trim } from './trim';

/** Names are shown to people; control characters have no place there (PostgreSQL refuses NUL). */
const NO_CONTROL_CHARACTERS = /^\P{Cc}*$/u;
const NO_CONTROL_CHARACTERS_MESSAGE = '$property must not contain control characters';

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
  @Matches(NO_CONTROL_CHARACTERS, { message: NO_CONTROL_CHARACTERS_MESSAGE })
  first_name!: string;

  @ApiProperty({ example: 'User', maxLength: 100 })
  @Trim()
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  @Matches(NO_CONTROL_CHARACTERS, { message: NO_CONTROL_CHARACTERS_MESSAGE })
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
