import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager, QueryFailedError } from 'typeorm';
import { AuditContext, AuditService } from '@app/audit';
import { PaginationQueryDto, Page, toPage } from '@app/common';
import { ReadReplica } from '@app/database';
import { Caller, missingPermissions } from './caller';
import { DenialRecorder } from './denial-recorder.service';
import {
  CreateRoleDto,
  PermissionDto,
  PermissionListDto,
  RoleDto,
  UpdateRoleDto,
} from './dto/role.dto';
import { OrganizationsException } from './organizations.exception';
import {
  BUILT_IN_ROLES,
  BUILT_IN_ROLE_KEYS,
  PERMISSIONS,
  Permission,
  isBuiltInRole,
  isPermission,
} from './permissions';
import { Role } from './role.entity';
import { isUniqueViolation, modifyReturning } from './sql';

/** What a set of role keys grants in one organization, and which keys do not exist there. */
export interface ResolvedRoles {
  permissions: Map<string, readonly Permission[]>;
  unknown: string[];
}

/**
 * The permission catalogue, the built-in roles and the organization's custom roles. Nobody
 * defines, widens, narrows or deletes a role granting a permission they do not hold.
 */
@Injectable()
export class RolesService {
  private readonly logger = new Logger(RolesService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly denials: DenialRecorder,
    private readonly replica: ReadReplica,
  ) {}

  listPermissions(): PermissionListDto {
    return {
      data: Object.entries(PERMISSIONS).map(([key, description]): PermissionDto => ({
        key,
        description,
      })),
    };
  }

  /**
   * Built-in roles first, in their fixed order, then the custom roles by key; read on a
   * replica when there is one. Permission checks resolve roles on the primary, never here.
   */
  list(organizationId: string, query: PaginationQueryDto): Promise<Page<RoleDto>> {
    return this.replica.read((manager) => this.listOn(manager, organizationId, query));
  }

  private async listOn(
    manager: EntityManager,
    organizationId: string,
    query: PaginationQueryDto,
  ): Promise<Page<RoleDto>> {
    const builtIn = BUILT_IN_ROLE_KEYS.map(builtInRoleDto);
    const repository = manager.getRepository(Role);
    const total = builtIn.length + (await repository.countBy({ organizationId }));
    const customOffset = Math.max(0, query.offset - builtIn.length);
    const firstPart = builtIn.slice(query.offset, query.offset + query.limit);
    const customLimit = query.limit - firstPart.length;
    const custom =
      customLimit > 0
        ? await repository.find({
            where: { organizationId },
            order: { key: 'ASC' },
            skip: customOffset,
            take: customLimit,
          })
        : [];

    return toPage([...firstPart, ...custom.map(toRoleDto)], total, query);
  }

  /** A built-in role by its key, or one of the organization's custom roles by its id. */
  async get(organizationId: string, id: string): Promise<RoleDto> {
    if (isBuiltInRole(id)) return builtInRoleDto(id);

    const role = await this.dataSource.getRepository(Role).findOneBy({ id, organizationId });
    if (!role) throw new OrganizationsException('ROLE_NOT_FOUND');

    return toRoleDto(role);
  }

  async create(
    organizationId: string,
    input: CreateRoleDto,
    caller: Caller,
    actor: AuditContext,
  ): Promise<RoleDto> {
    if (isBuiltInRole(input.key)) {
      throw new OrganizationsException('ROLE_KEY_TAKEN', `${input.key} is a built-in role`);
    }
    const permissions = checkCatalogue(input.permissions);
    await this.checkGrantable(caller, actor, permissions, { type: 'role', id: input.key });

    const role = await this.dataSource.transaction(async (manager) => {
      const repository = manager.getRepository(Role);
      if (await repository.existsBy({ organizationId, key: input.key })) {
        throw new OrganizationsException('ROLE_KEY_TAKEN');
      }
      const created = await saveRole(
        manager,
        repository.create({
          organizationId,
          key: input.key,
          name: input.name,
          description: input.description ?? null,
          permissions,
        }),
      );
      await this.audit.record(manager, actor, {
        action: 'role.created',
        outcome: 'success',
        targetType: 'role',
        targetId: created.id,
        details: { key: created.key, permissions },
      });

      return created;
    });
    this.logger.log({ event: 'role_created', organization_id: organizationId, role_id: role.id });

    return toRoleDto(role);
  }

  /**
   * Changes a custom role under a lock on its row, so two concurrent edits apply one after
   * the other and each is checked against what the other left.
   */
  async update(
    organizationId: string,
    id: string,
    input: UpdateRoleDto,
    caller: Caller,
    actor: AuditContext,
  ): Promise<RoleDto> {
    const requested = input.permissions ? checkCatalogue(input.permissions) : undefined;

    const outcome = await this.dataSource.transaction(async (manager) => {
      const role = await lockRole(manager, organizationId, id);
      if (!role) throw new OrganizationsException('ROLE_NOT_FOUND');
      // Editing a role changes what its holders may do: both what it granted and what it
      // will grant must be within the caller's own permissions.
      const current = await this.currentPermissions(manager, organizationId, caller.userId);
      const missing = missingPermissions({ ...caller, permissions: current }, [
        ...role.permissions,
        ...(requested ?? []),
      ]);
      if (missing.length > 0) return { missing };

      const changed: string[] = [];
      if (input.name !== undefined && input.name !== role.name) changed.push('name');
      if (input.description !== undefined && input.description !== role.description) {
        changed.push('description');
      }
      const added = requested?.filter((p) => !role.permissions.includes(p)) ?? [];
      const removed = requested
        ? role.permissions.filter((p) => !(requested as string[]).includes(p))
        : [];
      if (added.length > 0 || removed.length > 0) changed.push('permissions');
      if (changed.length === 0) return { role };

      role.name = input.name ?? role.name;
      if (input.description !== undefined) role.description = input.description;
      role.permissions = requested ?? role.permissions;
      const saved = await manager.getRepository(Role).save(role);
      await this.audit.record(manager, actor, {
        action: 'role.updated',
        outcome: 'success',
        targetType: 'role',
        targetId: role.id,
        details: {
          key: role.key,
          changed_fields: changed,
          added_permissions: added,
          removed_permissions: removed,
        },
      });

      return { role: saved };
    });

    if (outcome.missing) {
      return this.denyGrant(actor, outcome.missing, { type: 'role', id });
    }

    return toRoleDto(outcome.role);
  }

  /** Deletes a custom role and, in the same transaction, takes its key from every member. */
  async remove(
    organizationId: string,
    id: string,
    caller: Caller,
    actor: AuditContext,
  ): Promise<void> {
    const outcome = await this.dataSource.transaction(async (manager) => {
      const role = await lockRole(manager, organizationId, id);
      if (!role) throw new OrganizationsException('ROLE_NOT_FOUND');
      const current = await this.currentPermissions(manager, organizationId, caller.userId);
      const missing = missingPermissions({ ...caller, permissions: current }, role.permissions);
      if (missing.length > 0) return { missing };

      const affected = await modifyReturning<{ user_id: string }>(
        manager,
        `UPDATE memberships SET roles = array_remove(roles, $2::text), updated_at = now()
          WHERE organization_id = $1 AND $2::text = ANY (roles) RETURNING user_id`,
        [organizationId, role.key],
      );
      await manager.getRepository(Role).delete({ id: role.id });
      await this.audit.record(manager, actor, {
        action: 'role.deleted',
        outcome: 'success',
        targetType: 'role',
        targetId: role.id,
        details: { key: role.key, members_affected: affected.length },
      });

      return { key: role.key };
    });

    if (outcome.missing) {
      return this.denyGrant(actor, outcome.missing, { type: 'role', id });
    }
    this.logger.log({ event: 'role_deleted', organization_id: organizationId, role_id: id });
  }

  /** The permissions of each key (built-in or custom in this organization) and the unknown. */
  async resolve(
    manager: EntityManager,
    organizationId: string,
    keys: string[],
  ): Promise<ResolvedRoles> {
    const permissions = new Map<string, readonly Permission[]>();
    const customKeys: string[] = [];
    for (const key of new Set(keys)) {
      if (isBuiltInRole(key)) permissions.set(key, BUILT_IN_ROLES[key].permissions);
      else customKeys.push(key);
    }
    if (customKeys.length > 0) {
      const roles = await manager
        .getRepository(Role)
        .createQueryBuilder('role')
        .where('role.organizationId = :organizationId', { organizationId })
        .andWhere('role.key IN (:...customKeys)', { customKeys })
        .getMany();
      for (const role of roles) permissions.set(role.key, role.permissions.filter(isPermission));
    }

    return { permissions, unknown: [...new Set(keys)].filter((key) => !permissions.has(key)) };
  }

  /**
   * The user's permissions in the organization as of now, read inside the caller's
   * transaction (after its locks), so a change checks rights that cannot have moved since.
   */
  async currentPermissions(
    manager: EntityManager,
    organizationId: string,
    userId: string,
  ): Promise<Set<Permission>> {
    const [row] = await manager.query<{ roles: string[] }[]>(
      `SELECT m.roles FROM memberships m
         JOIN users u ON u.id = m.user_id AND u.deleted_at IS NULL AND u.is_active
        WHERE m.organization_id = $1 AND m.user_id = $2 AND m.status = 'active'`,
      [organizationId, userId],
    );
    if (!row) return new Set();
    const resolved = await this.resolve(manager, organizationId, row.roles);

    return new Set([...resolved.permissions.values()].flat());
  }

  /** Refuses (403, audited) when the caller lacks any of the permissions. */
  async checkGrantable(
    caller: Caller,
    actor: AuditContext,
    permissions: Iterable<string>,
    target: { type: string; id: string },
  ): Promise<void> {
    const missing = missingPermissions(caller, permissions);
    if (missing.length > 0) await this.denyGrant(actor, missing, target);
  }

  private denyGrant(
    actor: AuditContext,
    missing: string[],
    target: { type: string; id: string },
  ): Promise<never> {
    return this.denials.deny(
      actor,
      new OrganizationsException('ROLE_GRANT_FORBIDDEN', `You do not hold ${missing.join(', ')}`),
      target,
      { missing_permissions: missing },
    );
  }
}

const BUILT_IN_DESCRIPTIONS: Record<(typeof BUILT_IN_ROLE_KEYS)[number], string> = {
  owner: 'Every permission, including registration and sign-in security settings',
  admin: 'Every permission except registration and sign-in security settings',
  member: 'Reads the organization, members, teams and roles; creates teams; sees invitations',
  viewer: 'Reads the organization, members and teams',
};

/** Keeps catalogue strings, de-duplicated in catalogue order; anything else is a 400. */
function checkCatalogue(requested: string[]): Permission[] {
  const unknown = requested.filter((permission) => !isPermission(permission));
  if (unknown.length > 0) {
    throw new OrganizationsException(
      'ROLE_UNKNOWN_PERMISSIONS',
      `Not in the permission catalogue: ${unknown.join(', ')}`,
      unknown.map((permission) => ({
        field: 'permissions',
        message: `${permission} is not a known permission`,
      })),
    );
  }

  return (Object.keys(PERMISSIONS) as Permission[]).filter((p) => requested.includes(p));
}

async function lockRole(
  manager: EntityManager,
  organizationId: string,
  id: string,
): Promise<Role | null> {
  return manager
    .getRepository(Role)
    .createQueryBuilder('role')
    .where('role.id = :id AND role.organizationId = :organizationId', { id, organizationId })
    .setLock('pessimistic_write')
    .getOne();
}

async function saveRole(manager: EntityManager, role: Role): Promise<Role> {
  try {
    return await manager.getRepository(Role).save(role);
  } catch (error) {
    if (error instanceof QueryFailedError && isUniqueViolation(error)) {
      throw new OrganizationsException('ROLE_KEY_TAKEN');
    }
    throw error;
  }
}

function builtInRoleDto(key: (typeof BUILT_IN_ROLE_KEYS)[number]): RoleDto {
  return {
    id: null,
    key,
    name: BUILT_IN_ROLES[key].name,
    description: BUILT_IN_DESCRIPTIONS[key],
    permissions: [...BUILT_IN_ROLES[key].permissions],
    built_in: true,
    created_at: null,
    updated_at: null,
  };
}

function toRoleDto(role: Role): RoleDto {
  return {
    id: role.id,
    key: role.key,
    name: role.name,
    description: role.description,
    permissions: role.permissions,
    built_in: false,
    created_at: role.createdAt.toISOString(),
    updated_at: role.updatedAt.toISOString(),
  };
}
