import { DomainException, FieldError } from '@app/common';

export const ORGANIZATION_ERRORS = {
  ORGANIZATION_NOT_FOUND: { status: 404, title: 'Organization not found' },
  ORGANIZATION_SLUG_TAKEN: { status: 409, title: 'An organization with this slug already exists' },
  ORGANIZATION_PLAN_CHANGE_FORBIDDEN: {
    status: 403,
    title: 'Only a platform administrator can change the plan or quotas',
  },
  ORGANIZATION_SECURITY_CHANGE_FORBIDDEN: {
    status: 403,
    title: 'Changing registration or sign-in requirements needs organizations:manage_security',
  },
  ORGANIZATION_FULL: { status: 409, title: 'The organization has reached its user limit' },
  ORGANIZATION_IS_CURRENT: {
    status: 409,
    title: 'You are signed in to this organization: switch to another one before deleting it',
  },
  ORGANIZATION_SSO_LOCKOUT: {
    status: 409,
    title: 'Requiring SSO now would lock you out of the organization',
  },
  MEMBER_NOT_FOUND: { status: 404, title: 'Member not found' },
  MEMBER_LAST_OWNER: {
    status: 409,
    title: 'The last active owner cannot be removed, deactivated or demoted',
  },
  MEMBER_ROLE_REQUIRED: { status: 409, title: 'A member must keep at least one role' },
  MEMBER_ACTION_FORBIDDEN: {
    status: 403,
    title: 'You cannot act on a member who holds permissions you do not hold',
  },
  TEAM_NOT_FOUND: { status: 404, title: 'Team not found' },
  ROLE_NOT_FOUND: { status: 404, title: 'Role not found' },
  ROLE_UNKNOWN: { status: 400, title: 'Unknown role' },
  ROLE_KEY_TAKEN: { status: 409, title: 'A role with this key already exists' },
  ROLE_UNKNOWN_PERMISSIONS: { status: 400, title: 'Unknown permissions' },
  ROLE_GRANT_FORBIDDEN: {
    status: 403,
    title: 'You cannot grant, remove or define a role with permissions you do not hold',
  },
} as const;

export type OrganizationErrorCode = keyof typeof ORGANIZATION_ERRORS;

export class OrganizationsException extends DomainException {
  constructor(code: OrganizationErrorCode, detail?: string, errors?: FieldError[]) {
    super(code, ORGANIZATION_ERRORS[code], detail, errors);
  }
}
