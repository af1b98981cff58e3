import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { KEY_VALUE_STORE, KeyValueStore, RevocationKeys } from '@app/cache';
import { APP_CONFIG, AppConfig } from '@app/config';
import { modifyReturning } from './sql';

/**
 * Ends access that an administrative change took away. The session rows are marked revoked
 * inside the caller's transaction (so refresh refuses them); the store keys that make live
 * access tokens fail at once are written after the commit, with the access-token lifetime as
 * TTL, since no token issued before the change outlives it.
 */
@Injectable()
export class AccessRevocationService {
  private readonly ttlSeconds: number;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(KEY_VALUE_STORE) private readonly store: KeyValueStore,
  ) {
    this.ttlSeconds = config.jwt.accessTokenTtlSeconds;
  }

  /** Marks every open session of the organization revoked; returns how many there were. */
  async revokeOrganizationSessions(
    manager: EntityManager,
    organizationId: string,
    reason: string,
  ): Promise<number> {
    const rows = await modifyReturning<{ id: string }>(
      manager,
      `UPDATE sessions SET revoked_at = now(), revoked_reason = $2
        WHERE organization_id = $1 AND revoked_at IS NULL RETURNING id`,
      [organizationId, reason],
    );

    return rows.length;
  }

  /** Marks the member's open sessions in this organization revoked; returns how many. */
  async revokeMemberSessions(
    manager: EntityManager,
    organizationId: string,
    userId: string,
    reason: string,
  ): Promise<number> {
    const rows = await modifyReturning<{ id: string }>(
      manager,
      `UPDATE sessions SET revoked_at = now(), revoked_reason = $3
        WHERE organization_id = $1 AND user_id = $2 AND revoked_at IS NULL RETURNING id`,
      [organizationId, userId, reason],
    );

    return rows.length;
  }

  async blockOrganization(organizationId: string): Promise<void> {
    await this.store.set(RevocationKeys.organization(organizationId), '1', this.ttlSeconds);
  }

  async blockMembership(organizationId: string, userId: string): Promise<void> {
    await this.store.set(RevocationKeys.membership(organizationId, userId), '1', this.ttlSeconds);
  }

  /** Lets the member's new tokens work again (reactivated or added back). */
  async unblockMembership(organizationId: string, userId: string): Promise<void> {
    await this.store.delete(RevocationKeys.membership(organizationId, userId));
  }
}
