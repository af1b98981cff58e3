import { Body, Controller, Get, HttpCode, HttpStatus, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { AuditContext } from '@app/audit';
import { Actor, ApiProblems, Authenticated, Public, RateLimit } from '@app/common';
import { AuthService } from '../auth.service';
import { TokenResponseDto } from '../dto/token-response.dto';
import {
  MfaCodeDto,
  MfaStatusDto,
  RecoveryCodesDto,
  TotpEnrollmentDto,
  VerifyMfaDto,
} from './dto/mfa.dto';
import { MfaService } from './mfa.service';
import { AcceptsMfaEnrollmentToken, CurrentMfaSubject, MfaSubject } from './mfa-subject';

const ENROLLMENT_TOKEN_NOTE =
  'Also accepts, as the bearer token, the mfa_token of a login answered with ' +
  'mfa_enrollment_required.';

@ApiTags('mfa')
@Controller('auth/mfa')
export class MfaController {
  constructor(
    private readonly mfa: MfaService,
    private readonly auth: AuthService,
  ) {}

  @Authenticated()
  @AcceptsMfaEnrollmentToken()
  @Get()
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'Whether MFA is on, and recovery codes left',
    description: ENROLLMENT_TOKEN_NOTE,
  })
  @ApiOkResponse({ type: MfaStatusDto })
  @ApiProblems(401, 503)
  status(@CurrentMfaSubject() subject: MfaSubject): Promise<MfaStatusDto> {
    return this.mfa.status(subject);
  }

  @Authenticated()
  @AcceptsMfaEnrollmentToken()
  @Post('totp/enroll')
  @HttpCode(HttpStatus.OK)
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'Start TOTP enrolment: a secret, its otpauth URI and a QR code',
    description: `MFA is on only after POST auth/mfa/totp/confirm. ${ENROLLMENT_TOKEN_NOTE}`,
  })
  @ApiOkResponse({ type: TotpEnrollmentDto })
  @ApiProblems(401, 409, 503)
  enroll(@CurrentMfaSubject() subject: MfaSubject): Promise<TotpEnrollmentDto> {
    return this.mfa.startEnrollment(subject);
  }

  @Authenticated()
  @AcceptsMfaEnrollmentToken()
  @Post('totp/confirm')
  @HttpCode(HttpStatus.OK)
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'Confirm enrolment with a current code; answers ten recovery codes, once',
    description: ENROLLMENT_TOKEN_NOTE,
  })
  @ApiOkResponse({ type: RecoveryCodesDto })
  @ApiProblems(400, 401, 403, 409, 413, 503)
  confirm(
    @Body() body: MfaCodeDto,
    @CurrentMfaSubject() subject: MfaSubject,
    @Actor() actor: AuditContext,
  ): Promise<RecoveryCodesDto> {
    return this.mfa.confirmEnrollment(subject, body.code, actor);
  }

  @Authenticated()
  @Post('disable')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Turn MFA off; needs a current code or a recovery code' })
  @ApiNoContentResponse({ description: 'MFA is off; recovery codes are deleted' })
  @ApiProblems(400, 401, 403, 409, 413, 503)
  disable(
    @Body() body: MfaCodeDto,
    @CurrentMfaSubject() subject: MfaSubject,
    @Actor() actor: AuditContext,
  ): Promise<void> {
    return this.mfa.disable(subject, body.code, actor);
  }

  @Authenticated()
  @Post('recovery-codes')
  @HttpCode(HttpStatus.OK)
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'Replace all recovery codes; needs a current code or a recovery code',
  })
  @ApiOkResponse({ type: RecoveryCodesDto })
  @ApiProblems(400, 401, 403, 409, 413, 503)
  regenerateRecoveryCodes(
    @Body() body: MfaCodeDto,
    @CurrentMfaSubject() subject: MfaSubject,
    @Actor() actor: AuditContext,
  ): Promise<RecoveryCodesDto> {
    return this.mfa.regenerateRecoveryCodes(subject, body.code, actor);
  }

  @Public()
  @RateLimit('auth')
  @Post('verify')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Complete a sign-in with a TOTP or recovery code',
    description:
      'Takes the mfa_token of the login answer. Five wrong codes end it; a TOTP code is ' +
      'accepted once.',
  })
  @ApiOkResponse({ type: TokenResponseDto })
  @ApiProblems(400, 401, 403, 409, 413, 429, 503)
  verify(@Body() body: VerifyMfaDto, @Actor() actor: AuditContext): Promise<TokenResponseDto> {
    return this.auth.completeMfaLogin(body.mfa_token, body.code, actor);
  }
}
