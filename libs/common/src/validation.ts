import { ValidationError, ValidationPipe } from '@nestjs/common';
import { CommonException, FieldError } from './domain.exception';

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));

    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/**
 * Validation for every body, query and path: unknown fields are refused, values are converted
 * to the declared types, and every broken rule is listed in `errors[]`.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
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
