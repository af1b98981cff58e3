import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AuditContext, AuditService } from '@app/audit';
import { Page, toPage } from '@app/common';
import { ReadReplica } from '@app/database';
import { LoginAttemptsService } from '@app/users';
import { AccessRevocationService } from './access-revocation.service';
import { AccessService } from './access.service';
import { Caller, missingPermissions } from './caller';
import { DenialRecorder } from './denial-recorder.service';
import { ListMembersQueryDto, MemberDto, MemberTeamDto } from './dto/member.dto';
import { MembershipStatus } from './membership.entity';
import { lockOrganization } from './organizations-admin.service';
import { OrganizationsException } from './organizations.exception';
import { RolesService } from './roles.service';
import { escapeLike } from './sql';

interface MemberRow {
  user_id: string;
  email: string;
  first_name: string;
  last_name: string;
  roles: string[];
  status: MembershipStatus;
  created_at: Date;
  last_used_at: Date | null;
}

const MEMBER_COLUMNS = `m.user_id, u.email, u.first_name, u.last_name, m.roles, m.status,
  m.created_at, m.last_used_at`;

/** Memberships of live users; deleted users are not members any more. */
const MEMBER_FROM = 'FROM memberships m JOIN users u ON u.id = m.user_id AND u.deleted_at IS NULL';

type RoleChange = (current: string[]) => string[];

/**
 * The members of the caller's organization: listing, roles, deactivation and removal. Every
 * change runs under a lock on the organization row, so owner counts and seat counts are
 * read and written one change at a time; a change that would leave no active owner fails.
 */
@Injectable()
export class MembersService {
  private readonly logger = new Logger(MembersService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly roles: RolesService,
    private readonly revocation: AccessRevocationService,
    private readonly denials: DenialRecorder,
    private readonly access: AccessService,
    private readonly loginAttempts: LoginAttemptsService,
    private readonly replica: ReadReplica,
  ) {}

  /** Read on a replica when there is one: a member added a moment ago may be missing. */
  list(organizationId: string, query: ListMembersQueryDto): Promise<Page<MemberDto>> {
    return this.replica.read((manager) => this.listOn(manager, organizationId, query));
  }

  private async listOn(
    manager: EntityManager,
    organizationId: string,
    query: ListMembersQueryDto,
  ): Promise<Page<MemberDto>> {
    if (query.team_id) await this.checkTeam(manager, organizationId, query.team_id);
    const conditions = ['m.organization_id = $1'];
    const parameters: unknown[] = [organizationId];
    const add = (condition: (placeholder: string) => string, value: unknown) => {
      parameters.push(value);
      conditions.push(condition(`$${parameters.length}`));
    };
    if (query.search) {
      add(
        (p) =>
          `(u.first_name ILIKE ${p} OR u.last_name ILIKE ${p} OR u.email ILIKE ${p}
            OR (u.first_name || ' ' || u.last_name) ILIKE ${p})`,
        `%${escapeLike(query.search.trim())}%`,
      );
    }
    if (query.role) add((p) => `${p}::text = ANY (m.roles)`, query.role);
    if (query.status) add((p) => `m.status = ${p}`, query.status);
    if (query.team_id) {
      add(
        (p) => `EXISTS (SELECT 1 FROM team_members tm WHERE tm.team_id = ${p}
                          AND tm.user_id = m.user_id)`,
        query.team_id,
      );
    }
    const where = conditions.join(' AND ');

    const [{ total }] = await manager.query<{ total: number }[]>(
      `SELECT count(*)::int AS total ${MEMBER_FROM} WHERE ${where}`,
      parameters,
    );
    const rows = await manager.query<MemberRow[]>(
      `SELECT ${MEMBER_COLUMNS} ${MEMBER_FROM} WHERE ${where}
        ORDER BY m.created_at, m.user_id
        LIMIT $${parameters.length + 1} OFFSET $${parameters.length + 2}`,
      [...parameters, query.limit, query.offset],
    );
    const teams = await this.teamsOf(manager, organizationId, rows);

    return toPage(
      rows.map((row) => toMemberDto(row, teams.get(row.user_id) ?? [])),
      total,
      query,
    );
  }

  async get(organizationId: string, userId: string): Promise<MemberDto> {
    return this.read(this.dataSource.manager, organizationId, userId);
  }

  /** Replaces the member's roles (PUT). */
  setRoles(
    organizationId: string,
    userId: string,
    roles: string[],
    caller: Caller,
    actor: AuditContext,
  ): Promise<MemberDto> {
    const wanted = [...new Set(roles)];

    return this.changeRoles(organizationId, userId, () => wanted, caller, actor, {
      action: 'member.roles_updated',
      unknownIs: 'ROLE_UNKNOWN',
    });
  }

  assignRole(
    organizationId: string,
    userId: string,
    role: string,
    caller: Caller,
    actor: AuditContext,
  ): Promise<MemberDto> {
    return this.changeRoles(
      organizationId,
      userId,
      (current) => (current.includes(role) ? current : [...current, role]),
      caller,
      actor,
      { action: 'member.role_assigned', unknownIs: 'ROLE_NOT_FOUND' },
    );
  }

  unassignRole(
    organizationId: string,
    userId: string,
    role: string,
    caller: Caller,
    actor: AuditContext,
  ): Promise<MemberDto> {
    return this.changeRoles(
      organizationId,
      userId,
      (current) => current.filter((key) => key !== role),
      caller,
      actor,
      { action: 'member.role_unassigned', unknownIs: 'ROLE_NOT_FOUND', mustExist: role },
    );
  }

  /** Suspends the membership: its sessions end and its live access tokens fail at once. */
  async deactivate(
    organizationId: string,
    userId: string,
    caller: Caller,
    actor: AuditContext,
  ): Promise<MemberDto> {
    const outcome = await this.dataSource.transaction(async (manager) => {
      const member = await this.lockMember(manager, organizationId, userId);
      if (member.status === 'deactivated') return { member, changed: false };
      const refusal = await this.checkActOn(manager, organizationId, member, caller);
      if (refusal) return { refusal };
      await this.checkNotLastOwner(manager, organizationId, member);

      await updateMembership(manager, organizationId, userId, { status: 'deactivated' });
      const sessions = await this.revocation.revokeMemberSessions(
        manager,
        organizationId,
        userId,
        'membership_deactivated',
      );
      await this.recordMemberChange(manager, actor, 'member.deactivated', userId, {
        sessions_revoked: sessions,
      });

      return { member: { ...member, status: 'deactivated' as const }, changed: true };
    });
    if (outcome.refusal) return this.denyActOn(actor, userId, outcome.refusal);

    if (outcome.changed) await this.revocation.blockMembership(organizationId, userId);

    return this.read(this.dataSource.manager, organizationId, userId);
  }

  /** Restores a deactivated membership, if a seat is free under `max_users`. */
  async reactivate(
    organizationId: string,
    userId: string,
    caller: Caller,
    actor: AuditContext,
  ): Promise<MemberDto> {
    const outcome = await this.dataSource.transaction(async (manager) => {
      const organization = await lockOrganization(manager, organizationId);
      if (!organization) throw new OrganizationsException('MEMBER_NOT_FOUND');
      const member = await this.lockMember(manager, organizationId, userId, false);
      if (member.status === 'active') return { changed: false };
      const refusal = await this.checkActOn(manager, organizationId, member, caller);
      if (refusal) return { refusal };
      if (organization.maxUsers !== null) {
        const [{ active }] = await manager.query<{ active: number }[]>(
          `SELECT count(*)::int AS active FROM memberships
            WHERE organization_id = $1 AND status = 'active'`,
          [organizationId],
        );
        if (active >= organization.maxUsers) {
          throw new OrganizationsException('ORGANIZATION_FULL');
        }
      }

      await updateMembership(manager, organizationId, userId, { status: 'active' });
      await this.recordMemberChange(manager, actor, 'member.reactivated', userId);

      return { changed: true };
    });
    if (outcome.refusal) return this.denyActOn(actor, userId, outcome.refusal);

    if (outcome.changed) await this.revocation.unblockMembership(organizationId, userId);

    return this.read(this.dataSource.manager, organizationId, userId);
  }

  /**
   * Lifts a login lockout and forgets the failed attempts. A member of the caller's
   * organization needs the grant rule like deactivation does: otherwise an admin could unlock
   * an owner again and again and guess the owner's password without limit. Platform
   * administrators unlock any user by id.
   */
  async unlock(
    organizationId: string,
    userId: string,
    caller: Caller,
    actor: AuditContext,
  ): Promise<void> {
    const isPlatformAdmin =
      caller.isPlatformAdmin ?? (await this.access.isPlatformAdmin(caller.userId));
    const outcome = await this.dataSource.transaction(async (manager) => {
      let email: string;
      if (isPlatformAdmin) {
        const [user] = await manager.query<{ email: string }[]>(
          'SELECT email FROM users WHERE id = $1 AND deleted_at IS NULL',
          [userId],
        );
        if (!user) throw new OrganizationsException('MEMBER_NOT_FOUND');
        email = user.email;
      } else {
        const member = await this.lockMember(manager, organizationId, userId);
        const refusal = await this.checkActOn(manager, organizationId, member, caller);
        if (refusal) return { refusal };
        email = member.email;
      }

      const wasLocked = await this.loginAttempts.isLocked(email);
      // Cleared before the audit event commits: a store outage fails the request (503) and
      // rolls the event back, so no unlock is recorded that did not happen.
      await this.loginAttempts.clear(email);
      await this.audit.record(manager, actor, {
        action: 'auth.account_unlocked',
        outcome: 'success',
        targetType: 'user',
        targetId: userId,
        details: { was_locked: wasLocked, by_platform_admin: isPlatformAdmin },
      });

      return { wasLocked };
    });
    if (outcome.refusal) return this.denyActOn(actor, userId, outcome.refusal);

    // user_id is who acted, as on every line of the request; the account is the target.
    this.logger.log({ event: 'account_unlocked', user_id: caller.userId, target_user_id: userId });
  }

  /** Removes the membership and the member's places on this organization's teams. */
  async remove(
    organizationId: string,
    userId: string,
    caller: Caller,
    actor: AuditContext,
  ): Promise<void> {
    const outcome = await this.dataSource.transaction(async (manager) => {
      const member = await this.lockMember(manager, organizationId, userId);
      const refusal = await this.checkActOn(manager, organizationId, member, caller);
      if (refusal) return { refusal };
      await this.checkNotLastOwner(manager, organizationId, member);

      await manager.query(
        `DELETE FROM team_members tm USING teams t
          WHERE tm.team_id = t.id AND t.organization_id = $1 AND tm.user_id = $2`,
        [organizationId, userId],
      );
      await manager.query('DELETE FROM memberships WHERE organization_id = $1 AND user_id = $2', [
        organizationId,
        userId,
      ]);
      const sessions = await this.revocation.revokeMemberSessions(
        manager,
        organizationId,
        userId,
        'membership_removed',
      );
      await this.recordMemberChange(manager, actor, 'member.removed', userId, {
        roles: member.roles,
        sessions_revoked: sessions,
      });

      return { removed: true };
    });
    if (outcome.refusal) return this.denyActOn(actor, userId, outcome.refusal);

    await this.revocation.blockMembership(organizationId, userId);
    this.logger.log({
      event: 'member_removed',
      organization_id: organizationId,
      user_id: caller.userId,
      target_user_id: userId,
    });
  }

  /**
   * The one path for every role change. Every role added or taken away must be within the
   * caller's permissions (so an admin can neither make nor unmake an owner), and the last
   * active owner keeps the owner role.
   */
  private async changeRoles(
    organizationId: string,
    userId: string,
    change: RoleChange,
    caller: Caller,
    actor: AuditContext,
    options: {
      action: string;
      unknownIs: 'ROLE_UNKNOWN' | 'ROLE_NOT_FOUND';
      mustExist?: string;
    },
  ): Promise<MemberDto> {
    const outcome = await this.dataSource.transaction(async (manager) => {
      const member = await this.lockMember(manager, organizationId, userId);
      const wanted = change(member.roles);
      const added = wanted.filter((key) => !member.roles.includes(key));
      const removed = member.roles.filter((key) => !wanted.includes(key));

      const resolved = await this.roles.resolve(manager, organizationId, [
        ...added,
        ...removed,
        ...(options.mustExist ? [options.mustExist] : []),
      ]);
      const unknown = resolved.unknown.filter(
        (key) => added.includes(key) || key === options.mustExist,
      );
      if (unknown.length > 0) {
        throw new OrganizationsException(
          options.unknownIs,
          `No such role in this organization: ${unknown.join(', ')}`,
        );
      }
      const missing = missingPermissions(
        await this.asOfNow(manager, organizationId, caller),
        [...added, ...removed].flatMap((key) => resolved.permissions.get(key) ?? []),
      );
      if (missing.length > 0) return { missing };
      if (added.length === 0 && removed.length === 0) return { changed: false };
      if (removed.includes('owner')) await this.checkNotLastOwner(manager, organizationId, member);
      if (wanted.length === 0) throw new OrganizationsException('MEMBER_ROLE_REQUIRED');

      await updateMembership(manager, organizationId, userId, { roles: wanted });
      await this.recordMemberChange(manager, actor, options.action, userId, { added, removed });

      return { changed: true };
    });

    if (outcome.missing) {
      return this.denials.deny(
        actor,
        new OrganizationsException(
          'ROLE_GRANT_FORBIDDEN',
          `You do not hold ${outcome.missing.join(', ')}`,
        ),
        { type: 'member', id: userId },
        { missing_permissions: outcome.missing },
      );
    }

    return this.read(this.dataSource.manager, organizationId, userId);
  }

  /**
   * Locks the organization row (serialising every member change in it, so two concurrent
   * demotions cannot both see another owner) and returns the member; 404 if not a member.
   */
  private async lockMember(
    manager: EntityManager,
    organizationId: string,
    userId: string,
    lockOrganizationRow = true,
  ): Promise<MemberRow> {
    if (lockOrganizationRow && !(await lockOrganization(manager, organizationId))) {
      throw new OrganizationsException('MEMBER_NOT_FOUND');
    }
    const [member] = await manager.query<MemberRow[]>(
      `SELECT ${MEMBER_COLUMNS} ${MEMBER_FROM}
        WHERE m.organization_id = $1 AND m.user_id = $2 FOR UPDATE OF m`,
      [organizationId, userId],
    );
    if (!member) throw new OrganizationsException('MEMBER_NOT_FOUND');

    return member;
  }

  /** Refuses when the member is an active owner and no other active owner remains. */
  private async checkNotLastOwner(
    manager: EntityManager,
    organizationId: string,
    member: MemberRow,
  ): Promise<void> {
    if (member.status !== 'active' || !member.roles.includes('owner')) return;
    const [{ others }] = await manager.query<{ others: number }[]>(
      `SELECT count(*)::int AS others ${MEMBER_FROM} AND u.is_active
        WHERE m.organization_id = $1 AND m.user_id <> $2 AND m.status = 'active'
          AND 'owner' = ANY (m.roles)`,
      [organizationId, member.user_id],
    );
    if (others === 0) throw new OrganizationsException('MEMBER_LAST_OWNER');
  }

  /**
   * Deactivating, reactivating or removing someone is acting on all their roles: the caller
   * must hold every permission the member holds. Returns the refusal rather than throwing, so
   * it can be audited outside the rolled-back transaction.
   */
  private async checkActOn(
    manager: EntityManager,
    organizationId: string,
    member: MemberRow,
    caller: Caller,
  ): Promise<string[] | null> {
    const resolved = await this.roles.resolve(manager, organizationId, member.roles);
    const missing = missingPermissions(
      await this.asOfNow(manager, organizationId, caller),
      [...resolved.permissions.values()].flat(),
    );

    return missing.length > 0 ? missing : null;
  }

  /**
   * The caller with permissions re-read under the organization lock: a caller demoted by a
   * change that committed while this one waited acts with what they hold now.
   */
  private async asOfNow(
    manager: EntityManager,
    organizationId: string,
    caller: Caller,
  ): Promise<Caller> {
    const permissions = await this.roles.currentPermissions(manager, organizationId, caller.userId);

    return { ...caller, permissions };
  }

  private denyActOn(actor: AuditContext, userId: string, missing: string[]): Promise<never> {
    return this.denials.deny(
      actor,
      new OrganizationsException(
        'MEMBER_ACTION_FORBIDDEN',
        `The member holds ${missing.join(', ')}, which you do not`,
      ),
      { type: 'member', id: userId },
      { missing_permissions: missing },
    );
  }

  private async checkTeam(
    manager: EntityManager,
    organizationId: string,
    teamId: string,
  ): Promise<void> {
    const rows = await manager.query<unknown[]>(
      'SELECT 1 FROM teams WHERE id = $1 AND organization_id = $2 AND deleted_at IS NULL',
      [teamId, organizationId],
    );
    if (rows.length === 0) throw new OrganizationsException('TEAM_NOT_FOUND');
  }

  private async read(
    manager: EntityManager,
    organizationId: string,
    userId: string,
  ): Promise<MemberDto> {
    const [row] = await manager.query<MemberRow[]>(
      `SELECT ${MEMBER_COLUMNS} ${MEMBER_FROM} WHERE m.organization_id = $1 AND m.user_id = $2`,
      [organizationId, userId],
    );
    if (!row) throw new OrganizationsException('MEMBER_NOT_FOUND');
    const teams = await this.teamsOf(manager, organizationId, [row]);

    return toMemberDto(row, teams.get(userId) ?? []);
  }

  /** The live teams of this organization each member is on, by user id. */
  private async teamsOf(
    manager: EntityManager,
    organizationId: string,
    members: MemberRow[],
  ): Promise<Map<string, MemberTeamDto[]>> {
    const byUser = new Map<string, MemberTeamDto[]>();
    if (members.length === 0) return byUser;
    const rows = await manager.query<{ user_id: string; id: string; name: string }[]>(
      `SELECT tm.user_id, t.id, t.name FROM team_members tm
         JOIN teams t ON t.id = tm.team_id AND t.organization_id = $1 AND t.deleted_at IS NULL
        WHERE tm.user_id = ANY ($2::uuid[])
        ORDER BY t.name, t.id`,
      [organizationId, members.map((member) => member.user_id)],
    );
    for (const row of rows) {
      const teams = byUser.get(row.user_id) ?? [];
      teams.push({ id: row.id, name: row.name });
      byUser.set(row.user_id, teams);
    }

    return byUser;
  }

  private recordMemberChange(
    manager: EntityManager,
    actor: AuditContext,
    action: string,
    userId: string,
    details: Record<string, unknown> = {},
  ): Promise<void> {
    return this.audit.record(manager, actor, {
      action,
      outcome: 'success',
      targetType: 'member',
      targetId: userId,
      details,
    });
  }
}

async function updateMembership(
  manager: EntityManager,
  organizationId: string,
  userId: string,
  change: { roles?: string[]; status?: MembershipStatus },
): Promise<void> {
  await manager.query(
    `UPDATE memberships SET roles = COALESCE($3::text[], roles),
            status = COALESCE($4::varchar, status), updated_at = now()
      WHERE organization_id = $1 AND user_id = $2`,
    [organizationId, userId, change.roles ?? null, change.status ?? null],
  );
}

function toMemberDto(row: MemberRow, teams: MemberTeamDto[]): MemberDto {
  return {
    user_id: row.user_id,
    email: row.email,
    first_name: row.first_name,
    last_name: row.last_name,
    roles: row.roles,
    status: row.status,
    teams,
    joined_at: new Date(row.created_at).toISOString(),
    last_login_at: row.last_used_at ? new Date(row.last_used_at).toISOString() : null,
  };
}
