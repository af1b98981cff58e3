import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Request } from 'express';
import type { Principal } from '@app/common';
import type { MfaChallenge } from './mfa-challenges';

/** Whom an MFA enrolment route acts for: a signed-in user, or one holding an enrol token. */
export interface MfaSubject {
  userId: string;
  organizationId: string;
  /** True when the caller holds only the restricted enrolment token, no session. */
  enrollmentOnly: boolean;
}

export type MfaRequest = Request & { mfaEnrollment?: MfaChallenge };

export const ACCEPTS_MFA_ENROLLMENT_TOKEN = 'acceptsMfaEnrollmentToken';

/**
 * Lets the restricted token of an `mfa_enrollment_required` login reach this route (as well as
 * an access token). Only the enrolment routes carry it; everywhere else that token is a 401.
 */
export const AcceptsMfaEnrollmentToken = (): MethodDecorator =>
  SetMetadata(ACCEPTS_MFA_ENROLLMENT_TOKEN, true);

export const CurrentMfaSubject = createParamDecorator(
  (_data: unknown, context: ExecutionContext): MfaSubject => {
    const request = context.switchToHttp().getRequest<MfaRequest>();
    if (request.mfaEnrollment) {
      return {
        userId: request.mfaEnrollment.userId,
        organizationId: request.mfaEnrollment.organizationId,
        enrollmentOnly: true,
      };
    }
    const principal = request.user as Principal;

    return {
      userId: principal.userId,
      organizationId: principal.organizationId,
      enrollmentOnly: false,
    };
  },
);
