import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsNotEmpty, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { Trim } from './trim';

/** Names are shown to people; control characters have no place there (PostgreSQL refuses NUL). */
const NO_CONTROL_CHARACTERS = /^\P{Cc}*$/u;
const NO_CONTROL_CHARACTERS_MESSAGE = '$property must not contain control characters';

export class RegisterDto {
  @ApiProperty({ example: 'test@example.com', maxLength: 254 })
  @Trim()
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

  @ApiProperty({ format: 'uuid', description: 'The organization to join' })
  @IsUUID('all', { message: 'organization_id must be a UUID' })
  organization_id!: string;
}
