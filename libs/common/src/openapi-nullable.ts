import { getSchemaPath } from '@nestjs/swagger';

/**
 * `@ApiProperty` options for a property that holds the model or null. In OpenAPI 3.0
 * `nullable` adds null to its own schema's `type` only, never past the `allOf` that
 * `type: Model, nullable: true` wraps around the reference, so validators and generated
 * clients would refuse the null: here null is an alternative of its own. The model must be
 * registered with `@ApiExtraModels` on the class that uses this.
 */
export function nullableModel(model: abstract new (...args: never[]) => unknown) {
  return {
    oneOf: [
      { $ref: getSchemaPath(model) },
      { type: 'object' as const, nullable: true, enum: [null] },
    ],
  };
}
