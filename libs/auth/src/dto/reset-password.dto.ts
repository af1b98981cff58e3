import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

export class ResetPasswordDto {
  @ApiProperty({ description: 'The token of the reset link mailed to the user', maxLength: 512 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(512)
  token!: string;

  @ApiProperty({
    example: 'Another-Secret-42',
    description: 'Checked against the configured password policy',
    maxLength: 128,
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  new_password!: string;
}
