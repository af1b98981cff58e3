import { DomainException } from '@app/common';

export const USER_ERRORS = {
  USER_EMAIL_TAKEN: { status: 409, title: 'An account with this email already exists' },
  USER_NOT_FOUND: { status: 404, title: 'User not found' },
} as const;

export type UserErrorCode = keyof typeof USER_ERRORS;

export class UsersException extends DomainException {
  constructor(code: UserErrorCode, detail?: string) {
    super(code, USER_ERRORS[code], detail);
  }
}
