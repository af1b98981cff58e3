import { DomainException } from '@app/common';

export const TEAM_ERRORS = {
  TEAM_NOT_FOUND: { status: 404, title: 'Team not found' },
  TEAM_SLUG_TAKEN: { status: 409, title: 'Another team of the organization has this slug' },
  TEAM_LIMIT_REACHED: { status: 409, title: 'The organization has reached its team limit' },
  TEAM_USER_NOT_FOUND: {
    status: 404,
    title: 'No active member of the organization has this id',
  },
  TEAM_MEMBER_NOT_FOUND: { status: 404, title: 'The user is not on this team' },
  TEAM_MEMBER_EXISTS: { status: 409, title: 'The user is already on this team' },
} as const;

export type TeamErrorCode = keyof typeof TEAM_ERRORS;

export class TeamsException extends DomainException {
  constructor(code: TeamErrorCode, detail?: string) {
    super(code, TEAM_ERRORS[code], detail);
  }
}
