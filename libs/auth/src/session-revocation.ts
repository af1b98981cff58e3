import { EntityManager } from 'typeorm';
import { Session } from './session.entity';

/**
 * Marks every live session of a user revoked inside the caller's transaction (refresh then
 * refuses them), except `keepSessionId`, and returns their ids so the caller can revoke their
 * access tokens in the store once the transaction committed.
 */
export async function revokeUserSessions(
  manager: EntityManager,
  userId: string,
  reason: string,
  keepSessionId?: string,
): Promise<string[]> {
  let query = manager
    .getRepository(Session)
    .createQueryBuilder()
    .update()
    .set({ revokedAt: () => 'now()', revokedReason: reason })
    .where('user_id = :userId AND revoked_at IS NULL', { userId });
  if (keepSessionId) query = query.andWhere('id <> :keepSessionId', { keepSessionId });
  const result = await query.returning(['id']).execute();

  return (result.raw as Array<{ id: string }>).map((row) => row.id);
}
