import {
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  ParseUUIDPipe,
  Post,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { AuditContext } from '@app/audit';
import { Actor, ApiProblems, Authenticated, CurrentPrincipal, Principal } from '@app/common';
import { LogoutAllResponseDto, SessionListDto } from './dto/session.dto';
import { SessionsService } from './sessions.service';

@ApiTags('auth')
@ApiBearerAuth()
@Controller('auth')
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  @Authenticated()
  @Get('sessions')
  @ApiOperation({
    summary: 'Your live sessions, in every organization',
    description:
      'Every session of the signed-in user that is neither revoked nor expired, across all ' +
      'organizations (not only the current one), most recently used first. `current` marks ' +
      'the session of this access token.',
  })
  @ApiOkResponse({ type: SessionListDto })
  @ApiProblems(401, 503)
  async list(@CurrentPrincipal() principal: Principal): Promise<SessionListDto> {
    return { data: await this.sessions.list(principal) };
  }

  @Authenticated()
  @Delete('sessions/:id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'End one of your sessions',
    description:
      'Its refresh token and access tokens stop working at once. Ids that are not a live ' +
      'session of yours (another user’s included) answer 404.',
  })
  @ApiNoContentResponse({ description: 'Session ended' })
  @ApiProblems(400, 401, 404, 503)
  revoke(
    @Param('id', ParseUUIDPipe) id: string,
    @CurrentPrincipal() principal: Principal,
    @Actor() actor: AuditContext,
  ): Promise<void> {
    return this.sessions.revoke(principal, id, actor);
  }

  @Authenticated()
  @Post('logout-all')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Sign out everywhere',
    description:
      'Ends every session of yours in every organization, this one included; all their ' +
      'access and refresh tokens stop working at once.',
  })
  @ApiOkResponse({ type: LogoutAllResponseDto })
  @ApiProblems(401, 503)
  logoutAll(
    @CurrentPrincipal() principal: Principal,
    @Actor() actor: AuditContext,
  ): Promise<LogoutAllResponseDto> {
    return this.sessions.revokeAll(principal, actor);
  }
}
