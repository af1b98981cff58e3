import type { NextFunction, Request, Response } from 'express';
import { CommonException } from '@app/common';

/** A `%` not followed by two hex digits, such as `%uD800` or a bare `100%`. */
const BAD_ESCAPE = /%(?![0-9A-Fa-f]{2})/;

/** How much of an undecodable parameter name is echoed back. */
const MAX_NAME_SHOWN = 100;

/** The text of one name or value of a query string, or undefined when it is not UTF-8. */
function decode(raw: string): string | undefined {
  if (BAD_ESCAPE.test(raw)) return undefined;
  try {
    // decodeURIComponent throws on bytes that are not UTF-8, encoded surrogates included
    // (`%ED%A0%80`), where Node's querystring would put U+FFFD in their place.
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/**
 * Refuses (400, naming the parameter) a query string whose names or values are not
 * percent-encoded UTF-8, before Express's parser decodes it with U+FFFD in place of the bad
 * bytes and the request runs on altered text. Bodies get the same check from the JSON
 * parser's `verify` hook.
 */
export function refuseMalformedQuery(request: Request, _response: Response, next: NextFunction) {
  const url = request.originalUrl ?? request.url;
  const start = url.indexOf('?');
  if (start < 0) return next();

  for (const pair of url.slice(start + 1).split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    const rawName = equals < 0 ? pair : pair.slice(0, equals);
    const name = decode(rawName);
    const valueOk = equals < 0 || decode(pair.slice(equals + 1)) !== undefined;
    if (name !== undefined && valueOk) continue;

    // An undecodable name is shown as sent: still percent-encoded, so plain ASCII.
    const field = name ?? rawName.slice(0, MAX_NAME_SHOWN);
    const message = `${field} must be percent-encoded UTF-8`;
    return next(
      new CommonException('VALIDATION_FAILED', `The query parameter ${message}`, [
        { field, message },
      ]),
    );
  }

  next();
}
