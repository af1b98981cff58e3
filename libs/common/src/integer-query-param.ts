import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

/** What an integer query parameter may be sent as: plain decimal digits, nothing else. */
const DECIMAL_DIGITS = /^[0-9]+$/;

export interface IntegerQueryParamOptions {
  minimum: number;
  maximum: number;
  /** For the document only: the property's initializer is what applies. */
  default?: number;
  description?: string;
}

/**
 * An optional integer query parameter, documented as an `integer` with the bounds enforced here.
 * Only decimal digits are converted: `Number()`, which `@Type(() => Number)` uses, also reads
 * `0x10`, `0b11`, `1e2`, padded ` 10` and the empty string (as 0). Anything else stays as sent,
 * so `@IsInt` refuses it with a 400 naming the parameter.
 */
export function IntegerQueryParam({
  minimum,
  maximum,
  ...documentation
}: IntegerQueryParamOptions): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ type: 'integer', minimum, maximum, ...documentation }),
    IsOptional(),
    Transform(({ value }: { value: unknown }) =>
      typeof value === 'string' && DECIMAL_DIGITS.test(value) ? Number(value) : value,
    ),
    IsInt(),
    Min(minimum),
    Max(maximum),
  );
}
