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
import type { AuditContext } from '@app/audit';
import { Actor, ApiProblems, Page, PlatformAdmin, RequirePermission } from '@app/common';
import type { Caller } from './caller';
import { CurrentCaller } from './current-caller.decorator';
import {
  CreatedOrganizationDto,
  CreateOrganizationDto,
  ListOrganizationsQueryDto,
  OrganizationDto,
  OrganizationPageDto,
  UpdateOrganizationDto,
} from './dto/organization.dto';
import { OrganizationsAdminService } from './organizations-admin.service';

@ApiTags('organizations')
@ApiBearerAuth()
@Controller('organizations')
export class OrganizationsController {
  constructor(private readonly organizations: OrganizationsAdminService) {}

  @PlatformAdmin()
  @Post()
  @ApiOperation({ summary: 'Create an organization (platform administrators)' })
  @ApiCreatedResponse({ type: CreatedOrganizationDto })
  @ApiProblems(400, 401, 403, 409, 413, 503)
  create(
    @Body() body: CreateOrganizationDto,
    @Actor() actor: AuditContext,
  ): Promise<CreatedOrganizationDto> {
    return this.organizations.create(body, actor);
  }

  @PlatformAdmin()
  @Get()
  @ApiOperation({ summary: 'List every organization (platform administrators)' })
  @ApiOkResponse({ type: OrganizationPageDto })
  @ApiProblems(400, 401, 403, 503)
  list(@Query() query: ListOrganizationsQueryDto): Promise<Page<OrganizationDto>> {
    return this.organizations.list(query);
  }

  @RequirePermission('organizations:read')
  @Get('current')
  @ApiOperation({ summary: "The access token's organization" })
  @ApiOkResponse({ type: OrganizationDto })
  @ApiProblems(401, 403, 503)
  getCurrent(@CurrentCaller() caller: Caller): Promise<OrganizationDto> {
    return this.organizations.get(caller.organizationId, caller);
  }

  @RequirePermission('organizations:update')
  @Patch('current')
  @ApiOperation({
    summary: "Update the access token's organization",
    description:
      'Plan and quotas are for platform administrators; registration policy, allowed ' +
      'domains and the MFA/SSO requirements need organizations:manage_security.',
  })
  @ApiOkResponse({ type: OrganizationDto })
  @ApiProblems(400, 401, 403, 409, 413, 503)
  updateCurrent(
    @Body() body: UpdateOrganizationDto,
    @CurrentCaller() caller: Caller,
    @Actor() actor: AuditContext,
  ): Promise<OrganizationDto> {
    return this.organizations.update(caller.organizationId, body, caller, actor);
  }

  @RequirePermission('organizations:read', { platformAdminBypass: true })
  @Get(':id')
  @ApiOperation({
    summary: 'Read an organization',
    description: "Platform administrators read any; members only their token's organization.",
  })
  @ApiOkResponse({ type: OrganizationDto })
  @ApiProblems(400, 401, 403, 404, 503)
  get(
    @Param('id', ParseUUIDPipe) id: string,
    @CurrentCaller() caller: Caller,
  ): Promise<OrganizationDto> {
    return this.organizations.get(id, caller);
  }

  @RequirePermission('organizations:update', { platformAdminBypass: true })
  @Patch(':id')
  @ApiOperation({
    summary: 'Update an organization',
    description:
      "Platform administrators change anything; owners and admins their token's " +
      'organization, except plan and quotas; security fields need ' +
      'organizations:manage_security.',
  })
  @ApiOkResponse({ type: OrganizationDto })
  @ApiProblems(400, 401, 403, 404, 409, 413, 503)
  update(
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: UpdateOrganizationDto,
    @CurrentCaller() caller: Caller,
    @Actor() actor: AuditContext,
  ): Promise<OrganizationDto> {
    return this.organizations.update(id, body, caller, actor);
  }

  @PlatformAdmin()
  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'Delete an organization (platform administrators)',
    description:
      "Soft delete: its sessions are revoked and its members' access tokens stop working. " +
      'Not the organization of the caller’s own token (409 ORGANIZATION_IS_CURRENT): switch ' +
      'to another organization first.',
  })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiProblems(400, 401, 403, 404, 409, 503)
  remove(@Param('id', ParseUUIDPipe) id: string, @Actor() actor: AuditContext): Promise<void> {
    return this.organizations.remove(id, actor);
  }
}
