import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsNotEmpty, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { Trim } from './trim';

export class LoginDto {
  @ApiProperty({ example: 'test@example.com', maxLength: 254 })
  @Trim()
  @IsString()
  @IsEmail({}, { message: 'email must be a valid email address' })
  @MaxLength(254)
  email!: string;

  @ApiProperty({ example: 'Test123!@#', maxLength: 128 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  password!: string;

  @ApiPropertyOptional({
    format: 'uuid',
    description: 'Organization to sign in to; defaults to the most recently used one',
  })
  @IsOptional()
  @IsUUID('all', { message: 'organization_id must be a UUID' })
  organization_id?: string;
}
