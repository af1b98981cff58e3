import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { ValidateBy, ValidateIf } from 'class-validator';
import { CommonException, FieldError } from './domain.exception';

/**
 * Deepest nesting accepted in a body, query or path value. class-transformer copies values
 * recursively, so a small body of nested arrays would otherwise overflow the stack (a 500).
 */
const MAX_INPUT_DEPTH = 32;

/** With the `u` flag a surrogate pair reads as one code point, so this finds only lone halves. */
const LONE_SURROGATE = /\p{Surrogate}/u;

/**
 * Keys JavaScript gives a meaning on every object. JSON.parse makes `__proto__` an own
 * property, but class-transformer does not copy these onto the DTO, so the unknown-field check
 * (which looks at the DTO) would never see them.
 */
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Rules about a value's type. When one fails, the field's other rules (length, pattern, "must
 * not be empty") only restate that the value is wrong, so the type rule is reported alone.
 */
const TYPE_CONSTRAINTS = new Set([
  'isString',
  'isInt',
  'isNumber',
  'isBoolean',
  'isArray',
  'isObject',
  'isDate',
  'nestedValidation',
]);

function messagesOf(error: ValidationError): string[] {
  const constraints = Object.entries(error.constraints ?? {});
  const typeRules = constraints.filter(([name]) => TYPE_CONSTRAINTS.has(name));

  return (typeRules.length > 0 ? typeRules : constraints).map(([, message]) => message);
}

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = messagesOf(error).map((message) => ({ field, message }));

    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/** Each field and message once, in the order first met. */
function uniqueFieldErrors(errors: FieldError[]): FieldError[] {
  const seen = new Set<string>();

  return errors.filter(({ field, message }) => {
    const key = JSON.stringify([field, message]);
    if (seen.has(key)) return false;
    seen.add(key);

    return true;
  });
}

/**
 * What no string in any field may hold, whatever its DTO says. PostgreSQL refuses NUL in text,
 * and a lone UTF-16 surrogate (`"\ud800"` is valid JSON) is not Unicode text at all: validator's
 * isEmail throws on it, and PostgreSQL would store U+FFFD instead. Both would otherwise surface
 * as a 500 or as silently altered data.
 */
function stringProblem(value: string): string | undefined {
  if (value.includes('\u0000')) return 'must not contain NUL characters';
  if (LONE_SURROGATE.test(value))
    return 'must be valid Unicode text (it holds a lone UTF-16 surrogate)';

  return undefined;
}

/**
 * Walks the value without recursion (so the check itself cannot overflow) and names the first
 * thing no field may hold: nesting past the limit, a string `stringProblem` refuses, or a key
 * of `PROTOTYPE_KEYS` (refused like any unknown field). `name` is the root's own, when it has
 * one (`@Param('id')`): a path parameter is a string with no field inside to name.
 */
function structuralProblem(
  root: unknown,
  limit: number,
  name = '',
): { detail: string; field?: string } | undefined {
  const pending: Array<{ value: unknown; depth: number; path: string }> = [
    { value: root, depth: 0, path: name },
  ];
  while (pending.length > 0) {
    const { value, depth, path } = pending.pop()!;
    const problem = typeof value === 'string' ? stringProblem(value) : undefined;
    if (problem) {
      const field = path || 'value';
      return { detail: `${field} ${problem}`, field };
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth >= limit)
      return { detail: `The request nests values more than ${limit} levels deep` };
    for (const [key, child] of Object.entries(value)) {
      const field = path ? `${path}.${key}` : key;
      if (PROTOTYPE_KEYS.has(key)) return { detail: `property ${key} should not exist`, field };
      pending.push({ value: child, depth: depth + 1, path: field });
    }
  }

  return undefined;
}

class InputValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const isInput =
      metadata.type === 'body' || metadata.type === 'query' || metadata.type === 'param';
    const problem = isInput ? structuralProblem(value, MAX_INPUT_DEPTH, metadata.data) : undefined;
    if (problem) {
      const errors = problem.field
        ? [{ field: problem.field, message: problem.detail }]
        : undefined;
      throw new CommonException('VALIDATION_FAILED', problem.detail, errors);
    }

    return super.transform(value, metadata);
  }
}

/**
 * Validation for every body, query and path: unknown fields are refused, values are converted
 * to the declared types, and every broken rule is listed in `errors[]`.
 */
export function createValidationPipe(): ValidationPipe {
  return new InputValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const fieldErrors = uniqueFieldErrors(flatten(errors));

      return new CommonException(
        'VALIDATION_FAILED',
        fieldErrors.map((error) => error.message).join('; '),
        fieldErrors,
      );
    },
  });
}

/**
 * For update DTOs: the field is optional but never null. Absent leaves the value alone, while
 * null would reach a NOT NULL column as a 500; `@IsOptional` lets null through, this does not,
 * so the field's other rules refuse it with a 400.
 */
export const IsPresentOrAbsent = (): PropertyDecorator =>
  ValidateIf((_object, value) => value !== undefined);

/**
 * Characters that make displayed text lie about itself: C0 and C1 controls (terminal escapes,
 * carriage returns, backspaces), the bidirectional embeddings, overrides and isolates
 * (U+202A–U+202E, U+2066–U+2069), which reorder what a reader sees, and the invisible U+200B,
 * U+2060 and U+FEFF. ZWNJ and ZWJ (U+200C, U+200D) are left alone, as several scripts and emoji
 * sequences (woman, ZWJ, laptop: a woman technologist) need them, and so are the LRM and RLM
 * marks (U+200E, U+200F) of right-to-left text.
 */
const INVISIBLE_FORMATTING = '\\u200b\\u202a-\\u202e\\u2060\\u2066-\\u2069\\ufeff';
const REFUSED_IN_SINGLE_LINE = new RegExp(`[\\p{Cc}${INVISIBLE_FORMATTING}]`, 'u');
/** The same less tab and line feed: `[^\P{Cc}\t\n]` is any other control character. */
const REFUSED_IN_MULTI_LINE = new RegExp(`[^\\P{Cc}\\t\\n]|[${INVISIBLE_FORMATTING}]`, 'u');
const REFUSED_IN_SINGLE_LINE_ALL = new RegExp(REFUSED_IN_SINGLE_LINE.source, 'gu');

/**
 * `value` without the characters a single-line display text may not hold: for text people
 * read that arrives from elsewhere than a request body (an identity provider's names), where
 * refusing it would refuse the sign-in over a directory entry.
 */
export function toDisplayText(value: string): string {
  return value.replace(REFUSED_IN_SINGLE_LINE_ALL, '');
}

/** Whether `value` may be shown to people as it is; `multiline` also allows tab and line feed. */
export function isDisplayText(value: string, { multiline = false } = {}): boolean {
  return !(multiline ? REFUSED_IN_MULTI_LINE : REFUSED_IN_SINGLE_LINE).test(value);
}

/**
 * For text people read (names, descriptions), never for secrets or machine values (passwords,
 * tokens, URLs, XML): refuses the characters of `REFUSED_IN_SINGLE_LINE`, and with
 * `multiline` allows tab and line feed. A value that is not a string is left to `@IsString`.
 */
export const IsDisplayText = ({ multiline = false } = {}): PropertyDecorator =>
  ValidateBy({
    name: 'isDisplayText',
    validator: {
      validate: (value: unknown) =>
        typeof value !== 'string' || isDisplayText(value, { multiline }),
      defaultMessage: () =>
        multiline
          ? '$property must not contain control characters other than tab and line feed, ' +
            'or invisible formatting characters'
          : '$property must not contain control or invisible formatting characters',
    },
  });
