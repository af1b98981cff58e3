import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditContext, AuditService } from '@app/audit';
import { Principal } from '@app/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { MailService, passwordResetMessage } from '@app/mail';
import { OrganizationsService } from '@app/organizations';
import {
  LoginAttemptsService,
  PasswordHasher,
  UsersService,
  enforcePasswordPolicy,
} from '@app/users';
import { AccountMailBudget } from './account-mail-budget';
import { AccountTokenRefusal, AccountTokensService } from './account-tokens.service';
import { AuthErrorCode, AuthException } from './auth.exception';
import { revokeUserSessions } from './session-revocation';
import { TokenService } from './token.service';

const RESET_REFUSALS: Record<AccountTokenRefusal, AuthErrorCode> = {
  unknown: 'AUTH_INVALID_RESET_TOKEN',
  expired: 'AUTH_RESET_TOKEN_EXPIRED',
  used: 'AUTH_RESET_TOKEN_USED',
};

/** The page of the public URL where a reset link lands; it posts the token to auth/password/reset. */
export const PASSWORD_RESET_PATH = '/reset-password';

/** Change (signed in), forgot and reset of a user's password. */
@Injectable()
export class PasswordService {
  private readonly logger = new Logger(PasswordService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly organizations: OrganizationsService,
    private readonly hasher: PasswordHasher,
    private readonly tokens: TokenService,
    private readonly accountTokens: AccountTokensService,
    private readonly audit: AuditService,
    private readonly mail: MailService,
    private readonly loginAttempts: LoginAttemptsService,
    private readonly mailBudget: AccountMailBudget,
  ) {}

  /**
   * Replaces the password of the signed-in user after checking the current one, and ends
   * every other session of the user; the session making the change stays signed in.
   */
  async change(
    principal: Principal,
    currentPassword: string,
    newPassword: string,
    actor: AuditContext,
  ): Promise<void> {
    const user = await this.users.findById(principal.userId);
    if (!user?.isActive) throw new AuthException('AUTH_INVALID_TOKEN');
    // Wrong current passwords count toward the same lockout as failed logins, so a stolen
    // access token cannot guess the password here at bcrypt's pace.
    const attempt = await this.loginAttempts.begin(user.email);
    const stored = await this.users.findPasswordHash(user.id);
    const valid =
      attempt.allowed && stored !== null
        ? (await this.hasher.verify(currentPassword, stored)).valid
        : await this.hasher.verifyDummy(currentPassword);
    if (!valid) {
      await this.loginAttempts.failed(attempt);
      this.logger.warn({ event: 'password_change_denied', user_id: user.id });
      await this.dataSource.transaction((manager) =>
        this.audit.record(manager, actor, {
          action: 'auth.password_changed',
          outcome: 'denied',
          targetType: 'user',
          targetId: user.id,
          details: { reason: 'invalid_current_password' },
        }),
      );
      throw new AuthException('AUTH_INVALID_CURRENT_PASSWORD');
    }
    await this.loginAttempts.succeeded(attempt);
    enforcePasswordPolicy(newPassword, this.config.password, user, 'new_password');

    const passwordHash = await this.hasher.hash(newPassword);
    const revoked = await this.dataSource.transaction(async (manager) => {
      await this.users.updatePasswordHash(user.id, passwordHash, manager);
      // A reset link mailed before the change would otherwise undo it.
      await this.accountTokens.spendAll(manager, user.id, 'password_reset');
      const sessionIds = await revokeUserSessions(
        manager,
        user.id,
        'password_changed',
        principal.sessionId,
      );
      await this.audit.record(manager, actor, {
        action: 'auth.password_changed',
        outcome: 'success',
        targetType: 'user',
        targetId: user.id,
        details: { sessions_revoked: sessionIds.length },
      });

      return sessionIds;
    });
    await this.revokeAccess(user.id, revoked);
    this.logger.log({ event: 'password_changed', user_id: user.id });
  }

  /**
   * Mails a reset link when an active account has this email. The caller gets the same
   * answer either way, and as fast: the mail is sent after the answer.
   */
  async forgot(email: string, actor: AuditContext): Promise<void> {
    // Said to everyone alike, so it tells nothing about the address.
    if (!this.mail.available) throw new AuthException('AUTH_MAIL_UNAVAILABLE');
    const withinBudget = await this.mailBudget.allows('password_reset', email);
    const user = await this.users.findByEmail(email);
    const active = user?.isActive ? user : null;
    const eligible = withinBudget ? active : null;
    const organizationId = active ? await this.homeOrganization(active.id) : null;
    let refusal: string | undefined;
    if (!user) refusal = 'unknown_email';
    else if (!active) refusal = 'inactive_user';
    else if (!eligible) refusal = 'mail_limit_reached';

    const token = await this.dataSource.transaction(async (manager) => {
      const issued = eligible
        ? await this.accountTokens.issue(
            manager,
            eligible.id,
            'password_reset',
            this.config.passwordReset.ttlSeconds,
          )
        : null;
      // An unknown email is recorded on the platform chain without the address.
      await this.audit.record(manager, actor, {
        action: 'auth.password_reset_requested',
        outcome: eligible ? 'success' : 'failure',
        organizationId,
        actorUserId: active?.id ?? null,
        targetType: active ? 'user' : undefined,
        targetId: active?.id,
        details: refusal ? { reason: refusal } : {},
      });

      return issued;
    });
    if (!eligible || !token) return;

    this.mail.dispatch({
      kind: 'password_reset',
      userId: eligible.id,
      message: passwordResetMessage(
        eligible.email,
        eligible.firstName,
        this.mail.link(PASSWORD_RESET_PATH, token),
        Math.round(this.config.passwordReset.ttlSeconds / 60),
      ),
    });
  }

  /**
   * Sets a new password with a mailed token, once, before it expires, and ends every session
   * of the user: whoever knew the old password is signed out everywhere.
   */
  async reset(token: string, newPassword: string, actor: AuditContext): Promise<void> {
    const found = await this.accountTokens.inspect(
      this.dataSource.manager,
      token,
      'password_reset',
    );
    if (!found.ok) throw new AuthException(RESET_REFUSALS[found.reason]);
    const user = await this.users.findById(found.token.userId);
    if (!user?.isActive) throw new AuthException('AUTH_INVALID_RESET_TOKEN');
    enforcePasswordPolicy(newPassword, this.config.password, user, 'new_password');
    const organizationId = await this.homeOrganization(user.id);

    // Hashing is slow and needs no lock; the token is checked again under its lock below.
    const passwordHash = await this.hasher.hash(newPassword);
    const revoked = await this.dataSource.transaction(async (manager) => {
      const claimed = await this.accountTokens.claim(manager, token, 'password_reset');
      if (!claimed.ok) throw new AuthException(RESET_REFUSALS[claimed.reason]);
      await this.users.updatePasswordHash(user.id, passwordHash, manager);
      await this.accountTokens.spendAll(manager, user.id, 'password_reset');
      const sessionIds = await revokeUserSessions(manager, user.id, 'password_reset');
      await this.audit.record(manager, actor, {
        action: 'auth.password_reset',
        outcome: 'success',
        organizationId,
        actorUserId: user.id,
        targetType: 'user',
        targetId: user.id,
        details: { sessions_revoked: sessionIds.length },
      });

      return sessionIds;
    });
    await this.revokeAccess(user.id, revoked);
    // The reset proved control of the mailbox, so a lockout by someone else's guesses ends.
    await this.loginAttempts.clear(user.email);
    this.logger.log({ event: 'password_reset', user_id: user.id });
  }

  /**
   * Makes the access tokens of revoked sessions unusable at once. The sessions are already
   * revoked in PostgreSQL, so if the store fails here their refresh tokens stay refused and
   * their access tokens die within ACCESS_TOKEN_EXPIRE_MINUTES; the change itself stands.
   */
  private async revokeAccess(userId: string, sessionIds: string[]): Promise<void> {
    const results = await Promise.allSettled(
      sessionIds.map((sessionId) => this.tokens.revokeSessionAccess(sessionId)),
    );
    const failed = results.filter((result) => result.status === 'rejected').length;
    if (failed > 0) {
      this.logger.error({ event: 'session_access_revocation_failed', user_id: userId, failed });
    }
  }

  /** The organization whose audit chain records a user's own account events. */
  private async homeOrganization(userId: string): Promise<string | null> {
    const [latest] = await this.organizations.listActiveMemberships(userId);

    return latest?.organizationId ?? null;
  }
}
