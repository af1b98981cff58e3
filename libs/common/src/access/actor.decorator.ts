import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { AuditContext } from '@app/audit';
import type { Principal } from './principal';

export function auditContextOf(request: Request): AuditContext {
  const principal = request.user as Principal | undefined;
  const userAgent = request.headers['user-agent'];

  return {
    actorUserId: principal?.userId ?? null,
    organizationId: principal?.organizationId ?? null,
    ip: request.ip ?? null,
    userAgent: typeof userAgent === 'string' ? userAgent.slice(0, 512) : null,
    requestId: typeof request.id === 'string' ? request.id : null,
  };
}

/** Who is acting and from where, for the audit events the service will write. */
export const Actor = createParamDecorator(
  (_data: unknown, context: ExecutionContext): AuditContext =>
    auditContextOf(context.switchToHttp().getRequest<Request>()),
);
