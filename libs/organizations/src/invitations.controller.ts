import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { AuditContext } from '@app/audit';
import {
  Actor,
  ApiProblems,
  Authenticated,
  CurrentAccess,
  CurrentPrincipal,
  Page,
  Principal,
  RequirePermission,
} from '@app/common';
import { Access } from './access.service';
import { AcceptInvitationDto } from './dto/accept-invitation.dto';
import { CreateInvitationDto } from './dto/create-invitation.dto';
import { CreatedInvitationDto, InvitationDto, InvitationPageDto } from './dto/invitation.dto';
import { ListInvitationsQueryDto } from './dto/list-invitations-query.dto';
import { InvitationsService } from './invitations.service';

@ApiTags('invitations')
@ApiBearerAuth()
@Controller('invitations')
export class InvitationsController {
  constructor(private readonly invitations: InvitationsService) {}

  @RequirePermission('invitations:create')
  @Post()
  @ApiOperation({
    summary: 'Invite an email address to the organization',
    description:
      'A pending invitation of the same address is revoked and replaced. The response carries ' +
      'the one-time token, which is never shown again.',
  })
  @ApiCreatedResponse({ type: CreatedInvitationDto })
  @ApiProblems(400, 401, 403, 404, 409, 503)
  create(
    @CurrentPrincipal() principal: Principal,
    @CurrentAccess() access: Access,
    @Body() body: CreateInvitationDto,
    @Actor() actor: AuditContext,
  ): Promise<CreatedInvitationDto> {
    return this.invitations.create(principal.organizationId, body, access, actor);
  }

  @RequirePermission('invitations:read')
  @Get()
  @ApiOperation({ summary: 'List the invitations of the organization' })
  @ApiOkResponse({ type: InvitationPageDto })
  @ApiProblems(400, 401, 403, 503)
  list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: ListInvitationsQueryDto,
  ): Promise<Page<InvitationDto>> {
    return this.invitations.list(principal.organizationId, query);
  }

  @Authenticated()
  @Post('accept')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Accept an invitation sent to your email address',
    description: 'Makes you a member of the inviting organization with the invited roles.',
  })
  @ApiOkResponse({ type: InvitationDto })
  @ApiProblems(400, 401, 403, 404, 409, 410, 503)
  accept(
    @CurrentPrincipal() principal: Principal,
    @Body() body: AcceptInvitationDto,
    @Actor() actor: AuditContext,
  ): Promise<InvitationDto> {
    return this.invitations.accept(principal.userId, body.token, actor);
  }

  @RequirePermission('invitations:read')
  @Get(':id')
  @ApiOperation({ summary: 'Read one invitation' })
  @ApiOkResponse({ type: InvitationDto })
  @ApiProblems(400, 401, 403, 404, 503)
  get(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<InvitationDto> {
    return this.invitations.get(principal.organizationId, id);
  }

  @RequirePermission('invitations:revoke')
  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Revoke an invitation that was not accepted' })
  @ApiNoContentResponse({ description: 'Revoked (or already revoked)' })
  @ApiProblems(400, 401, 403, 404, 409, 503)
  revoke(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Actor() actor: AuditContext,
  ): Promise<void> {
    return this.invitations.revoke(principal.organizationId, id, actor);
  }
}
