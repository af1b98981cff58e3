import { SetMetadata } from '@nestjs/common';
import type { Permission } from '@app/organizations';

export const ACCESS_POLICY_KEY = 'accessPolicy';

/**
 * What a route requires beyond a valid access token. Every route declares one (or @Public());
 * the global guard refuses a route that declares nothing, and a test walks all routes.
 */
export type AccessPolicy =
  | { kind: 'authenticated' }
  | {
      kind: 'permission';
      permission: Permission;
      /** Other permissions that each satisfy the policy as well (any one of them is enough). */
      alternatives?: Permission[];
      platformAdminBypass: boolean;
    }
  | { kind: 'platform_admin' };

/** Any signed-in user, acting on their own account (profile, logout, own sessions). */
export const Authenticated = (): MethodDecorator & ClassDecorator =>
  SetMetadata(ACCESS_POLICY_KEY, { kind: 'authenticated' } satisfies AccessPolicy);

/**
 * A permission in the organization of the access token. With `platformAdminBypass`, a
 * platform administrator passes too (for reading or managing any organization); with
 * `alternatives`, holding any one of them instead is enough.
 */
export const RequirePermission = (
  permission: Permission,
  options: { platformAdminBypass?: boolean; alternatives?: Permission[] } = {},
): MethodDecorator & ClassDecorator =>
  SetMetadata(ACCESS_POLICY_KEY, {
    kind: 'permission',
    permission,
    alternatives: options.alternatives ?? [],
    platformAdminBypass: options.platformAdminBypass ?? false,
  } satisfies AccessPolicy);

/** Platform administrators only (creating, listing and deleting organizations). */
export const PlatformAdmin = (): MethodDecorator & ClassDecorator =>
  SetMetadata(ACCESS_POLICY_KEY, { kind: 'platform_admin' } satisfies AccessPolicy);
