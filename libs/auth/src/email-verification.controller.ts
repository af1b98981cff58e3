import { Body, Controller, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuditContext } from '@app/audit';
import { Actor, ApiProblems, Public, RateLimit } from '@app/common';
import { AcceptedDto } from './dto/accepted.dto';
import { AccountEmailDto } from './dto/account-email.dto';
import { VerifyEmailDto } from './dto/verify-email.dto';
import { EmailVerificationService } from './email-verification.service';

export const VERIFICATION_REQUESTED: AcceptedDto = {
  message: 'If this email has an account waiting for verification, a link is on its way.',
};

@ApiTags('auth')
@Controller('auth/email')
export class EmailVerificationController {
  constructor(private readonly verification: EmailVerificationService) {}

  @Public()
  @RateLimit('auth')
  @Post('verify')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'Confirm an email address with the token of a verification link',
    description: 'The token works once and expires (EMAIL_VERIFICATION_EXPIRE_HOURS).',
  })
  @ApiNoContentResponse({ description: 'Email verified' })
  @ApiProblems(400, 410, 413, 429, 503)
  verify(@Body() body: VerifyEmailDto, @Actor() actor: AuditContext): Promise<void> {
    return this.verification.verify(body.token, actor);
  }

  // Public on purpose: with REQUIRE_EMAIL_VERIFICATION an unverified user cannot sign in to
  // ask. The answer never tells whether the address has an account.
  @Public()
  @RateLimit('auth')
  @Post('resend')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: 'Mail a new verification link',
    description:
      'Only an active account whose email is not verified yet gets a mail; the answer is the ' +
      'same for every address.',
  })
  @ApiAcceptedResponse({ type: AcceptedDto })
  @ApiProblems(400, 413, 429, 503)
  async resend(@Body() body: AccountEmailDto, @Actor() actor: AuditContext): Promise<AcceptedDto> {
    await this.verification.resend(body.email, actor);

    return VERIFICATION_REQUESTED;
  }
}
