import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { AuditContext } from '@app/audit';
import { Actor, ApiProblems, CurrentPrincipal, Principal, RequirePermission } from '@app/common';
import { Caller, CurrentCaller } from '@app/organizations';
import { CreateSsoConnectionDto, UpdateSsoConnectionDto } from './dto/sso-connection-input.dto';
import { SsoConnectionDto, SsoConnectionListDto } from './dto/sso-connection.dto';
import { SsoConnectionsService } from './sso-connections.service';

@ApiTags('sso')
@ApiBearerAuth()
@Controller('sso/connections')
export class SsoConnectionsController {
  constructor(private readonly connections: SsoConnectionsService) {}

  @RequirePermission('sso:manage')
  @Post()
  @ApiOperation({
    summary: 'Create a SAML or OIDC connection for the organization',
    description:
      'SAML settings can come from the IdP metadata XML (`saml.metadata_xml`); given fields ' +
      'win over it. Certificates are checked now: an invalid or expired one is refused. The ' +
      'OIDC client secret and the SAML SP private key are encrypted at rest and never returned.',
  })
  @ApiCreatedResponse({ type: SsoConnectionDto })
  @ApiProblems(400, 401, 403, 409, 413, 503)
  create(
    @CurrentCaller() caller: Caller,
    @Body() body: CreateSsoConnectionDto,
    @Actor() actor: AuditContext,
  ): Promise<SsoConnectionDto> {
    return this.connections.create(caller, body, actor);
  }

  @RequirePermission('sso:read')
  @Get()
  @ApiOperation({ summary: "List the organization's SSO connections" })
  @ApiOkResponse({ type: SsoConnectionListDto })
  @ApiProblems(401, 403, 503)
  async list(@CurrentPrincipal() principal: Principal): Promise<SsoConnectionListDto> {
    return { data: await this.connections.list(principal.organizationId) };
  }

  @RequirePermission('sso:read')
  @Get(':id')
  @ApiOperation({
    summary: 'Read one SSO connection',
    description: 'Certificates expiring within 30 days are flagged and listed in `warnings`.',
  })
  @ApiOkResponse({ type: SsoConnectionDto })
  @ApiProblems(400, 401, 403, 404, 503)
  get(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<SsoConnectionDto> {
    return this.connections.get(principal.organizationId, id);
  }

  @RequirePermission('sso:manage')
  @Patch(':id')
  @ApiOperation({ summary: 'Update an SSO connection (its protocol cannot change)' })
  @ApiOkResponse({ type: SsoConnectionDto })
  @ApiProblems(400, 401, 403, 404, 409, 413, 503)
  update(
    @CurrentCaller() caller: Caller,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: UpdateSsoConnectionDto,
    @Actor() actor: AuditContext,
  ): Promise<SsoConnectionDto> {
    return this.connections.update(caller, id, body, actor);
  }

  @RequirePermission('sso:manage')
  @Post(':id/enable')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Enable an SSO connection' })
  @ApiOkResponse({ type: SsoConnectionDto })
  @ApiProblems(400, 401, 403, 404, 503)
  enable(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Actor() actor: AuditContext,
  ): Promise<SsoConnectionDto> {
    return this.connections.setEnabled(principal.organizationId, id, true, actor);
  }

  @RequirePermission('sso:manage')
  @Post(':id/disable')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Disable an SSO connection: its logins stop at once' })
  @ApiOkResponse({ type: SsoConnectionDto })
  @ApiProblems(400, 401, 403, 404, 503)
  disable(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Actor() actor: AuditContext,
  ): Promise<SsoConnectionDto> {
    return this.connections.setEnabled(principal.organizationId, id, false, actor);
  }

  @RequirePermission('sso:manage')
  @Post(':id/domains/verify')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: "Prove the connection's domains by their DNS TXT records",
    description:
      'For each unproven domain, looks up the TXT record named in `domain_verification` and ' +
      'marks the domain proven when it carries the value. A domain routes discovery and ' +
      'sign-ins only once proven, and only one connection on the platform can prove it.',
  })
  @ApiOkResponse({ type: SsoConnectionDto })
  @ApiProblems(400, 401, 403, 404, 409, 502, 503)
  verifyDomains(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Actor() actor: AuditContext,
  ): Promise<SsoConnectionDto> {
    return this.connections.verifyDomains(principal.organizationId, id, actor);
  }

  @RequirePermission('sso:manage')
  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'Delete an SSO connection',
    description: 'Its domains and identity links go with it; the users it provisioned stay.',
  })
  @ApiNoContentResponse()
  @ApiProblems(400, 401, 403, 404, 503)
  remove(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Actor() actor: AuditContext,
  ): Promise<void> {
    return this.connections.remove(principal.organizationId, id, actor);
  }
}
