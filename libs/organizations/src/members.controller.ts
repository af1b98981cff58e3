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
  Put,
  Query,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { AuditContext } from '@app/audit';
import { Actor, ApiProblems, Page, RequirePermission } from '@app/common';
import type { Caller } from './caller';
import { CurrentCaller } from './current-caller.decorator';
import { ListMembersQueryDto, MemberDto, MemberPageDto, SetMemberRolesDto } from './dto/member.dto';
import { MembersService } from './members.service';

const USER_ID = new ParseUUIDPipe();

@ApiTags('members')
@ApiBearerAuth()
@Controller('members')
export class MembersController {
  constructor(private readonly members: MembersService) {}

  @RequirePermission('members:read')
  @Get()
  @ApiOperation({
    summary: "List the members of the token's organization",
    description: 'Search matches first name, last name or email; filters combine.',
  })
  @ApiOkResponse({ type: MemberPageDto })
  @ApiProblems(400, 401, 403, 404, 503)
  list(
    @Query() query: ListMembersQueryDto,
    @CurrentCaller() caller: Caller,
  ): Promise<Page<MemberDto>> {
    return this.members.list(caller.organizationId, query);
  }

  @RequirePermission('members:read')
  @Get(':user_id')
  @ApiOperation({ summary: 'Read one member' })
  @ApiOkResponse({ type: MemberDto })
  @ApiProblems(400, 401, 403, 404, 503)
  get(
    @Param('user_id', USER_ID) userId: string,
    @CurrentCaller() caller: Caller,
  ): Promise<MemberDto> {
    return this.members.get(caller.organizationId, userId);
  }

  @RequirePermission('members:update', { alternatives: ['roles:assign'] })
  @Put(':user_id/roles')
  @ApiOperation({
    summary: "Replace a member's roles",
    description:
      'Needs members:update or roles:assign. Every role added or taken away must grant only ' +
      'permissions the caller holds; the last active owner keeps the owner role.',
  })
  @ApiOkResponse({ type: MemberDto })
  @ApiProblems(400, 401, 403, 404, 409, 413, 503)
  setRoles(
    @Param('user_id', USER_ID) userId: string,
    @Body() body: SetMemberRolesDto,
    @CurrentCaller() caller: Caller,
    @Actor() actor: AuditContext,
  ): Promise<MemberDto> {
    return this.members.setRoles(caller.organizationId, userId, body.roles, caller, actor);
  }

  @RequirePermission('roles:assign')
  @Post(':user_id/roles/:role')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Assign one role to a member' })
  @ApiOkResponse({ type: MemberDto })
  @ApiProblems(400, 401, 403, 404, 503)
  assignRole(
    @Param('user_id', USER_ID) userId: string,
    @Param('role') role: string,
    @CurrentCaller() caller: Caller,
    @Actor() actor: AuditContext,
  ): Promise<MemberDto> {
    return this.members.assignRole(caller.organizationId, userId, role, caller, actor);
  }

  @RequirePermission('roles:assign')
  @Delete(':user_id/roles/:role')
  @ApiOperation({ summary: 'Take one role from a member' })
  @ApiOkResponse({ type: MemberDto })
  @ApiProblems(400, 401, 403, 404, 409, 503)
  unassignRole(
    @Param('user_id', USER_ID) userId: string,
    @Param('role') role: string,
    @CurrentCaller() caller: Caller,
    @Actor() actor: AuditContext,
  ): Promise<MemberDto> {
    return this.members.unassignRole(caller.organizationId, userId, role, caller, actor);
  }

  @RequirePermission('members:deactivate')
  @Post(':user_id/deactivate')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Deactivate a member',
    description: 'Their sessions in this organization end and their access tokens stop working.',
  })
  @ApiOkResponse({ type: MemberDto })
  @ApiProblems(400, 401, 403, 404, 409, 503)
  deactivate(
    @Param('user_id', USER_ID) userId: string,
    @CurrentCaller() caller: Caller,
    @Actor() actor: AuditContext,
  ): Promise<MemberDto> {
    return this.members.deactivate(caller.organizationId, userId, caller, actor);
  }

  @RequirePermission('members:deactivate')
  @Post(':user_id/reactivate')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Reactivate a member (within max_users)' })
  @ApiOkResponse({ type: MemberDto })
  @ApiProblems(400, 401, 403, 404, 409, 503)
  reactivate(
    @Param('user_id', USER_ID) userId: string,
    @CurrentCaller() caller: Caller,
    @Actor() actor: AuditContext,
  ): Promise<MemberDto> {
    return this.members.reactivate(caller.organizationId, userId, caller, actor);
  }

  @RequirePermission('members:unlock', {
    alternatives: ['members:deactivate'],
    platformAdminBypass: true,
  })
  @Post(':user_id/unlock')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: "Lift a member's login lockout",
    description:
      'Needs members:unlock or members:deactivate, and every permission the member holds. ' +
      'Forgets the failed login attempts, so the next login checks the password again. ' +
      'Platform administrators can unlock any user by id.',
  })
  @ApiNoContentResponse({ description: 'Unlocked (also when the account was not locked)' })
  @ApiProblems(400, 401, 403, 404, 503)
  unlock(
    @Param('user_id', USER_ID) userId: string,
    @CurrentCaller() caller: Caller,
    @Actor() actor: AuditContext,
  ): Promise<void> {
    return this.members.unlock(caller.organizationId, userId, caller, actor);
  }

  @RequirePermission('members:remove')
  @Delete(':user_id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'Remove a member from the organization',
    description: 'Also takes them off its teams and ends their sessions in it.',
  })
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiProblems(400, 401, 403, 404, 409, 503)
  remove(
    @Param('user_id', USER_ID) userId: string,
    @CurrentCaller() caller: Caller,
    @Actor() actor: AuditContext,
  ): Promise<void> {
    return this.members.remove(caller.organizationId, userId, caller, actor);
  }
}
