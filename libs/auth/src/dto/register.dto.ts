import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsNotEmpty, IsString, IsUUID, MaxLength } from 'class-validator';
import { Trim } from './trim';

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
  first_name!: string;

  @ApiProperty({ example: 'User', maxLength: 100 })
  @Trim()
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  last_name!: string;

  @ApiProperty({ format: 'uuid', description: 'The organization to join' })
  @IsUUID('all', { message: 'organization_id must be a UUID' })
  organization_id!: string;
}
