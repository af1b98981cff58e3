import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditContext, AuditService } from '@app/audit';
import { Principal } from '@app/common';
import { AuthException } from './auth.exception';
import { LogoutAllResponseDto, SessionDto } from './dto/session.dto';
import { TokenService } from './token.service';

interface SessionRow {
  id: string;
  organization_id: string;
  organization_name: string;
  user_agent: string | null;
  ip_address: string | null;
  created_at: Date;
  last_used_at: Date;
  expires_at: Date;
}

/**
 * The signed-in user's own sessions, in every organization: list them, end one, end all.
 * Ending a session revokes it in PostgreSQL (refresh refuses it) and sets its revocation key
 * in the store (its access tokens stop on every instance at once).
 */
@Injectable()
export class SessionsService {
  private readonly logger = new Logger(SessionsService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly tokens: TokenService,
    private readonly audit: AuditService,
  ) {}

  /** Live sessions (not revoked, not expired) of the caller, newest use first. */
  async list(principal: Principal): Promise<SessionDto[]> {
    const rows = await this.dataSource.query<SessionRow[]>(
      `SELECT s.id, s.organization_id, o.name AS organization_name, s.user_agent, s.ip_address,
              s.created_at, s.last_used_at, s.expires_at
       FROM sessions s JOIN organizations o ON o.id = s.organization_id
       WHERE s.user_id = $1 AND s.revoked_at IS NULL AND s.expires_at > now()
       ORDER BY s.last_used_at DESC, s.id`,
      [principal.userId],
    );

    return rows.map((row) => toSessionDto(row, principal.sessionId));
  }

  /** Ends one live session of the caller; any other id, another user's too, is a 404. */
  async revoke(principal: Principal, sessionId: string, actor: AuditContext): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const revoked = await manager.query<Array<{ organization_id: string }>>(
        `UPDATE sessions SET revoked_at = now(), revoked_reason = 'revoked_by_user'
         WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > now()
         RETURNING organization_id`,
        [sessionId, principal.userId],
      );
      // pg answers UPDATE ... RETURNING as [rows, count].
      const [row] = unwrapReturning(revoked);
      if (!row) throw new AuthException('AUTH_SESSION_NOT_FOUND');
      await this.audit.record(manager, actor, {
        action: 'auth.session_revoked',
        outcome: 'success',
        organizationId: row.organization_id,
        targetType: 'session',
        targetId: sessionId,
        details: { current: sessionId === principal.sessionId },
      });
    });
    await this.tokens.revokeSessionAccess(sessionId);
    this.logger.log({ event: 'session_revoked', user_id: principal.userId, session_id: sessionId });
  }

  /**
   * Ends every session of the caller in every organization, the current one included. One
   * audit event per organization whose sessions ended, each in that organization's chain.
   */
  async revokeAll(principal: Principal, actor: AuditContext): Promise<LogoutAllResponseDto> {
    const revoked = await this.dataSource.transaction(async (manager) => {
      const rows = unwrapReturning(
        await manager.query<Array<{ id: string; organization_id: string }>>(
          `UPDATE sessions SET revoked_at = now(), revoked_reason = 'logout_all'
           WHERE user_id = $1 AND revoked_at IS NULL
           RETURNING id, organization_id`,
          [principal.userId],
        ),
      );
      const byOrganization = new Map<string, string[]>();
      for (const row of rows) {
        byOrganization.set(row.organization_id, [
          ...(byOrganization.get(row.organization_id) ?? []),
          row.id,
        ]);
      }
      // Audit chain heads are locked in one order, so two of these never wait on each other.
      for (const organizationId of [...byOrganization.keys()].sort()) {
        const sessionIds = byOrganization.get(organizationId) ?? [];
        await this.audit.record(manager, actor, {
          action: 'auth.logout_all',
          outcome: 'success',
          organizationId,
          targetType: 'user',
          targetId: principal.userId,
          details: { session_ids: sessionIds },
        });
      }

      return rows.map((row) => row.id);
    });
    // The current session too, even if it was already revoked (e.g. a second call).
    const sessionIds = [...new Set([...revoked, principal.sessionId])];
    await Promise.all(sessionIds.map((id) => this.tokens.revokeSessionAccess(id)));
    this.logger.log({
      event: 'logout_all',
      user_id: principal.userId,
      sessions: sessionIds.length,
    });

    return { revoked_sessions: revoked.length };
  }
}

function unwrapReturning<T>(result: T[] | [T[], number]): T[] {
  return Array.isArray(result[0]) ? result[0] : (result as T[]);
}

function toSessionDto(row: SessionRow, currentSessionId: string): SessionDto {
  return {
    id: row.id,
    organization_id: row.organization_id,
    organization_name: row.organization_name,
    user_agent: row.user_agent,
    ip_address: row.ip_address,
    created_at: new Date(row.created_at).toISOString(),
    last_used_at: new Date(row.last_used_at).toISOString(),
    expires_at: new Date(row.expires_at).toISOString(),
    current: row.id === currentSessionId,
  };
}
