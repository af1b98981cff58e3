import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { BUILT_IN_ROLES, Permission, isBuiltInRole, isPermission } from './permissions';

/** What a user may do in one organization, resolved fresh for each request. */
export interface Access {
  userId: string;
  organizationId: string;
  roles: string[];
  permissions: ReadonlySet<Permission>;
  isPlatformAdmin: boolean;
}

interface AccessRow {
  roles: string[];
  is_platform_admin: boolean;
  custom_permissions: string[];
}

/**
 * Resolves roles and permissions from the database on every call, in one query, so a role
 * change or removal applies to the member's very next request on every instance.
 */
@Injectable()
export class AccessService {
  constructor(private readonly dataSource: DataSource) {}

  /** Null when the user has no active membership in a live organization. */
  async resolve(userId: string, organizationId: string): Promise<Access | null> {
    const rows = await this.dataSource.query<AccessRow[]>(
      `SELECT m.roles, u.is_platform_admin,
              COALESCE((SELECT array_agg(DISTINCT p) FROM roles r, unnest(r.permissions) p
                         WHERE r.organization_id = m.organization_id AND r.key = ANY (m.roles)),
                       '{}') AS custom_permissions
         FROM memberships m
         JOIN users u ON u.id = m.user_id AND u.deleted_at IS NULL AND u.is_active
         JOIN organizations o ON o.id = m.organization_id AND o.deleted_at IS NULL
        WHERE m.user_id = $1 AND m.organization_id = $2 AND m.status = 'active'`,
      [userId, organizationId],
    );
    const row = rows[0];
    if (!row) return null;

    return {
      userId,
      organizationId,
      roles: row.roles,
      permissions: permissionsOf(row.roles, row.custom_permissions),
      isPlatformAdmin: row.is_platform_admin,
    };
  }

  async isPlatformAdmin(userId: string): Promise<boolean> {
    const rows = await this.dataSource.query<{ is_platform_admin: boolean }[]>(
      'SELECT is_platform_admin FROM users WHERE id = $1 AND deleted_at IS NULL AND is_active',
      [userId],
    );

    return rows[0]?.is_platform_admin ?? false;
  }
}

/** The union of the built-in roles' fixed sets and the custom roles' stored permissions. */
export function permissionsOf(roles: string[], customPermissions: string[]): Set<Permission> {
  const permissions = new Set<Permission>();
  for (const role of roles) {
    if (isBuiltInRole(role)) BUILT_IN_ROLES[role].permissions.forEach((p) => permissions.add(p));
  }
  for (const permission of customPermissions) {
    if (isPermission(permission)) permissions.add(permission);
  }

  return permissions;
}
