import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { STATUS_CODES as HTTP_STATUS_TEXT } from 'node:http';
import type { Request, Response } from 'express';
import { StoreUnavailableError } from '@app/cache';
import { COMMON_ERRORS, CommonErrorCode, DomainException } from './domain.exception';
import { PROBLEM_CONTENT_TYPE, ProblemDetailsDto, problemType } from './problem-details';
import { setRateLimitHeaders } from './rate-limit/rate-limiter';
import { allowedMethods, requestPath } from './route-methods';

const STATUS_CODES: Record<number, CommonErrorCode> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
};

/**
 * The `type` of the error the JSON body parser's `verify` hook throws for a body that is not
 * UTF-8 (body-parser would otherwise decode it to U+FFFD and carry on).
 */
export const INVALID_UTF8_BODY = 'entity.utf8.invalid';

/** body-parser marks its own failures with a `type`; these are the client's fault. */
const BODY_PARSER_ERRORS: Record<string, { code: CommonErrorCode; detail?: string }> = {
  'entity.parse.failed': { code: 'MALFORMED_JSON' },
  [INVALID_UTF8_BODY]: { code: 'MALFORMED_JSON', detail: 'The request body is not valid UTF-8' },
  'entity.too.large': { code: 'PAYLOAD_TOO_LARGE' },
  'encoding.unsupported': {
    code: 'UNSUPPORTED_MEDIA_TYPE',
    detail: 'The Content-Encoding of the request body is not supported',
  },
  'charset.unsupported': { code: 'UNSUPPORTED_MEDIA_TYPE' },
  'request.aborted': { code: 'VALIDATION_FAILED', detail: 'The request body was cut short' },
  'parameters.too.many': { code: 'PAYLOAD_TOO_LARGE' },
};

/** Errors that mean PostgreSQL cannot be reached, as opposed to a bug in a query. */
const DATABASE_CONNECTION_ERRORS =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|Connection terminated|not connected|is not queryable|the database system is (starting up|shutting down)|terminating connection/i;

/**
 * pg-pool's words when a request waited POSTGRES_CONNECT_TIMEOUT_MS for a connection of a full
 * pool: more work than connections, not an unreachable database (a connection that cannot be
 * opened fails with the words above), so the answer is the overload one.
 */
const POOL_EXHAUSTED = /timeout exceeded when trying to connect/i;

interface Problem {
  status: number;
  code: string;
  title: string;
  detail?: string;
  errors?: ProblemDetailsDto['errors'];
  /** The `Allow` header of a 405. */
  allow?: string[];
}

function describe(exception: unknown, request: Request): Problem | undefined {
  if (exception instanceof DomainException) {
    return {
      status: exception.status,
      code: exception.code,
      title: exception.title,
      detail: exception.detail,
      errors: exception.errors,
    };
  }

  if (exception instanceof StoreUnavailableError) {
    return { ...COMMON_ERRORS.STORE_UNAVAILABLE, code: 'STORE_UNAVAILABLE' };
  }

  // Nest wraps body-parser's errors in an HttpException; the cause keeps body-parser's type.
  for (const candidate of [exception, (exception as { cause?: unknown })?.cause]) {
    const bodyParserType = (candidate as { type?: unknown })?.type;
    if (typeof bodyParserType === 'string' && bodyParserType in BODY_PARSER_ERRORS) {
      const { code, detail } = BODY_PARSER_ERRORS[bodyParserType];
      return { ...COMMON_ERRORS[code], code, ...(detail ? { detail } : {}) };
    }
  }

  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    if (status === 404) {
      // No route matched the method: when one matches the path, the method is what is wrong.
      // (A 404 thrown by a matched route has its own method among these, so stays a 404.)
      const allow = allowedMethods(request);
      if (allow.length > 0 && !allow.includes(request.method)) {
        return {
          ...COMMON_ERRORS.METHOD_NOT_ALLOWED,
          code: 'METHOD_NOT_ALLOWED',
          detail: `${request.method} is not allowed here; this path accepts ${allow.join(', ')}`,
          allow,
        };
      }
    }
    const code = STATUS_CODES[status];
    if (code) {
      const response = exception.getResponse();
      const message =
        typeof response === 'object' && response && 'message' in response
          ? String(response.message)
          : undefined;
      // Nest's pipes' 400s ("Validation failed (uuid is expected)") say what was wrong without
      // internals. A 404 here means no route matched: Nest's own repeats the whole URL, whose
      // query can hold a token, so it names the path only. Other statuses keep only the title.
      const detail =
        status === 404
          ? `Cannot ${request.method} ${requestPath(request)}`
          : status === 400
            ? message
            : undefined;
      return { ...COMMON_ERRORS[code], code, ...(detail ? { detail } : {}) };
    }
    // Any other client error keeps its status, with the standard reason as its title.
    if (status >= 400 && status < 500) {
      const title = HTTP_STATUS_TEXT[status] ?? 'Client error';
      return { status, code: `HTTP_${status}`, title, detail: title };
    }
  }

  return undefined;
}

/**
 * The message of an error-like value. Duck-typed: socket errors are made by Node's core, and in
 * a VM context (Jest runs the app in one) they are not `instanceof` the context's Error.
 */
function messageOf(value: unknown): string {
  const message = (value as { message?: unknown } | null | undefined)?.message;

  return typeof message === 'string' ? message : '';
}

/** PostgreSQL's class 22 (data exception): out of range, bad encoding, invalid format. */
function isDataException(exception: unknown): boolean {
  const code = (exception as { code?: unknown } | null)?.code;

  return typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code);
}

function isPoolExhausted(exception: unknown): boolean {
  if (typeof exception !== 'object' || exception === null) return false;
  const driverError = (exception as { driverError?: unknown }).driverError;

  return [messageOf(exception), messageOf(driverError)].some((message) =>
    POOL_EXHAUSTED.test(message),
  );
}

function isDatabaseUnavailable(exception: unknown): boolean {
  if (typeof exception !== 'object' || exception === null) return false;
  const code = (exception as { code?: unknown }).code;
  if (typeof code === 'string' && (code.startsWith('08') || code === '57P01' || code === '57P03')) {
    return true;
  }
  const driverError = (exception as { driverError?: unknown }).driverError;
  const messages = [messageOf(exception), messageOf(driverError)];

  return messages.some((message) => DATABASE_CONNECTION_ERRORS.test(message));
}

/**
 * Turns every error into the API's single problem body. Unknown errors become a generic 500
 * whose only link to the logged stack is the request id: no library or database text leaks.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger(ProblemDetailsFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const context = host.switchToHttp();
    this.respond(exception, context.getRequest<Request>(), context.getResponse<Response>());
  }

  /** Also used directly by the Express fallbacks that run outside Nest's exception layer. */
  respond(exception: unknown, request: Request, response: Response): void {
    const requestId = typeof request.id === 'string' ? request.id : '';

    let problem = describe(exception, request);
    if (!problem && isDataException(exception)) {
      // Backstop for input a DTO failed to bound (a number past a column's range, text the
      // encoding refuses): the client's fault, answered without the database's words.
      problem = {
        ...COMMON_ERRORS.VALIDATION_FAILED,
        code: 'VALIDATION_FAILED',
        detail: 'A value is out of range or not representable',
      };
    }
    if (!problem && isPoolExhausted(exception)) {
      problem = {
        ...COMMON_ERRORS.SERVICE_OVERLOADED,
        code: 'SERVICE_OVERLOADED',
        detail: 'Every database connection is busy; retry after the Retry-After seconds',
      };
    }
    if (!problem && isDatabaseUnavailable(exception)) {
      problem = { ...COMMON_ERRORS.DATABASE_UNAVAILABLE, code: 'DATABASE_UNAVAILABLE' };
    }
    if (!problem) {
      problem = { ...COMMON_ERRORS.INTERNAL_ERROR, code: 'INTERNAL_ERROR' };
      this.logger.error(
        { err: exception, request_id: requestId, event: 'unhandled_error' },
        'Unhandled error',
      );
    } else if (problem.status >= 500) {
      this.logger.warn({ request_id: requestId, code: problem.code, event: 'dependency_error' });
    }

    if (response.headersSent) {
      response.end();
      return;
    }

    const body: ProblemDetailsDto = {
      type: problemType(problem.code),
      title: problem.title,
      status: problem.status,
      // Always present (RFC 9457 makes it optional; clients should not have to fall back).
      detail: problem.detail || problem.title,
      code: problem.code,
      request_id: requestId,
      ...(problem.errors ? { errors: problem.errors } : {}),
    };
    if (problem.allow) response.setHeader('Allow', problem.allow.join(', '));
    if (exception instanceof DomainException && exception.challenge) {
      response.setHeader('WWW-Authenticate', exception.challenge);
    }
    const rateLimit = exception instanceof DomainException ? exception.rateLimit : undefined;
    if (rateLimit) {
      // The limit that refused this request is the one the client must wait for.
      setRateLimitHeaders(response, rateLimit);
      response.setHeader('Retry-After', String(rateLimit.resetSeconds));
    } else if (problem.status === 503 || problem.status === 429) {
      response.setHeader('Retry-After', '1');
    }
    response.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
  }
}
