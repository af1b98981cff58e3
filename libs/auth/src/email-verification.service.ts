import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AuditContext, AuditService } from '@app/audit';
import { APP_CONFIG, AppConfig } from '@app/config';
import { MailService, OutgoingMail, emailVerificationMessage } from '@app/mail';
import { OrganizationsService } from '@app/organizations';
import { User, UsersService } from '@app/users';
import { AccountMailBudget } from './account-mail-budget';
import { AccountTokenRefusal, AccountTokensService } from './account-tokens.service';
import { AuthErrorCode, AuthException } from './auth.exception';

const VERIFICATION_REFUSALS: Record<AccountTokenRefusal, AuthErrorCode> = {
  unknown: 'AUTH_INVALID_VERIFICATION_TOKEN',
  expired: 'AUTH_VERIFICATION_TOKEN_EXPIRED',
  used: 'AUTH_VERIFICATION_TOKEN_USED',
};

/** The page of the public URL where a verification link lands; it posts to auth/email/verify. */
export const EMAIL_VERIFICATION_PATH = '/verify-email';

/** Proof that a user can read the mail sent to their address. */
@Injectable()
export class EmailVerificationService {
  private readonly logger = new Logger(EmailVerificationService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly organizations: OrganizationsService,
    private readonly accountTokens: AccountTokensService,
    private readonly audit: AuditService,
    private readonly mail: MailService,
    private readonly mailBudget: AccountMailBudget,
  ) {}

  /**
   * Stores a verification token inside the caller's transaction and returns the mail to
   * `send` once that transaction committed.
   */
  async prepare(manager: EntityManager, user: User): Promise<OutgoingMail> {
    const ttlSeconds = this.config.emailVerification.ttlSeconds;
    const token = await this.accountTokens.issue(
      manager,
      user.id,
      'email_verification',
      ttlSeconds,
    );

    return {
      kind: 'email_verification',
      userId: user.id,
      message: emailVerificationMessage(
        user.email,
        user.firstName,
        this.mail.link(EMAIL_VERIFICATION_PATH, token),
        Math.round(ttlSeconds / 3600),
      ),
    };
  }

  /** Hands a prepared mail to the mail service; sending happens in the background. */
  send(mail: OutgoingMail): void {
    this.mail.dispatch(mail);
  }

  /** Marks the email of the token's user verified; the token works once, before it expires. */
  async verify(token: string, actor: AuditContext): Promise<void> {
    const found = await this.accountTokens.inspect(
      this.dataSource.manager,
      token,
      'email_verification',
    );
    if (!found.ok) throw new AuthException(VERIFICATION_REFUSALS[found.reason]);
    const user = await this.users.findById(found.token.userId);
    if (!user?.isActive) throw new AuthException('AUTH_INVALID_VERIFICATION_TOKEN');
    const organizationId = await this.homeOrganization(user.id);

    await this.dataSource.transaction(async (manager) => {
      // Checked again under the row lock: of two requests with one token, one wins.
      const claimed = await this.accountTokens.claim(manager, token, 'email_verification');
      if (!claimed.ok) throw new AuthException(VERIFICATION_REFUSALS[claimed.reason]);
      await this.users.markEmailVerified(user.id, manager);
      await this.accountTokens.spendAll(manager, user.id, 'email_verification');
      await this.audit.record(manager, actor, {
        action: 'auth.email_verified',
        outcome: 'success',
        organizationId,
        actorUserId: user.id,
        targetType: 'user',
        targetId: user.id,
      });
    });
    this.logger.log({ event: 'email_verified', user_id: user.id });
  }

  /**
   * Mails a new verification link to an active, unverified account with this email. Public,
   * so users who may not sign in before verifying can ask; the answer is the same whether or
   * not the address has an account, and the mail is sent after it.
   */
  async resend(email: string, actor: AuditContext): Promise<void> {
    // Said to everyone alike, so it tells nothing about the address.
    if (!this.mail.available) throw new AuthException('AUTH_MAIL_UNAVAILABLE');
    const withinBudget = await this.mailBudget.allows('email_verification', email);
    const user = await this.users.findByEmail(email);
    const unverified = user?.isActive && user.emailVerifiedAt === null ? user : null;
    const eligible = withinBudget ? unverified : null;
    const organizationId = user ? await this.homeOrganization(user.id) : null;

    const mail = await this.dataSource.transaction(async (manager) => {
      const prepared = eligible ? await this.prepare(manager, eligible) : null;
      let reason: string | undefined;
      if (!user) reason = 'unknown_email';
      else if (!unverified) reason = user.isActive ? 'already_verified' : 'inactive_user';
      else if (!eligible) reason = 'mail_limit_reached';
      // An unknown email is recorded on the platform chain without the address.
      await this.audit.record(manager, actor, {
        action: 'auth.email_verification_requested',
        outcome: eligible ? 'success' : 'failure',
        organizationId,
        actorUserId: user?.id ?? null,
        targetType: user ? 'user' : undefined,
        targetId: user?.id,
        details: reason ? { reason } : {},
      });

      return prepared;
    });
    if (mail) this.send(mail);
  }

  /** The organization whose audit chain records a user's own account events. */
  private async homeOrganization(userId: string): Promise<string | null> {
    const [latest] = await this.organizations.listActiveMemberships(userId);

    return latest?.organizationId ?? null;
  }
}
