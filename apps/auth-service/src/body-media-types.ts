import type { NextFunction, Request, Response } from 'express';
import { CommonException } from '@app/common';

/** The media type of every request body, unless an exception below says otherwise. */
export const JSON_MEDIA_TYPE = 'application/json';

/**
 * Paths that take a body in another media type than JSON, each with the types it accepts.
 * Patterns are full paths; `:name` stands for one path segment. Whoever adds such a route
 * registers the parser for its type and lists it here; nothing else accepts other types.
 */
export const BODY_MEDIA_TYPE_EXCEPTIONS: ReadonlyArray<{ path: string; mediaTypes: string[] }> = [
  // SAML HTTP-POST binding: the identity provider has the browser post a form.
  {
    path: '/api/v1/enterprise/sso/saml/:connectionId/acs',
    mediaTypes: ['application/x-www-form-urlencoded'],
  },
];

/** Like Express's routing: case-insensitive, one segment per parameter, optional final slash. */
function compile(path: string): RegExp {
  const pattern = path
    .split('/')
    .map((segment) =>
      segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
    )
    .join('/');

  return new RegExp(`^${pattern}/?$`, 'i');
}

const EXCEPTIONS = BODY_MEDIA_TYPE_EXCEPTIONS.map(({ path, mediaTypes }) => ({
  pattern: compile(path),
  mediaTypes,
}));

/** True when the request carries a body (HTTP/1.1: chunked, or a non-zero Content-Length). */
function hasBody(request: Request): boolean {
  if (request.headers['transfer-encoding'] !== undefined) return true;
  const length = Number(request.headers['content-length'] ?? 0);

  return !Number.isFinite(length) || length > 0;
}

/** The media type without parameters, and the charset parameter if there is one. */
function parseContentType(header: string): { mediaType: string; charset?: string } {
  const [mediaType, ...parameters] = header.split(';');
  let charset: string | undefined;
  for (const parameter of parameters) {
    const [name, value = ''] = parameter.split('=');
    if (name.trim().toLowerCase() === 'charset') {
      charset = value
        .trim()
        .replace(/^"(.*)"$/, '$1')
        .toLowerCase();
    }
  }

  return { mediaType: mediaType.trim().toLowerCase(), charset };
}

/**
 * Refuses with 415 a request body that is not `application/json` (UTF-8, the default, or
 * said so with `charset=utf-8`), unless its path is one of BODY_MEDIA_TYPE_EXCEPTIONS. Without
 * it a body of another type would be skipped by the JSON parser and the request would run as
 * if it had none: a PATCH answering 200 and changing nothing. `+json` types such as
 * `application/merge-patch+json` are refused too: their semantics are not this API's.
 * Requests without a body pass whatever their Content-Type.
 */
export function requireJsonBody(request: Request, _response: Response, next: NextFunction): void {
  if (!hasBody(request)) return next();

  const header = request.headers['content-type'];
  if (!header) {
    return next(
      new CommonException(
        'UNSUPPORTED_MEDIA_TYPE',
        'The request has a body but no Content-Type; send it as application/json',
      ),
    );
  }
  const { mediaType, charset } = parseContentType(header);
  const exception = EXCEPTIONS.find(({ pattern }) => pattern.test(request.path));
  const accepted = exception?.mediaTypes ?? [JSON_MEDIA_TYPE];
  if (!accepted.includes(mediaType)) {
    return next(
      new CommonException(
        'UNSUPPORTED_MEDIA_TYPE',
        `This endpoint takes ${accepted.join(' or ')} bodies, not ${mediaType || 'an empty type'}`,
      ),
    );
  }
  if (mediaType === JSON_MEDIA_TYPE && charset !== undefined && charset !== 'utf-8') {
    return next(
      new CommonException(
        'UNSUPPORTED_MEDIA_TYPE',
        'JSON bodies must be UTF-8; leave out charset or send charset=utf-8',
      ),
    );
  }

  next();
}
