import { ApiProperty } from '@nestjs/swagger';

export class DependencyStatusDto {
  @ApiProperty({ enum: ['up', 'down'] })
  status!: string;

  @ApiProperty({ required: false, example: 'redis' })
  type?: string;
}

export class HealthReportDto {
  @ApiProperty({ enum: ['healthy', 'unhealthy'] })
  status!: 'healthy' | 'unhealthy';

  @ApiProperty({
    type: 'object',
    additionalProperties: { $ref: '#/components/schemas/DependencyStatusDto' },
    example: { database: { status: 'up' }, store: { status: 'up', type: 'redis' } },
  })
  checks!: Record<string, DependencyStatusDto>;

  @ApiProperty({ example: 42 })
  uptime_seconds!: number;
}
