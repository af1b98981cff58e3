import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** One public key (RFC 7517); the members present depend on `kty`. */
export class JwkDto {
  @ApiProperty({ enum: ['RSA', 'EC', 'OKP'] })
  kty!: string;

  @ApiProperty({ description: 'Key id, as in the `kid` header of the tokens it verifies' })
  kid!: string;

  @ApiProperty({ enum: ['RS256', 'ES256', 'EdDSA'] })
  alg!: string;

  @ApiProperty({ example: 'sig' })
  use!: 'sig';

  @ApiPropertyOptional({ description: 'RSA modulus' })
  n?: string;

  @ApiPropertyOptional({ description: 'RSA exponent' })
  e?: string;

  @ApiPropertyOptional({ description: 'Curve (EC, OKP)' })
  crv?: string;

  @ApiPropertyOptional({ description: 'Public point x (EC, OKP)' })
  x?: string;

  @ApiPropertyOptional({ description: 'Public point y (EC)' })
  y?: string;
}

export class JwksDto {
  @ApiProperty({ type: [JwkDto] })
  keys!: JwkDto[];
}
