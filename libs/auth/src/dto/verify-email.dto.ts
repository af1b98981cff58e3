import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

export class VerifyEmailDto {
  @ApiProperty({ description: 'The token of the verification link mailed to the user' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(512)
  token!: string;
}
