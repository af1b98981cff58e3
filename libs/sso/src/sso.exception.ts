import { DomainException } from '@app/common';

export const SSO_ERRORS = {
  SSO_CONNECTION_NOT_FOUND: { status: 404, title: 'SSO connection not found' },
  SSO_CONNECTION_DISABLED: { status: 404, title: 'SSO connection not found or disabled' },
  SSO_CONNECTION_INVALID: { status: 400, title: 'The SSO connection settings are invalid' },
  SSO_INVALID_CERTIFICATE: { status: 400, title: 'A certificate or key could not be used' },
  SSO_CERTIFICATE_EXPIRED: { status: 400, title: 'A certificate has expired' },
  SSO_INVALID_METADATA: { status: 400, title: 'The identity provider metadata is invalid' },
  SSO_DOMAIN_TAKEN: {
    status: 409,
    title: 'Another SSO connection has already proven this email domain',
  },
  SSO_UNKNOWN_ROLE: { status: 400, title: 'The default role does not exist in the organization' },
  SSO_RETURN_URL_NOT_ALLOWED: {
    status: 400,
    title: "The return URL is not in the organization's allowed list",
  },
  SSO_LOGIN_FAILED: { status: 401, title: 'Single sign-on failed' },
  SSO_LOGIN_REFUSED: { status: 403, title: 'Single sign-on is not allowed for this account' },
  SSO_DNS_UNAVAILABLE: { status: 502, title: 'DNS could not be asked for the verification record' },
  SSO_PROVIDER_UNAVAILABLE: { status: 502, title: 'The identity provider could not be reached' },
  SSO_INVALID_CODE: { status: 400, title: 'The SSO code is invalid, expired or already used' },
} as const;

export type SsoErrorCode = keyof typeof SSO_ERRORS;

export class SsoException extends DomainException {
  constructor(code: SsoErrorCode, detail?: string) {
    super(code, SSO_ERRORS[code], detail);
  }
}
