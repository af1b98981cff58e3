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
import { AuditContext } from '@app/audit';
import {
  Actor,
  ApiProblems,
  CurrentPrincipal,
  Page,
  Principal,
  RequirePermission,
} from '@app/common';
import { CreateTeamDto } from './dto/create-team.dto';
import { ListTeamsQueryDto } from './dto/list-teams-query.dto';
import { TeamDto, TeamMemberDto, TeamMemberPageDto, TeamPageDto } from './dto/team.dto';
import { AddTeamMemberDto, UpdateTeamMemberDto } from './dto/team-member-input.dto';
import { UpdateTeamDto } from './dto/update-team.dto';
import { TeamsService } from './teams.service';

@ApiTags('teams')
@ApiBearerAuth()
@Controller('teams')
export class TeamsController {
  constructor(private readonly teams: TeamsService) {}

  @RequirePermission('teams:create')
  @Post()
  @ApiOperation({ summary: 'Create a team in the organization' })
  @ApiCreatedResponse({ type: TeamDto })
  @ApiProblems(400, 401, 403, 409, 503)
  create(
    @CurrentPrincipal() principal: Principal,
    @Body() body: CreateTeamDto,
    @Actor() actor: AuditContext,
  ): Promise<TeamDto> {
    return this.teams.create(principal.organizationId, body, actor);
  }

  @RequirePermission('teams:read')
  @Get()
  @ApiOperation({ summary: 'List the teams of the organization' })
  @ApiOkResponse({ type: TeamPageDto })
  @ApiProblems(400, 401, 403, 503)
  list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: ListTeamsQueryDto,
  ): Promise<Page<TeamDto>> {
    return this.teams.list(principal.organizationId, query);
  }

  @RequirePermission('teams:read')
  @Get(':id')
  @ApiOperation({ summary: 'Read one team' })
  @ApiOkResponse({ type: TeamDto })
  @ApiProblems(400, 401, 403, 404, 503)
  get(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<TeamDto> {
    return this.teams.get(principal.organizationId, id);
  }

  @RequirePermission('teams:update')
  @Patch(':id')
  @ApiOperation({ summary: 'Rename a team or change its slug or description' })
  @ApiOkResponse({ type: TeamDto })
  @ApiProblems(400, 401, 403, 404, 409, 503)
  update(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: UpdateTeamDto,
    @Actor() actor: AuditContext,
  ): Promise<TeamDto> {
    return this.teams.update(principal.organizationId, id, body, actor);
  }

  @RequirePermission('teams:delete')
  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete a team; its members stay in the organization' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiProblems(400, 401, 403, 404, 503)
  remove(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Actor() actor: AuditContext,
  ): Promise<void> {
    return this.teams.remove(principal.organizationId, id, actor);
  }

  @RequirePermission('teams:read')
  @Get(':id/members')
  @ApiOperation({ summary: 'List the members of a team' })
  @ApiOkResponse({ type: TeamMemberPageDto })
  @ApiProblems(400, 401, 403, 404, 503)
  listMembers(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Query() query: ListTeamsQueryDto,
  ): Promise<Page<TeamMemberDto>> {
    return this.teams.listMembers(principal.organizationId, id, query);
  }

  @RequirePermission('teams:manage_members')
  @Post(':id/members')
  @ApiOperation({ summary: 'Put a member of the organization on the team' })
  @ApiCreatedResponse({ type: TeamMemberDto })
  @ApiProblems(400, 401, 403, 404, 409, 503)
  addMember(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: AddTeamMemberDto,
    @Actor() actor: AuditContext,
  ): Promise<TeamMemberDto> {
    return this.teams.addMember(principal.organizationId, id, body, actor);
  }

  @RequirePermission('teams:manage_members')
  @Patch(':id/members/:user_id')
  @ApiOperation({ summary: "Change a member's team role" })
  @ApiOkResponse({ type: TeamMemberDto })
  @ApiProblems(400, 401, 403, 404, 503)
  updateMember(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Param('user_id', ParseUUIDPipe) userId: string,
    @Body() body: UpdateTeamMemberDto,
    @Actor() actor: AuditContext,
  ): Promise<TeamMemberDto> {
    return this.teams.updateMember(principal.organizationId, id, userId, body, actor);
  }

  @RequirePermission('teams:manage_members')
  @Delete(':id/members/:user_id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Take a member off the team' })
  @ApiNoContentResponse({ description: 'Removed from the team' })
  @ApiProblems(400, 401, 403, 404, 503)
  removeMember(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Param('user_id', ParseUUIDPipe) userId: string,
    @Actor() actor: AuditContext,
  ): Promise<void> {
    return this.teams.removeMember(principal.organizationId, id, userId, actor);
  }
}
