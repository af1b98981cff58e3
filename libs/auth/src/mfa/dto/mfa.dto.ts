import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { Trim } from '../../dto/trim';

/** What login answers instead of tokens when a second factor (or enrolment) is needed. */
export class MfaChallengeResponseDto {
  @ApiPropertyOptional({
    enum: [true],
    description: 'Present when the account has MFA: send a code to POST auth/mfa/verify',
  })
  mfa_required?: true;

  @ApiPropertyOptional({
    enum: [true],
    description:
      'Present when the organization requires MFA for your role and you have none: use ' +
      'mfa_token as the bearer token of the auth/mfa enrolment routes, then POST auth/mfa/verify',
  })
  mfa_enrollment_required?: true;

  @ApiProperty({
    description: 'Short-lived, single-use token of this sign-in; not an access token',
  })
  mfa_token!: string;

  @ApiProperty({ example: 300, description: 'Seconds the mfa_token stays valid' })
  expires_in!: number;
}

export class MfaCodeDto {
  @ApiProperty({
    example: '123456',
    description: 'The current 6-digit code of the authenticator app, or an unused recovery code',
  })
  @Trim()
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  code!: string;
}

export class VerifyMfaDto extends MfaCodeDto {
  @ApiProperty({ description: 'The mfa_token that login answered with' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  mfa_token!: string;
}

export class TotpEnrollmentDto {
  @ApiProperty({ description: 'Base32 secret, for entering into an authenticator by hand' })
  secret!: string;

  @ApiProperty({ example: 'otpauth://totp/FaultMaven:ada%40example.com?secret=...' })
  otpauth_uri!: string;

  @ApiProperty({ description: 'The otpauth URI as a QR code, a PNG data URL' })
  qr_code!: string;

  @ApiProperty({ example: 600, description: 'Seconds left to confirm with a code' })
  expires_in!: number;
}

export class RecoveryCodesDto {
  @ApiProperty({
    type: [String],
    description: 'Ten single-use recovery codes, shown only now: store them safely',
  })
  recovery_codes!: string[];
}

export class MfaStatusDto {
  @ApiProperty()
  enabled!: boolean;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  enabled_at!: string | null;

  @ApiProperty({ description: 'An enrolment was started and awaits confirmation' })
  enrollment_pending!: boolean;

  @ApiProperty({ example: 10 })
  recovery_codes_remaining!: number;
}
