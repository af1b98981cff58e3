/**
 * The permission catalogue: every `resource:action` a role can grant. Each protected route
 * declares the one it needs; custom roles are built from these strings only.
 */
export const PERMISSIONS = {
  'organizations:read': 'Read the organization',
  'organizations:update': 'Update the organization profile (not plan or quotas)',
  'organizations:manage_security': 'Change registration policy and MFA/SSO requirements',
  'members:read': 'List and read members',
  'members:update': 'Change members roles',
  'members:deactivate': 'Deactivate and reactivate members',
  'members:remove': 'Remove members from the organization',
  'members:unlock': 'Lift the login lockout of members',
  'invitations:read': 'List invitations',
  'invitations:create': 'Invite people',
  'invitations:revoke': 'Revoke invitations',
  'teams:read': 'List and read teams and their members',
  'teams:create': 'Create teams',
  'teams:update': 'Update teams',
  'teams:delete': 'Delete teams',
  'teams:manage_members': 'Add, change and remove team members',
  'roles:read': 'List roles and the permission catalogue',
  'roles:create': 'Create custom roles',
  'roles:update': 'Update custom roles',
  'roles:delete': 'Delete custom roles',
  'roles:assign': 'Assign and unassign roles to members',
  'sso:read': 'List and read SSO connections',
  'sso:manage': 'Create, update, enable, disable and delete SSO connections',
  'audit:read': 'Query audit events',
  'audit:export': 'Export audit events',
  'audit:verify': 'Verify the audit hash chain',
} as const;

export type Permission = keyof typeof PERMISSIONS;

export const ALL_PERMISSIONS = Object.keys(PERMISSIONS) as Permission[];

export function isPermission(value: string): value is Permission {
  return Object.hasOwn(PERMISSIONS, value);
}

export const BUILT_IN_ROLE_KEYS = ['owner', 'admin', 'member', 'viewer'] as const;
export type BuiltInRoleKey = (typeof BUILT_IN_ROLE_KEYS)[number];

const READ_ONLY: Permission[] = ['organizations:read', 'members:read', 'teams:read', 'roles:read'];

/** Fixed permission sets of the built-in roles. Only owners hold every permission. */
export const BUILT_IN_ROLES: Record<BuiltInRoleKey, { name: string; permissions: Permission[] }> = {
  owner: { name: 'Owner', permissions: ALL_PERMISSIONS },
  admin: {
    name: 'Admin',
    permissions: ALL_PERMISSIONS.filter((p) => p !== 'organizations:manage_security'),
  },
  member: { name: 'Member', permissions: [...READ_ONLY, 'teams:create', 'invitations:read'] },
  viewer: { name: 'Viewer', permissions: ['organizations:read', 'members:read', 'teams:read'] },
};

export function isBuiltInRole(key: string): key is BuiltInRoleKey {
  return (BUILT_IN_ROLE_KEYS as readonly string[]).includes(key);
}
