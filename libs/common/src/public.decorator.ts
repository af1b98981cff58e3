import { SetMetadata, applyDecorators } from '@nestjs/common';
import { ApiSecurity } from '@nestjs/swagger';

export const IS_PUBLIC_KEY = 'isPublic';

/**
 * Marks a route (or controller) that needs no access token. Everything else is denied.
 * In the OpenAPI document it gets an empty security requirement (`[{}]`, as Swagger drops an
 * empty list), which the document builder rewrites to `security: []`.
 */
export const Public = (): MethodDecorator & ClassDecorator =>
  applyDecorators(SetMetadata(IS_PUBLIC_KEY, true), ApiSecurity({}));
