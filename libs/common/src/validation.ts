import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { CommonException, FieldError } from './domain.exception';

/**
 * Deepest nesting accepted in a body, query or path value. class-transformer copies values
 * recursively, so a small body of nested arrays would otherwise overflow the stack (a 500).
 */
const MAX_INPUT_DEPTH = 32;

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));

    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/** Walks the value without recursion, so the check itself cannot overflow. */
function nestsDeeperThan(root: unknown, limit: number): boolean {
  const pending: Array<{ value: unknown; depth: number }> = [{ value: root, depth: 0 }];
  while (pending.length > 0) {
    const { value, depth } = pending.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (depth >= limit) return true;
    for (const child of Object.values(value)) {
      pending.push({ value: child, depth: depth + 1 });
    }
  }

  return false;
}

class InputValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const isInput =
      metadata.type === 'body' || metadata.type === 'query' || metadata.type === 'param';
    if (isInput && nestsDeeperThan(value, MAX_INPUT_DEPTH)) {
      throw new CommonException(
        'VALIDATION_FAILED',
        `The request nests values more than ${MAX_INPUT_DEPTH} levels deep`,
      );
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
      const fieldErrors = flatten(errors);

      return new CommonException(
        'VALIDATION_FAILED',
        fieldErrors.map((error) => error.message).join('; '),
        fieldErrors,
      );
    },
  });
}
