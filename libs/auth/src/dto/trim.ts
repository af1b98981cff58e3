import { Transform } from 'class-transformer';

/** Trims surrounding white space from a string field; leaves other types for validation. */
export const Trim = (): PropertyDecorator =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value));
