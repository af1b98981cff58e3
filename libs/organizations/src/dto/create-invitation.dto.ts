import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsEmail,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
} from 'class-validator';
import { IsPresentOrAbsent } from '@app/common';

export class CreateInvitationDto {
  @ApiProperty({ example: 'new.colleague@example.com', maxLength: 254 })
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @IsEmail({}, { message: 'email must be a valid email address' })
  @MaxLength(254)
  email!: string;

  @ApiPropertyOptional({
    type: [String],
    example: ['member'],
    default: ['member'],
    description: 'Built-in or custom role keys; only roles whose permissions you hold',
  })
  @IsPresentOrAbsent()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @ArrayUnique()
  @IsString({ each: true })
  @Matches(/^[a-z0-9_-]{1,50}$/, { each: true, message: 'each role must be a role key' })
  roles?: string[];

  @ApiPropertyOptional({
    type: [String],
    format: 'uuid',
    description: 'Teams of this organization the invitee joins as a member on acceptance',
  })
  @IsPresentOrAbsent()
  @IsArray()
  @ArrayMaxSize(50)
  @ArrayUnique()
  @IsUUID('all', { each: true, message: 'each team id must be a UUID' })
  team_ids?: string[];
}
