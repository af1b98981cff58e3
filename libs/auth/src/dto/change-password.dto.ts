import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

export class ChangePasswordDto {
  @ApiProperty({ description: 'The password in use now', maxLength: 128 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  current_password!: string;

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
