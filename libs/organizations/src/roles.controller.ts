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
  PipeTransform,
  Post,
  Query,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { isUUID } from 'class-validator';
import type { AuditContext } from '@app/audit';
import {
  Actor,
  ApiProblems,
  CommonException,
  Page,
  PaginationQueryDto,
  RequirePermission,
} from '@app/common';
import type { Caller } from './caller';
import { CurrentCaller } from './current-caller.decorator';
import {
  CreateRoleDto,
  PermissionListDto,
  RoleDto,
  RoleListDto,
  UpdateRoleDto,
} from './dto/role.dto';
import { BUILT_IN_ROLE_KEYS, isBuiltInRole } from './permissions';
import { RolesService } from './roles.service';

/** A built-in role's key as it is, anything else as a UUID (400 otherwise). */
class RoleIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (isBuiltInRole(value) || isUUID(value)) return value;

    throw new CommonException(
      'VALIDATION_FAILED',
      `id must be a UUID or a built-in role key (${BUILT_IN_ROLE_KEYS.join(', ')})`,
      [{ field: 'id', message: 'id must be a UUID or a built-in role key' }],
    );
  }
}

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
  @ApiOperation({
    summary: 'Read a built-in role by its key, or a custom role by its id',
    description: `\`id\` is a custom role's UUID or a built-in key (${BUILT_IN_ROLE_KEYS.join(', ')}).`,
  })
  @ApiParam({ name: 'id', description: "A custom role's UUID or a built-in role's key" })
  @ApiOkResponse({ type: RoleDto })
  @ApiProblems(400, 401, 403, 404, 503)
  get(@Param('id', RoleIdPipe) id: string, @CurrentCaller() caller: Caller): Promise<RoleDto> {
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
