import { Body, Controller, HttpCode, HttpStatus, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiNoContentResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { AuditContext } from '@app/audit';
import {
  Actor,
  ApiProblems,
  Authenticated,
  CurrentPrincipal,
  Principal,
  Public,
  RateLimit,
} from '@app/common';
import { AcceptedDto } from './dto/accepted.dto';
import { AccountEmailDto } from './dto/account-email.dto';
import { ChangePasswordDto } from './dto/change-password.dto';
import { ResetPasswordDto } from './dto/reset-password.dto';
import { PasswordService } from './password.service';

export const RESET_REQUESTED: AcceptedDto = {
  message: 'If an account with this email exists, a password reset link is on its way.',
};

@ApiTags('auth')
@Controller('auth/password')
export class PasswordController {
  constructor(private readonly passwords: PasswordService) {}

  @Authenticated()
  @RateLimit('auth')
  @Post('change')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'Change your password',
    description:
      'Needs the current password. Every other session of yours ends at once; this one stays.',
  })
  @ApiNoContentResponse({ description: 'Password changed' })
  @ApiProblems(400, 401, 403, 413, 429, 503)
  change(
    @Body() body: ChangePasswordDto,
    @CurrentPrincipal() principal: Principal,
    @Actor() actor: AuditContext,
  ): Promise<void> {
    return this.passwords.change(principal, body.current_password, body.new_password, actor);
  }

  @Public()
  @RateLimit('auth')
  @Post('forgot')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: 'Ask for a password reset link by email',
    description:
      'The answer is the same whether or not the email has an account; only an account gets ' +
      'a mail, with a single-use link valid for PASSWORD_RESET_EXPIRE_MINUTES.',
  })
  @ApiAcceptedResponse({ type: AcceptedDto })
  @ApiProblems(400, 413, 429, 503)
  async forgot(@Body() body: AccountEmailDto, @Actor() actor: AuditContext): Promise<AcceptedDto> {
    await this.passwords.forgot(body.email, actor);

    return RESET_REQUESTED;
  }

  @Public()
  @RateLimit('auth')
  @Post('reset')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'Set a new password with the token of a reset link',
    description:
      'The token works once and expires; every session of the user ends. An unknown token is ' +
      'a 400 AUTH_INVALID_RESET_TOKEN, a used or expired one a 410.',
  })
  @ApiNoContentResponse({ description: 'Password reset' })
  @ApiProblems(400, 410, 413, 429, 503)
  reset(@Body() body: ResetPasswordDto, @Actor() actor: AuditContext): Promise<void> {
    return this.passwords.reset(body.token, body.new_password, actor);
  }
}
