import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

export class AcceptInvitationDto {
  @ApiProperty({ description: 'The one-time token returned when the invitation was created' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(512)
  token!: string;
}
