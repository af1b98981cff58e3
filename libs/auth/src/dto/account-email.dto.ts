import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsString, MaxLength } from 'class-validator';
import { Trim } from './trim';

/** An email address a mail is asked for; whether it has an account is never told. */
export class AccountEmailDto {
  @ApiProperty({ format: 'email', example: 'test@example.com', maxLength: 254 })
  @Trim()
  @IsString()
  @IsEmail({}, { message: 'email must be a valid email address' })
  @MaxLength(254)
  email!: string;
}
