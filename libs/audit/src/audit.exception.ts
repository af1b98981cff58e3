import { DomainException } from '@app/common';

export const AUDIT_ERRORS = {
  AUDIT_INVALID_CURSOR: {
    status: 400,
    title: 'The cursor is not one this API issued; start again without it',
  },
  AUDIT_INVALID_TIME_RANGE: { status: 400, title: '`from` must be earlier than `to`' },
} as const;

export type AuditErrorCode = keyof typeof AUDIT_ERRORS;

export class AuditException extends DomainException {
  constructor(code: AuditErrorCode, detail?: string) {
    super(code, AUDIT_ERRORS[code], detail);
  }
}
