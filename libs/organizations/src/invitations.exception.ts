import { DomainException } from '@app/common';

export const INVITATION_ERRORS = {
  INVITATION_NOT_FOUND: { status: 404, title: 'Invitation not found' },
  INVITATION_ALREADY_ACCEPTED: { status: 409, title: 'The invitation was already accepted' },
  INVITATION_REVOKED: { status: 410, title: 'The invitation was revoked' },
  INVITATION_EXPIRED: { status: 410, title: 'The invitation has expired' },
  INVITATION_EMAIL_MISMATCH: {
    status: 403,
    title: 'The invitation was sent to another email address',
  },
  INVITATION_ORGANIZATION_MISMATCH: {
    status: 400,
    title: 'The invitation is for another organization',
  },
  INVITATION_ALREADY_MEMBER: {
    status: 409,
    title: 'This email already belongs to an active member of the organization',
  },
  INVITATION_ROLE_UNKNOWN: { status: 400, title: 'A role of the invitation does not exist' },
  INVITATION_ROLE_NOT_ALLOWED: {
    status: 403,
    title: 'You cannot grant a role with permissions you do not hold',
  },
  INVITATION_TEAM_NOT_FOUND: { status: 404, title: 'A team of the invitation was not found' },
  INVITATION_ORGANIZATION_FULL: {
    status: 409,
    title: 'The organization has reached its user limit',
  },
} as const;

export type InvitationErrorCode = keyof typeof INVITATION_ERRORS;

export class InvitationsException extends DomainException {
  constructor(code: InvitationErrorCode, detail?: string) {
    super(code, INVITATION_ERRORS[code], detail);
  }
}
