import { Body, Controller, Get, HttpCode, HttpStatus, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  getSchemaPath,
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
import { AuthService } from './auth.service';
import { LoginDto } from './dto/login.dto';
import { RefreshDto } from './dto/refresh.dto';
import { RegisterDto } from './dto/register.dto';
import { SwitchOrganizationDto } from './dto/switch-organization.dto';
import { TokenResponseDto } from './dto/token-response.dto';
import { UserProfileDto } from './dto/user-profile.dto';
import { MfaChallengeResponseDto } from './mfa/dto/mfa.dto';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Public()
  @RateLimit('auth')
  @Post('register')
  @ApiOperation({ summary: 'Create an account and join an organization' })
  @ApiCreatedResponse({ type: UserProfileDto })
  @ApiProblems(400, 403, 404, 409, 413, 429, 503)
  register(@Body() body: RegisterDto, @Actor() actor: AuditContext): Promise<UserProfileDto> {
    return this.auth.register(body, actor);
  }

  @Public()
  @RateLimit('auth')
  @Post('login')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Sign in with email and password',
    description:
      'Limited per client IP and per email. After MAX_LOGIN_ATTEMPTS failures for one email ' +
      'the account is locked for ACCOUNT_LOCKOUT_DURATION_MINUTES; a locked account is ' +
      'answered exactly like a wrong password. Answers tokens, or, for an account with MFA, `mfa_required` and an `mfa_token` for ' +
      'POST auth/mfa/verify; an owner or admin of an organization that requires MFA who has ' +
      'none gets `mfa_enrollment_required` and an `mfa_token` that opens only the enrolment ' +
      'routes.',
  })
  @ApiExtraModels(TokenResponseDto, MfaChallengeResponseDto)
  @ApiOkResponse({
    schema: {
      oneOf: [
        { $ref: getSchemaPath(TokenResponseDto) },
        { $ref: getSchemaPath(MfaChallengeResponseDto) },
      ],
    },
  })
  @ApiProblems(400, 401, 403, 413, 429, 503)
  login(
    @Body() body: LoginDto,
    @Actor() actor: AuditContext,
  ): Promise<TokenResponseDto | MfaChallengeResponseDto> {
    return this.auth.login(body, actor);
  }

  @Public()
  @RateLimit('auth')
  @Post('refresh')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Exchange a refresh token for new tokens',
    description:
      'The refresh token is single-use. Presented again within REFRESH_REUSE_GRACE_SECONDS it ' +
      'answers the same new refresh token (two tabs refreshing at once); later, it revokes ' +
      'the session.',
  })
  @ApiOkResponse({ type: TokenResponseDto })
  @ApiProblems(400, 401, 413, 429, 503)
  refresh(@Body() body: RefreshDto, @Actor() actor: AuditContext): Promise<TokenResponseDto> {
    return this.auth.refresh(body.refresh_token, actor);
  }

  @Authenticated()
  @Post('logout')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'End the current session; its tokens stop working at once' })
  @ApiNoContentResponse({ description: 'Signed out' })
  @ApiProblems(401, 503)
  logout(@CurrentPrincipal() principal: Principal, @Actor() actor: AuditContext): Promise<void> {
    return this.auth.logout(principal, actor);
  }

  @Authenticated()
  @Post('switch-organization')
  @HttpCode(HttpStatus.OK)
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'Get tokens for another organization you belong to',
    description:
      'Opens a new session in that organization; the current session and its tokens stay ' +
      'valid.',
  })
  @ApiOkResponse({ type: TokenResponseDto })
  @ApiProblems(400, 401, 403, 413, 503)
  switchOrganization(
    @Body() body: SwitchOrganizationDto,
    @CurrentPrincipal() principal: Principal,
    @Actor() actor: AuditContext,
  ): Promise<TokenResponseDto> {
    return this.auth.switchOrganization(principal, body.organization_id, actor);
  }

  @Authenticated()
  @Get('me')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'The signed-in user, the current organization and its roles' })
  @ApiOkResponse({ type: UserProfileDto })
  @ApiProblems(401, 503)
  me(@CurrentPrincipal() principal: Principal): Promise<UserProfileDto> {
    return this.auth.me(principal);
  }
}
