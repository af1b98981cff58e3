import { DomainException } from '@app/common';

export const MFA_ERRORS = {
  /** At login (`auth/mfa/verify`): the second factor failed, as a wrong password does (401). */
  MFA_INVALID_CODE: { status: 401, title: 'The code is not valid' },
  /**
   * Signed in (confirming enrolment, turning MFA off, new recovery codes): the caller's token
   * is good and only the code is wrong, so 403, like a wrong current password; a 401 would
   * tell clients to sign the user out.
   */
  MFA_CODE_REJECTED: { status: 403, title: 'The code is not valid' },
  MFA_INVALID_CHALLENGE: {
    status: 401,
    title: 'The MFA token is invalid, expired or used up; sign in again',
  },
  MFA_TOO_MANY_ATTEMPTS: {
    status: 429,
    title: 'Too many wrong codes; wait before trying again',
  },
  MFA_ALREADY_ENABLED: { status: 409, title: 'MFA is already enabled for this account' },
  MFA_NOT_ENABLED: { status: 409, title: 'MFA is not enabled for this account' },
  MFA_ENROLLMENT_NOT_STARTED: {
    status: 409,
    title: 'No enrolment is pending, or it expired; start again',
  },
  MFA_ENROLLMENT_REQUIRED: {
    status: 403,
    title: 'This organization requires MFA for your role; enrol first',
  },
} as const;

export type MfaErrorCode = keyof typeof MFA_ERRORS;

export class MfaException extends DomainException {
  constructor(code: MfaErrorCode, detail?: string) {
    super(code, MFA_ERRORS[code], detail);
  }
}
