import {
  BadRequestException,
  ConflictException,
  GoneException,
  HttpException,
  Logger,
  NotFoundException,
  PayloadTooLargeException,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { StoreUnavailableError } from '@app/cache';
import { CommonException, DomainException } from './domain.exception';
import { ProblemDetailsFilter } from './problem-details.filter';
import { RateLimitedException } from './rate-limit/rate-limiter';

interface Captured {
  status?: number;
  headers: Record<string, string>;
  body?: string;
  ended: boolean;
}

/** Just enough of an Express response to record what the filter answers. */
function fakeResponse(headersSent = false): { response: Response; captured: Captured } {
  const captured: Captured = { headers: {}, ended: false };
  const response = {
    headersSent,
    status(code: number) {
      captured.status = code;
      return this;
    },
    type(contentType: string) {
      captured.headers['content-type'] = contentType;
      return this;
    },
    setHeader(name: string, value: string) {
      captured.headers[name.toLowerCase()] = value;
      return this;
    },
    send(body: string) {
      captured.body = body;
      return this;
    },
    end() {
      captured.ended = true;
      return this;
    },
  };

  return { response: response as unknown as Response, captured };
}

const REQUEST_ID = '4b1c0a62-6a8f-4a3e-9a39-5f7f0b8c2d11';

function answer(exception: unknown, request: Partial<Request> = {}) {
  const { response, captured } = fakeResponse();
  new ProblemDetailsFilter().respond(
    exception,
    { id: REQUEST_ID, ...request } as Request,
    response,
  );

  return { ...captured, json: JSON.parse(captured.body ?? 'null') };
}

class WidgetException extends DomainException {
  constructor(detail?: string) {
    super('WIDGET_JAMMED', { status: 409, title: 'The widget is jammed' }, detail);
  }
}

function withCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('ProblemDetailsFilter', () => {
  let errorLog: jest.SpyInstance;

  beforeEach(() => {
    errorLog = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('answers a domain exception with its own status, code, title and detail', () => {
    const result = answer(new WidgetException('Turn it off and on again'));

    expect(result.status).toBe(409);
    expect(result.headers['content-type']).toBe('application/problem+json');
    expect(result.json).toEqual({
      type: 'https://docs.faultmaven.com/problems/widget-jammed',
      title: 'The widget is jammed',
      status: 409,
      detail: 'Turn it off and on again',
      code: 'WIDGET_JAMMED',
      request_id: REQUEST_ID,
    });
  });

  it('lists field errors of a validation failure', () => {
    const errors = [{ field: 'email', message: 'email must be an email' }];

    const result = answer(new CommonException('VALIDATION_FAILED', 'invalid body', errors));

    expect(result.status).toBe(400);
    expect(result.json).toMatchObject({ code: 'VALIDATION_FAILED', errors });
  });

  it.each<{ name: string; status: number; code: string; exception: unknown }>([
    {
      name: 'a body-parser parse error',
      status: 400,
      code: 'MALFORMED_JSON',
      exception: { type: 'entity.parse.failed' },
    },
    {
      name: 'a BadRequestException caused by a parse error',
      status: 400,
      code: 'MALFORMED_JSON',
      exception: new BadRequestException('Unexpected token } in JSON', {
        cause: { type: 'entity.parse.failed' },
      }),
    },
    {
      name: 'a body-parser size error',
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
      exception: { type: 'entity.too.large' },
    },
    {
      name: 'a PayloadTooLargeException',
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
      exception: new PayloadTooLargeException('request entity too large'),
    },
    {
      name: 'an unsupported charset',
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
      exception: { type: 'charset.unsupported' },
    },
    {
      name: 'a plain BadRequestException',
      status: 400,
      code: 'VALIDATION_FAILED',
      exception: new BadRequestException('nope'),
    },
    {
      name: 'a 401 HttpException',
      status: 401,
      code: 'UNAUTHORIZED',
      exception: new HttpException('who?', 401),
    },
    {
      name: 'a 429 HttpException',
      status: 429,
      code: 'RATE_LIMITED',
      exception: new HttpException('slow down', 429),
    },
    {
      name: 'a refused connection',
      status: 503,
      code: 'DATABASE_UNAVAILABLE',
      exception: new Error('connect ECONNREFUSED 127.0.0.1:5432'),
    },
    {
      name: 'a PostgreSQL connection failure code',
      status: 503,
      code: 'DATABASE_UNAVAILABLE',
      exception: withCode('server closed the connection', '08006'),
    },
    {
      name: 'a TypeORM error wrapping a lost connection',
      status: 503,
      code: 'DATABASE_UNAVAILABLE',
      exception: Object.assign(new Error('Query failed'), {
        driverError: new Error('Connection terminated unexpectedly'),
      }),
    },
    {
      name: 'a connection that cannot be opened in time',
      status: 503,
      code: 'DATABASE_UNAVAILABLE',
      exception: new Error('Connection terminated due to connection timeout'),
    },
    {
      name: 'a full pool with no connection free in time',
      status: 503,
      code: 'SERVICE_OVERLOADED',
      exception: new Error('timeout exceeded when trying to connect'),
    },
    {
      name: 'a TypeORM error wrapping a full pool',
      status: 503,
      code: 'SERVICE_OVERLOADED',
      exception: Object.assign(new Error('Query failed'), {
        driverError: new Error('timeout exceeded when trying to connect'),
      }),
    },
    {
      name: 'an unreachable key-value store',
      status: 503,
      code: 'STORE_UNAVAILABLE',
      exception: new StoreUnavailableError(new Error('connect ECONNREFUSED 127.0.0.1:6379')),
    },
    {
      name: 'an overloaded service',
      status: 503,
      code: 'SERVICE_OVERLOADED',
      exception: new CommonException('SERVICE_OVERLOADED'),
    },
  ])('answers $name with $status $code', ({ exception, status, code }) => {
    const result = answer(exception);

    expect(result.status).toBe(status);
    expect(result.json).toMatchObject({ status, code, request_id: REQUEST_ID });
    expect(result.headers['content-type']).toBe('application/problem+json');
  });

  it.each([
    [new ConflictException('duplicate key value violates constraint'), 409, 'HTTP_409', 'Conflict'],
    [new GoneException(), 410, 'HTTP_410', 'Gone'],
    [new HttpException('x', 422), 422, 'HTTP_422', 'Unprocessable Entity'],
  ])(
    'keeps the status of another client error %#, without its message',
    (exception, status, code, title) => {
      const { status: sent, json } = answer(exception);

      expect({ sent, code: json.code, title: json.title }).toEqual({ sent: status, code, title });
      expect(JSON.stringify(json)).not.toContain('duplicate key');
    },
  );

  it('keeps the path of a 404 in its detail, without the query string', () => {
    // Nest's router 404 carries the whole URL, query string included.
    const url = '/api/nowhere?token=SECRETVALUE123';
    const result = answer(new NotFoundException(`Cannot GET ${url}`), {
      method: 'GET',
      originalUrl: url,
      url: '/nowhere?token=SECRETVALUE123',
    });

    expect(result.status).toBe(404);
    expect(result.json).toMatchObject({ code: 'NOT_FOUND', detail: 'Cannot GET /api/nowhere' });
    expect(result.body).not.toContain('SECRETVALUE123');
  });

  it.each([
    { status: 503, exception: new Error('connect ECONNREFUSED 127.0.0.1:5432') },
    { status: 429, exception: new HttpException('slow down', 429) },
  ])('asks the client to retry after a second with a $status', ({ exception }) => {
    expect(answer(exception).headers['retry-after']).toBe('1');
  });

  it('tells a rate-limited client when its window frees, with the RateLimit headers', () => {
    const state = { allowed: false, limit: 30, remaining: 0, resetSeconds: 42 };
    const result = answer(new RateLimitedException(state));

    expect(result.status).toBe(429);
    expect(result.json.code).toBe('RATE_LIMITED');
    expect(result.headers).toMatchObject({
      'retry-after': '42',
      'ratelimit-limit': '30',
      'ratelimit-remaining': '0',
      'ratelimit-reset': '42',
    });
  });

  it('sends no Retry-After with a client error', () => {
    expect(answer(new WidgetException()).headers).not.toHaveProperty('retry-after');
  });

  it.each<[string, unknown]>([
    ['an Error', new Error('secret internal text')],
    ['a thrown string', 'secret internal text'],
    ['an unmapped HttpException', new HttpException('secret internal text', 500)],
    [
      'a database error that is not about the connection',
      withCode('secret internal text', '23505'),
    ],
  ])('hides %s behind a generic 500 whose only link is the logged request id', (_case, error) => {
    const result = answer(error);

    expect(result.status).toBe(500);
    expect(result.json).toEqual({
      type: 'https://docs.faultmaven.com/problems/internal-error',
      title: 'Internal server error',
      status: 500,
      detail: 'An unexpected error occurred; quote the request_id when you report it',
      code: 'INTERNAL_ERROR',
      request_id: REQUEST_ID,
    });
    expect(result.body).not.toContain('secret internal text');
    expect(errorLog).toHaveBeenCalledWith(
      expect.objectContaining({ err: error, request_id: REQUEST_ID }),
      'Unhandled error',
    );
  });

  it('answers with an empty request_id when the request has none', () => {
    const { response, captured } = fakeResponse();

    new ProblemDetailsFilter().respond(new WidgetException(), {} as Request, response);

    expect(JSON.parse(captured.body!)).toMatchObject({ request_id: '' });
  });

  it('only ends a response whose headers were already sent', () => {
    const { response, captured } = fakeResponse(true);

    new ProblemDetailsFilter().respond(
      new Error('late failure'),
      { id: REQUEST_ID } as Request,
      response,
    );

    expect(captured).toEqual({ headers: {}, ended: true });
  });
});
