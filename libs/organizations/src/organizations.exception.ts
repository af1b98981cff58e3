import { DomainException } from '@app/common';

export const ORGANIZATION_ERRORS = {
  ORGANIZATION_NOT_FOUND: { status: 404, title: 'Organization not found' },
} as const;

export type OrganizationErrorCode = keyof typeof ORGANIZATION_ERRORS;

export class OrganizationsException extends DomainException {
  constructor(code: OrganizationErrorCode, detail?: string) {
    super(code, ORGANIZATION_ERRORS[code], detail);
  }
}
