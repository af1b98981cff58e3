import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, QueryFailedError, Repository } from 'typeorm';
import { AuditContext, AuditService } from '@app/audit';
import { Page, toPage } from '@app/common';
import { ReadReplica } from '@app/database';
import { Membership, Organization } from '@app/organizations';
import { CreateTeamDto } from './dto/create-team.dto';
import { ListTeamsQueryDto } from './dto/list-teams-query.dto';
import { TeamDto, TeamMemberDto, toTeamDto, toTeamMemberDto } from './dto/team.dto';
import { AddTeamMemberDto, UpdateTeamMemberDto } from './dto/team-member-input.dto';
import { UpdateTeamDto } from './dto/update-team.dto';
import { TeamMember } from './team-member.entity';
import { Team } from './team.entity';
import { TeamsException } from './teams.exception';

const UNIQUE_VIOLATION = '23505';

/** Teams of one organization; every method is scoped to the caller's organization. */
@Injectable()
export class TeamsService {
  constructor(
    @InjectRepository(Team) private readonly teams: Repository<Team>,
    @InjectRepository(TeamMember) private readonly members: Repository<TeamMember>,
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly replica: ReadReplica,
  ) {}

  async create(
    organizationId: string,
    input: CreateTeamDto,
    actor: AuditContext,
  ): Promise<TeamDto> {
    const slug = input.slug ?? slugify(input.name);

    const team = await this.dataSource.transaction(async (manager) => {
      // Serialises team creation in the organization, so max_teams holds under concurrency.
      const organization = await manager
        .getRepository(Organization)
        .createQueryBuilder('organization')
        .where('organization.id = :organizationId', { organizationId })
        .setLock('pessimistic_write')
        .getOne();
      if (!organization) throw new TeamsException('TEAM_NOT_FOUND');
      const repository = manager.getRepository(Team);
      if (organization.maxTeams !== null) {
        const count = await repository.countBy({ organizationId });
        if (count >= organization.maxTeams) throw new TeamsException('TEAM_LIMIT_REACHED');
      }
      await this.checkSlugFree(manager, organizationId, slug);

      const created = await saveUnique(
        repository,
        repository.create({
          organizationId,
          name: input.name,
          slug,
          description: input.description ?? null,
        }),
      );
      await this.audit.record(manager, actor, {
        action: 'team.created',
        outcome: 'success',
        organizationId,
        targetType: 'team',
        targetId: created.id,
        details: { name: created.name, slug: created.slug },
      });

      return created;
    });

    return toTeamDto(team, 0);
  }

  /** Read on a replica when there is one. */
  list(organizationId: string, query: ListTeamsQueryDto): Promise<Page<TeamDto>> {
    return this.replica.read((manager) => this.listOn(manager, organizationId, query));
  }

  private async listOn(
    manager: EntityManager,
    organizationId: string,
    query: ListTeamsQueryDto,
  ): Promise<Page<TeamDto>> {
    const builder = manager
      .getRepository(Team)
      .createQueryBuilder('team')
      .where('team.organizationId = :organizationId', { organizationId });
    if (query.search) {
      builder.andWhere('(team.name ILIKE :pattern OR team.slug ILIKE :pattern)', {
        pattern: `%${escapeLike(query.search)}%`,
      });
    }
    const [teams, total] = await builder
      .orderBy('team.name', 'ASC')
      .addOrderBy('team.id', 'ASC')
      .take(query.limit)
      .skip(query.offset)
      .getManyAndCount();
    const counts = await this.memberCounts(
      manager,
      teams.map((team) => team.id),
    );

    return toPage(
      teams.map((team) => toTeamDto(team, counts.get(team.id) ?? 0)),
      total,
      query,
    );
  }

  async get(organizationId: string, id: string): Promise<TeamDto> {
    const team = await this.findTeam(this.dataSource.manager, organizationId, id);
    const counts = await this.memberCounts(this.dataSource.manager, [team.id]);

    return toTeamDto(team, counts.get(team.id) ?? 0);
  }

  async update(
    organizationId: string,
    id: string,
    input: UpdateTeamDto,
    actor: AuditContext,
  ): Promise<TeamDto> {
    const team = await this.dataSource.transaction(async (manager) => {
      const current = await this.findTeam(manager, organizationId, id, true);
      const changes: Partial<Pick<Team, 'name' | 'slug' | 'description'>> = {};
      if (input.name !== undefined && input.name !== current.name) changes.name = input.name;
      if (input.slug !== undefined && input.slug !== current.slug) {
        await this.checkSlugFree(manager, organizationId, input.slug);
        changes.slug = input.slug;
      }
      if (input.description !== undefined && input.description !== current.description) {
        changes.description = input.description;
      }
      const changed = Object.keys(changes);
      if (changed.length === 0) return current;

      const repository = manager.getRepository(Team);
      const updated = await saveUnique(repository, repository.merge(current, changes));
      await this.audit.record(manager, actor, {
        action: 'team.updated',
        outcome: 'success',
        organizationId,
        targetType: 'team',
        targetId: id,
        details: { changed },
      });

      return updated;
    });
    const counts = await this.memberCounts(this.dataSource.manager, [team.id]);

    return toTeamDto(team, counts.get(team.id) ?? 0);
  }

  /** Soft-deletes the team and takes its members off it; the slug becomes free again. */
  async remove(organizationId: string, id: string, actor: AuditContext): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await this.findTeam(manager, organizationId, id, true);
      const removed = await manager.getRepository(TeamMember).delete({ teamId: id });
      await manager.getRepository(Team).softDelete({ id });
      await this.audit.record(manager, actor, {
        action: 'team.deleted',
        outcome: 'success',
        organizationId,
        targetType: 'team',
        targetId: id,
        details: { members_removed: removed.affected ?? 0 },
      });
    });
  }

  /** Read on a replica when there is one. */
  listMembers(
    organizationId: string,
    teamId: string,
    query: ListTeamsQueryDto,
  ): Promise<Page<TeamMemberDto>> {
    return this.replica.read((manager) =>
      this.listMembersOn(manager, organizationId, teamId, query),
    );
  }

  private async listMembersOn(
    manager: EntityManager,
    organizationId: string,
    teamId: string,
    query: ListTeamsQueryDto,
  ): Promise<Page<TeamMemberDto>> {
    await this.findTeam(manager, organizationId, teamId);
    const builder = manager
      .getRepository(TeamMember)
      .createQueryBuilder('member')
      .innerJoinAndSelect('member.user', 'user')
      .where('member.teamId = :teamId', { teamId });
    if (query.search) {
      builder.andWhere(
        '(user.email ILIKE :pattern OR user.firstName ILIKE :pattern OR user.lastName ILIKE :pattern)',
        { pattern: `%${escapeLike(query.search)}%` },
      );
    }
    const [members, total] = await builder
      .orderBy('member.createdAt', 'ASC')
      .addOrderBy('member.userId', 'ASC')
      .take(query.limit)
      .skip(query.offset)
      .getManyAndCount();

    return toPage(members.map(toTeamMemberDto), total, query);
  }

  async addMember(
    organizationId: string,
    teamId: string,
    input: AddTeamMemberDto,
    actor: AuditContext,
  ): Promise<TeamMemberDto> {
    const role = input.role ?? 'member';
    const member = await this.dataSource.transaction(async (manager) => {
      await this.findTeam(manager, organizationId, teamId, true);
      const membership = await manager
        .getRepository(Membership)
        .findOneBy({ organizationId, userId: input.user_id, status: 'active' });
      if (!membership) throw new TeamsException('TEAM_USER_NOT_FOUND');
      const repository = manager.getRepository(TeamMember);
      if (await repository.existsBy({ teamId, userId: input.user_id })) {
        throw new TeamsException('TEAM_MEMBER_EXISTS');
      }

      await repository.insert({ teamId, userId: input.user_id, role });
      await this.audit.record(manager, actor, {
        action: 'team.member_added',
        outcome: 'success',
        organizationId,
        targetType: 'team',
        targetId: teamId,
        details: { user_id: input.user_id, role },
      });

      return this.findMember(manager, teamId, input.user_id);
    });

    return toTeamMemberDto(member);
  }

  async updateMember(
    organizationId: string,
    teamId: string,
    userId: string,
    input: UpdateTeamMemberDto,
    actor: AuditContext,
  ): Promise<TeamMemberDto> {
    const member = await this.dataSource.transaction(async (manager) => {
      await this.findTeam(manager, organizationId, teamId, true);
      const current = await this.findMember(manager, teamId, userId);
      if (current.role === input.role) return current;

      await manager.getRepository(TeamMember).update({ teamId, userId }, { role: input.role });
      await this.audit.record(manager, actor, {
        action: 'team.member_updated',
        outcome: 'success',
        organizationId,
        targetType: 'team',
        targetId: teamId,
        details: { user_id: userId, role: input.role, previous_role: current.role },
      });

      return { ...current, role: input.role };
    });

    return toTeamMemberDto(member);
  }

  async removeMember(
    organizationId: string,
    teamId: string,
    userId: string,
    actor: AuditContext,
  ): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await this.findTeam(manager, organizationId, teamId, true);
      await this.findMember(manager, teamId, userId);
      await manager.getRepository(TeamMember).delete({ teamId, userId });
      await this.audit.record(manager, actor, {
        action: 'team.member_removed',
        outcome: 'success',
        organizationId,
        targetType: 'team',
        targetId: teamId,
        details: { user_id: userId },
      });
    });
  }

  /**
   * A live team of the organization, or TEAM_NOT_FOUND: a team of another organization is
   * indistinguishable from one that does not exist. `lock` holds its row until commit, so
   * changes to one team (and a deletion) are applied one at a time.
   */
  private async findTeam(
    manager: EntityManager,
    organizationId: string,
    id: string,
    lock = false,
  ): Promise<Team> {
    const builder = manager
      .getRepository(Team)
      .createQueryBuilder('team')
      .where('team.id = :id AND team.organizationId = :organizationId', { id, organizationId });
    if (lock) builder.setLock('pessimistic_write');
    const team = await builder.getOne();
    if (!team) throw new TeamsException('TEAM_NOT_FOUND');

    return team;
  }

  private async findMember(
    manager: EntityManager,
    teamId: string,
    userId: string,
  ): Promise<TeamMember> {
    const member = await manager
      .getRepository(TeamMember)
      .findOne({ where: { teamId, userId }, relations: { user: true } });
    if (!member) throw new TeamsException('TEAM_MEMBER_NOT_FOUND');

    return member;
  }

  private async checkSlugFree(
    manager: EntityManager,
    organizationId: string,
    slug: string,
  ): Promise<void> {
    if (await manager.getRepository(Team).existsBy({ organizationId, slug })) {
      throw new TeamsException('TEAM_SLUG_TAKEN');
    }
  }

  private async memberCounts(
    manager: EntityManager,
    teamIds: string[],
  ): Promise<Map<string, number>> {
    if (teamIds.length === 0) return new Map();
    const rows = await manager.query<{ team_id: string; count: string }[]>(
      `SELECT team_id, count(*) AS count FROM team_members
        WHERE team_id = ANY ($1::uuid[]) GROUP BY team_id`,
      [teamIds],
    );

    return new Map(rows.map((row) => [row.team_id, Number(row.count)]));
  }
}

/** `Platform Reliability!` becomes `platform-reliability`; a name with no latin letters or digits gets a random slug. */
export function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80)
    .replace(/-+$/, '');

  return slug || `team-${randomBytes(4).toString('hex')}`;
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (character) => `\\${character}`);
}

/** The partial unique index on (organization, slug) is the last word on a slug race. */
async function saveUnique(repository: Repository<Team>, team: Team): Promise<Team> {
  try {
    return await repository.save(team);
  } catch (error) {
    if (
      error instanceof QueryFailedError &&
      (error as { code?: string }).code === UNIQUE_VIOLATION
    ) {
      throw new TeamsException('TEAM_SLUG_TAKEN');
    }
    throw error;
  }
}
