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
import { Actor, ApiProblems, Page, PaginationQueryDto, RequirePermission } from '@app/common';
import type { Caller } from './caller';
import { CurrentCaller } from './current-caller.decorator';
import {
  CreateRoleDto,
  PermissionListDto,
  RoleDto,
  RoleListDto,
  UpdateRoleDto,
} from './dto/role.dto';
import { RolesService } from './roles.service';

@ApiTags('roles')
@ApiBearerAuth()
@Controller()
export class RolesController {
  constructor(private readonly roles: RolesService) {}

  @RequirePermission('roles:read')
  @Get('permissions')
  @ApiOperation({ summary: 'The permission catalogue roles are built from' })
  @ApiOkResponse({ type: PermissionListDto })
  @ApiProblems(401, 403, 503)
  listPermissions(): PermissionListDto {
    return this.roles.listPermissions();
  }

  @RequirePermission('roles:read')
  @Get('roles')
  @ApiOperation({ summary: "Built-in roles and the organization's custom roles" })
  @ApiOkResponse({ type: RoleListDto })
  @ApiProblems(400, 401, 403, 503)
  list(
    @Query() query: PaginationQueryDto,
    @CurrentCaller() caller: Caller,
  ): Promise<Page<RoleDto>> {
    return this.roles.list(caller.organizationId, query);
  }

  @RequirePermission('roles:read')
  @Get('roles/:id')
  @ApiOperation({ summary: 'Read a custom role' })
  @ApiOkResponse({ type: RoleDto })
  @ApiProblems(400, 401, 403, 404, 503)
  get(@Param('id', ParseUUIDPipe) id: string, @CurrentCaller() caller: Caller): Promise<RoleDto> {
    return this.roles.get(caller.organizationId, id);
  }

  @RequirePermission('roles:create')
  @Post('roles')
  @ApiOperation({
    summary: 'Create a custom role',
    description: 'Its permissions must be catalogue strings the caller holds.',
  })
  @ApiCreatedResponse({ type: RoleDto })
  @ApiProblems(400, 401, 403, 409, 413, 503)
  create(
    @Body() body: CreateRoleDto,
    @CurrentCaller() caller: Caller,
    @Actor() actor: AuditContext,
  ): Promise<RoleDto> {
    return this.roles.create(caller.organizationId, body, caller, actor);
  }

  @RequirePermission('roles:update')
  @Patch('roles/:id')
  @ApiOperation({
    summary: 'Update a custom role',
    description: 'Applies to its members on their next request.',
  })
  @ApiOkResponse({ type: RoleDto })
  @ApiProblems(400, 401, 403, 404, 413, 503)
  update(
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: UpdateRoleDto,
    @CurrentCaller() caller: Caller,
    @Actor() actor: AuditContext,
  ): Promise<RoleDto> {
    return this.roles.update(caller.organizationId, id, body, caller, actor);
  }

  @RequirePermission('roles:delete')
  @Delete('roles/:id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'Delete a custom role',
    description: 'The role is taken from every member holding it, in the same transaction.',
  })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiProblems(400, 401, 403, 404, 503)
  remove(
    @Param('id', ParseUUIDPipe) id: string,
    @CurrentCaller() caller: Caller,
    @Actor() actor: AuditContext,
  ): Promise<void> {
    return this.roles.remove(caller.organizationId, id, caller, actor);
  }
}
