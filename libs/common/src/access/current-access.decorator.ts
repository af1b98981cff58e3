import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { Access } from '@app/organizations';

/**
 * The caller's resolved roles and permissions in the token's organization, set by the access
 * guard on routes with a permission policy; undefined for a platform administrator acting
 * outside their own memberships.
 */
export const CurrentAccess = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Access | undefined =>
    context.switchToHttp().getRequest<Request & { access?: Access }>().access,
);
