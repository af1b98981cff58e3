import { Membership, Organization } from '@app/organizations';

/** The roles an organization's `require_mfa` applies to (the guide: MFA for admin users). */
export const MFA_REQUIRED_ROLES = ['owner', 'admin'];

/**
 * True when the organization requires MFA of this membership's roles and the user has none:
 * such a user gets no session there until they enrol.
 */
export function mfaEnrollmentRequired(
  organization: Pick<Organization, 'requireMfa'> | null,
  membership: Pick<Membership, 'roles'>,
  mfaEnabled: boolean,
): boolean {
  if (mfaEnabled || !organization?.requireMfa) return false;

  return membership.roles.some((role) => MFA_REQUIRED_ROLES.includes(role));
}
