import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditContext, AuditService } from '@app/audit';
import { OrganizationsException } from './organizations.exception';

/**
 * Records a refusal that a service decided (beyond the route's own permission, which the
 * global guard audits) as `authorization.denied`, in its own transaction, then throws it.
 */
@Injectable()
export class DenialRecorder {
  private readonly logger = new Logger(DenialRecorder.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  async deny(
    actor: AuditContext,
    exception: OrganizationsException,
    target: { type: string; id: string },
    details: Record<string, unknown> = {},
  ): Promise<never> {
    this.logger.warn({
      event: 'authorization_denied',
      user_id: actor.actorUserId,
      code: exception.code,
    });
    await this.dataSource.transaction((manager) =>
      this.audit.record(manager, actor, {
        action: 'authorization.denied',
        outcome: 'denied',
        targetType: target.type,
        targetId: target.id,
        details: { code: exception.code, ...details },
      }),
    );
    throw exception;
  }
}
