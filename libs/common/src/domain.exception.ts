import type { RateLimitState } from './rate-limit/rate-limiter';

/** How one error code is answered over HTTP. */
export interface ErrorDefinition {
  status: number;
  title: string;
  /**
   * What the problem body's `detail` says when the throw site gives none. Without it the
   * title is repeated: RFC 9457 `detail` is always present in this API's problem bodies.
   */
  detail?: string;
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
  readonly detail: string;

  constructor(
    readonly code: string,
    definition: ErrorDefinition,
    detail?: string,
    readonly errors?: FieldError[],
  ) {
    super(detail ?? definition.title);
    this.name = new.target.name;
    this.status = definition.status;
    this.title = definition.title;
    this.detail = detail ?? definition.detail ?? definition.title;
  }

  /**
   * On a 429, the limit that refused the request: the filter answers its `RateLimit-*`
   * headers and `Retry-After`, replacing those the per-IP guard set for the route.
   */
  rateLimit?: RateLimitState;

  /**
   * On a 401 about the request's credentials, the challenge the filter answers in
   * `WWW-Authenticate` (RFC 9110 section 11.6.1): how to authenticate, and what was wrong.
   */
  challenge?: string;
}

/** Errors of the platform itself rather than of one feature. */
export const COMMON_ERRORS = {
  VALIDATION_FAILED: {
    status: 400,
    title: 'Request validation failed',
    detail: 'The request does not have the form this endpoint expects',
  },
  MALFORMED_JSON: {
    status: 400,
    title: 'Malformed JSON body',
    detail: 'The request body is not valid JSON; send one JSON object encoded as UTF-8',
  },
  MALFORMED_REQUEST: {
    status: 400,
    title: 'Malformed HTTP request',
    detail: 'The request is not valid HTTP/1.1, so the server could not read it',
  },
  REQUEST_TIMEOUT: {
    status: 408,
    title: 'Request timeout',
    detail: 'The request did not arrive in full in time',
  },
  PAYLOAD_TOO_LARGE: {
    status: 413,
    title: 'Request body too large',
    detail: 'The request body is larger than this service accepts',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    title: 'Unsupported media type',
    detail: 'Send the request body as Content-Type: application/json, encoded as UTF-8',
  },
  REQUEST_HEADERS_TOO_LARGE: {
    status: 431,
    title: 'Request header fields too large',
    detail: 'The request headers are larger than this service accepts; send fewer or shorter ones',
  },
  NOT_FOUND: { status: 404, title: 'Not found', detail: 'Nothing exists at this path' },
  METHOD_NOT_ALLOWED: {
    status: 405,
    title: 'Method not allowed',
    detail: 'This path does not accept this method; the Allow header lists the methods it does',
  },
  UNAUTHORIZED: {
    status: 401,
    title: 'Authentication required',
    detail: 'Send a valid access token as "Authorization: Bearer <token>"',
  },
  FORBIDDEN: { status: 403, title: 'Forbidden', detail: 'You are not allowed to do this' },
  RATE_LIMITED: {
    status: 429,
    title: 'Too many requests',
    detail: 'Too many requests; retry after the number of seconds in the Retry-After header',
  },
  SERVICE_OVERLOADED: {
    status: 503,
    title: 'Service overloaded, retry shortly',
    detail: 'The service is busy; retry after the number of seconds in the Retry-After header',
  },
  DATABASE_UNAVAILABLE: {
    status: 503,
    title: 'Database unavailable',
    detail: 'The database cannot be reached right now; retry shortly',
  },
  STORE_UNAVAILABLE: {
    status: 503,
    title: 'Token store unavailable',
    detail: 'The token store cannot be reached, so tokens cannot be checked; retry shortly',
  },
  INTERNAL_ERROR: {
    status: 500,
    title: 'Internal server error',
    detail: 'An unexpected error occurred; quote the request_id when you report it',
  },
} satisfies Record<string, ErrorDefinition>;

export type CommonErrorCode = keyof typeof COMMON_ERRORS;

export class CommonException extends DomainException {
  constructor(code: CommonErrorCode, detail?: string, errors?: FieldError[]) {
    super(code, COMMON_ERRORS[code], detail, errors);
  }
}
