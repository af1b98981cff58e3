import { CanActivate, ExecutionContext, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { DataSource } from 'typeorm';
import { AuditService } from '@app/audit';
import {
  ACCESS_POLICY_KEY,
  AccessPolicy,
  auditContextOf,
  IS_PUBLIC_KEY,
  Principal,
} from '@app/common';
import { Access, AccessService } from '@app/organizations';
import { AuthException } from '../auth.exception';

type RoutedRequest = Request & { access?: Access };

/** The route template (`/members/:id`), never the raw path with its ids. */
function routeOf(request: Request): string {
  const route = request.route as { path?: string } | undefined;

  return route?.path ?? request.path;
}

/**
 * Global authorization, after AccessTokenGuard has authenticated the caller. Denies by
 * default: a route must be @Public() or declare an AccessPolicy. Permissions are resolved
 * from the database for each request, so role changes apply at once everywhere.
 */
@Injectable()
export class AccessPolicyGuard implements CanActivate {
  private readonly logger = new Logger(AccessPolicyGuard.name);

  constructor(
    private readonly reflector: Reflector,
    private readonly access: AccessService,
    private readonly audit: AuditService,
    private readonly dataSource: DataSource,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, targets)) return true;
    const policy = this.reflector.getAllAndOverride<AccessPolicy | undefined>(
      ACCESS_POLICY_KEY,
      targets,
    );
    const request = context.switchToHttp().getRequest<RoutedRequest>();
    const principal = request.user as Principal;
    if (!policy) {
      this.logger.error({ event: 'route_without_policy', endpoint: routeOf(request) });
      throw new AuthException('AUTH_PERMISSION_DENIED');
    }

    switch (policy.kind) {
      case 'authenticated':
        return true;
      case 'platform_admin':
        if (await this.access.isPlatformAdmin(principal.userId)) return true;
        return this.deny(request, principal, 'platform_admin');
      case 'permission': {
        const access = await this.access.resolve(principal.userId, principal.organizationId);
        if (access) request.access = access;
        const accepted = [policy.permission, ...(policy.alternatives ?? [])];
        if (accepted.some((permission) => access?.permissions.has(permission))) return true;
        if (policy.platformAdminBypass && (await this.access.isPlatformAdmin(principal.userId))) {
          return true;
        }
        if (!access) throw new AuthException('AUTH_ACCESS_REVOKED');
        return this.deny(request, principal, accepted.join(' or '));
      }
    }
  }

  private async deny(
    request: RoutedRequest,
    principal: Principal,
    required: string,
  ): Promise<never> {
    this.logger.warn({ event: 'authorization_denied', user_id: principal.userId, required });
    await this.dataSource.transaction((manager) =>
      this.audit.record(manager, auditContextOf(request), {
        action: 'authorization.denied',
        outcome: 'denied',
        targetType: 'route',
        targetId: `${request.method} ${routeOf(request)}`.slice(0, 100),
        details: { required },
      }),
    );
    throw new AuthException('AUTH_PERMISSION_DENIED', `This requires ${required}`);
  }
}
