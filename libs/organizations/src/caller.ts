import type { Permission } from './permissions';

/** Who is asking, as the administration services need it: identity, token scope, rights. */
export interface Caller {
  userId: string;
  /** The organization of the caller's access token. */
  organizationId: string;
  /** Resolved fresh for this request; empty when the caller passed as platform admin only. */
  permissions: ReadonlySet<Permission>;
  /** Null when not resolved for this request (see CurrentCaller). */
  isPlatformAdmin: boolean | null;
}

/** The permissions in `required` that the caller does not hold. */
export function missingPermissions(caller: Caller, required: Iterable<string>): string[] {
  return [...new Set(required)].filter(
    (permission) => !caller.permissions.has(permission as Permission),
  );
}
