import { ApiProperty } from '@nestjs/swagger';
import { IsUUID } from 'class-validator';

export class SwitchOrganizationDto {
  @ApiProperty({
    format: 'uuid',
    description: 'An organization the signed-in user is an active member of',
  })
  @IsUUID('all', { message: 'organization_id must be a UUID' })
  organization_id!: string;
}
