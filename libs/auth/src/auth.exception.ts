import { DomainException, ErrorDefinition } from '@app/common';

export const AUTH_ERRORS = {
  AUTH_INVALID_CREDENTIALS: { status: 401, title: 'Invalid email or password' },
  AUTH_TOKEN_MISSING: {
    status: 401,
    title: 'A bearer access token is required',
    detail: 'Send an access token from auth/login as "Authorization: Bearer <token>"',
  },
  AUTH_INVALID_TOKEN: {
    status: 401,
    title: 'Invalid or expired access token',
    detail:
      'The access token is malformed, expired or not signed by this service; sign in or refresh',
  },
  AUTH_TOKEN_REVOKED: {
    status: 401,
    title: 'Access token has been revoked',
    detail: 'This access token was revoked by a logout or an ended session; sign in again',
  },
  AUTH_INVALID_REFRESH_TOKEN: {
    status: 401,
    title: 'Invalid or expired refresh token',
    detail: 'The refresh token is unknown, expired or belongs to an ended session; sign in again',
  },
  AUTH_REFRESH_TOKEN_REUSED: {
    status: 401,
    title: 'Refresh token was already used; the session has been revoked',
  },
  AUTH_ORGANIZATION_ACCESS_DENIED: {
    status: 403,
    title: 'No active membership in this organization',
  },
  AUTH_REGISTRATION_CLOSED: {
    status: 403,
    title: 'This organization does not accept self-registration',
  },
  AUTH_EMAIL_DOMAIN_NOT_ALLOWED: {
    status: 403,
    title: "The email's domain is not allowed by this organization",
  },
  AUTH_SESSION_NOT_FOUND: { status: 404, title: 'No such live session of yours' },
  AUTH_NO_PUBLIC_KEYS: {
    status: 404,
    title: 'This service signs with a shared secret and publishes no public keys',
  },
  AUTH_SSO_REQUIRED: {
    status: 403,
    title: 'This organization requires single sign-on for your email domain',
  },
  AUTH_ORGANIZATION_FULL: { status: 409, title: 'The organization has reached its user limit' },
  AUTH_PERMISSION_DENIED: { status: 403, title: 'You do not have permission for this action' },
  AUTH_EMAIL_NOT_VERIFIED: {
    status: 403,
    title: 'Confirm your email address before signing in',
  },
  AUTH_INVALID_CURRENT_PASSWORD: { status: 403, title: 'The current password is not correct' },
  AUTH_INVALID_RESET_TOKEN: { status: 400, title: 'Invalid password reset token' },
  AUTH_RESET_TOKEN_EXPIRED: { status: 410, title: 'The password reset link has expired' },
  AUTH_RESET_TOKEN_USED: { status: 410, title: 'The password reset link was already used' },
  AUTH_INVALID_VERIFICATION_TOKEN: { status: 400, title: 'Invalid email verification token' },
  AUTH_VERIFICATION_TOKEN_EXPIRED: {
    status: 410,
    title: 'The email verification link has expired',
  },
  AUTH_VERIFICATION_TOKEN_USED: {
    status: 410,
    title: 'The email verification link was already used',
  },
  AUTH_ACCESS_REVOKED: {
    status: 401,
    title: 'Your access to this organization has ended; sign in again',
  },
  AUTH_MAIL_UNAVAILABLE: {
    status: 503,
    title: 'This service has no mail server configured, so it cannot send links by email',
  },
} as const satisfies Record<string, ErrorDefinition>;

export type AuthErrorCode = keyof typeof AUTH_ERRORS;

/**
 * RFC 6750 section 3's challenges of the refusals about the bearer token: none was sent, or
 * the one sent is not (or no longer) good. Refusals of credentials in a body (a password, a
 * refresh token) are not answers to a bearer token and carry none.
 */
const BEARER_CHALLENGES: Partial<Record<AuthErrorCode, string>> = {
  AUTH_TOKEN_MISSING: 'Bearer',
  AUTH_INVALID_TOKEN: 'Bearer error="invalid_token"',
  AUTH_TOKEN_REVOKED: 'Bearer error="invalid_token"',
  AUTH_ACCESS_REVOKED: 'Bearer error="invalid_token"',
};

export class AuthException extends DomainException {
  constructor(code: AuthErrorCode, detail?: string) {
    super(code, AUTH_ERRORS[code], detail);
    this.challenge = BEARER_CHALLENGES[code];
  }
}
