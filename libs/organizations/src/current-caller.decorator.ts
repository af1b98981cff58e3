import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { Access } from './access.service';
import type { Caller } from './caller';
import type { Permission } from './permissions';

/**
 * The caller of a permission route: ids from the verified token, permissions as the global
 * access guard resolved them for this request. `isPlatformAdmin` is null when the guard let a
 * platform administrator through without a membership here; services that care look it up.
 */
export const CurrentCaller = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Caller => {
    const request = context.switchToHttp().getRequest<Request & { access?: Access }>();
    const principal = request.user as { userId: string; organizationId: string };

    return {
      userId: principal.userId,
      organizationId: principal.organizationId,
      permissions: request.access?.permissions ?? new Set<Permission>(),
      isPlatformAdmin: request.access?.isPlatformAdmin ?? null,
    };
  },
);
