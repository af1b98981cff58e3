/** How one error code is answered over HTTP. */
export interface ErrorDefinition {
  status: number;
  title: string;
}

export interface FieldError {
  field: string;
  message: string;
}

/**
 * Base of every feature's exception. A feature declares its codes with their HTTP status and
 * title once; the global filter turns any DomainException into the one problem body.
 */
export class DomainException extends Error {
  readonly status: number;
  readonly title: string;

  constructor(
    readonly code: string,
    definition: ErrorDefinition,
    readonly detail?: string,
    readonly errors?: FieldError[],
  ) {
    super(detail ?? definition.title);
    this.name = new.target.name;
    this.status = definition.status;
    this.title = definition.title;
  }
}

/** Errors of the platform itself rather than of one feature. */
export const COMMON_ERRORS = {
  VALIDATION_FAILED: { status: 400, title: 'Request validation failed' },
  MALFORMED_JSON: { status: 400, title: 'Malformed JSON body' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Request body too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  UNAUTHORIZED: { status: 401, title: 'Authentication required' },
  FORBIDDEN: { status: 403, title: 'Forbidden' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  SERVICE_OVERLOADED: { status: 503, title: 'Service overloaded, retry shortly' },
  DATABASE_UNAVAILABLE: { status: 503, title: 'Database unavailable' },
  STORE_UNAVAILABLE: { status: 503, title: 'Token store unavailable' },
  INTERNAL_ERROR: { status: 500, title: 'Internal server error' },
} satisfies Record<string, ErrorDefinition>;

export type CommonErrorCode = keyof typeof COMMON_ERRORS;

export class CommonException extends DomainException {
  constructor(code: CommonErrorCode, detail?: string, errors?: FieldError[]) {
    super(code, COMMON_ERRORS[code], detail, errors);
  }
}
