import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AuditContext, AuditService } from '@app/audit';
import { Principal } from '@app/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import {
  InvitationsException,
  InvitationsService,
  Membership,
  Organization,
  OrganizationsException,
  OrganizationsService,
} from '@app/organizations';
import {
  PasswordHasher,
  User,
  UsersException,
  UsersService,
  enforcePasswordPolicy,
  normalizeEmail,
} from '@app/users';
import { AuthErrorCode, AuthException } from './auth.exception';
import { LoginDto } from './dto/login.dto';
import { RegisterDto } from './dto/register.dto';
import { TokenResponseDto } from './dto/token-response.dto';
import { UserProfileDto } from './dto/user-profile.dto';
import { EmailVerificationService } from './email-verification.service';
import { RefreshToken } from './refresh-token.entity';
import { Session } from './session.entity';
import { TokenService } from './token.service';

type RefreshOutcome =
  { ok: true; tokens: TokenResponseDto } | { ok: false; error: AuthErrorCode; sessionId?: string };

/** Roles a self-registered user gets; the request body can never choose them. */
const REGISTRATION_ROLES = ['member'];

@Injectable()
export class AuthService {
  private readonly logger = new Logger(AuthService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly organizations: OrganizationsService,
    private readonly hasher: PasswordHasher,
    private readonly tokens: TokenService,
    private readonly audit: AuditService,
    private readonly invitations: InvitationsService,
    private readonly verification: EmailVerificationService,
  ) {}

  async register(input: RegisterDto, actor: AuditContext): Promise<UserProfileDto> {
    const email = normalizeEmail(input.email);
    enforcePasswordPolicy(input.password, this.config.password, {
      email,
      firstName: input.first_name,
      lastName: input.last_name,
    });
    if (input.invitation_token !== undefined) {
      return this.registerWithInvitation(input, email, input.invitation_token, actor);
    }
    // The DTO requires organization_id whenever there is no invitation token.
    if (!input.organization_id) throw new OrganizationsException('ORGANIZATION_NOT_FOUND');
    const organization = await this.organizations.findById(input.organization_id);
    if (!organization) throw new OrganizationsException('ORGANIZATION_NOT_FOUND');
    this.checkRegistrationPolicy(organization, email);
    if (await this.users.findByEmailWithPassword(email)) {
      throw new UsersException('USER_EMAIL_TAKEN');
    }

    // Hashing is slow and needs no lock, so it happens before the transaction opens.
    const passwordHash = await this.hasher.hash(input.password);
    const { user, membership, mail } = await this.dataSource.transaction(async (manager) => {
      await this.lockOrganizationWithSeat(manager, organization.id);
      const created = await this.users.create(manager, {
        email,
        passwordHash,
        firstName: input.first_name,
        lastName: input.last_name,
      });
      const verificationMail = await this.verification.prepare(manager, created);
      const joined = await this.organizations.addMember(
        manager,
        organization.id,
        created.id,
        REGISTRATION_ROLES,
      );
      await this.audit.record(manager, actor, {
        action: 'auth.register',
        outcome: 'success',
        organizationId: organization.id,
        actorUserId: created.id,
        targetType: 'user',
        targetId: created.id,
        details: { roles: REGISTRATION_ROLES },
      });

      return { user: created, membership: joined, mail: verificationMail };
    });
    this.verification.send(mail);
    this.logger.log({
      event: 'user_registered',
      user_id: user.id,
      organization_id: organization.id,
    });

    return toProfile(user, organization.id, [{ ...membership, organization }]);
  }

  /**
   * Registration through an invitation: the invitation, not the organization's registration
   * policy, decides who may join, so an invitation-only organization admits the invited
   * address. The user, the membership and the acceptance commit together or not at all.
   */
  private async registerWithInvitation(
    input: RegisterDto,
    email: string,
    token: string,
    actor: AuditContext,
  ): Promise<UserProfileDto> {
    const invitation = await this.invitations.checkAcceptable(token, email);
    if (input.organization_id && input.organization_id !== invitation.organizationId) {
      throw new InvitationsException('INVITATION_ORGANIZATION_MISMATCH');
    }
    if (await this.users.findByEmailWithPassword(email)) {
      throw new UsersException('USER_EMAIL_TAKEN');
    }

    const passwordHash = await this.hasher.hash(input.password);
    const { user, admission, mail } = await this.dataSource.transaction(async (manager) => {
      const locked = await this.invitations.lockForAcceptance(manager, token, email);
      const created = await this.users.create(manager, {
        email,
        passwordHash,
        firstName: input.first_name,
        lastName: input.last_name,
      });
      // TODO: once invitations are mailed, accepting one proves the address and this mail
      // could be skipped; today the inviter hands the token over by other means.
      const verificationMail = await this.verification.prepare(manager, created);
      const admitted = await this.invitations.admit(manager, locked, created.id, actor);
      await this.audit.record(manager, actor, {
        action: 'auth.register',
        outcome: 'success',
        organizationId: locked.organizationId,
        actorUserId: created.id,
        targetType: 'user',
        targetId: created.id,
        details: { roles: locked.roles, invitation_id: locked.id },
      });

      return { user: created, admission: admitted, mail: verificationMail };
    });
    this.verification.send(mail);
    await this.invitations.afterAdmission(admission);
    const organizationId = admission.membership.organizationId;
    const organization = await this.organizations.findById(organizationId);
    this.logger.log({
      event: 'user_registered',
      user_id: user.id,
      organization_id: organizationId,
    });

    return toProfile(user, organizationId, [
      { ...admission.membership, organization: organization ?? undefined },
    ]);
  }

  async login(input: LoginDto, actor: AuditContext): Promise<TokenResponseDto> {
    const user = await this.users.findByEmailWithPassword(input.email);
    // Unknown email, SSO-only account, disabled account and wrong password cost the same
    // work and get the same answer.
    const verified =
      user?.passwordHash != null
        ? await this.hasher.verify(input.password, user.passwordHash)
        : { valid: await this.hasher.verifyDummy(input.password), needsRehash: false };
    if (!user || !verified.valid || !user.isActive) {
      this.logger.warn({ event: 'login_failed', user_id: user?.id });
      await this.recordFailedLogin(actor, user?.id ?? null, input.organization_id);
      throw new AuthException('AUTH_INVALID_CREDENTIALS');
    }
    if (verified.needsRehash) this.upgradeHash(user.id, input.password);
    // Told only after correct credentials, so it reveals nothing to someone guessing.
    if (this.config.emailVerification.required && user.emailVerifiedAt === null) {
      this.logger.warn({ event: 'login_denied_unverified_email', user_id: user.id });
      await this.recordFailedLogin(actor, user.id, input.organization_id, 'email_not_verified');
      throw new AuthException('AUTH_EMAIL_NOT_VERIFIED');
    }

    const membership = await this.chooseMembership(user.id, input.organization_id);
    const response = await this.dataSource.transaction(async (manager) => {
      await this.users.recordLogin(user.id, manager);
      await this.organizations.markUsed(manager, membership.id);

      const tokens = await this.openSession(manager, user.id, membership, actor);
      await this.audit.record(manager, actor, {
        action: 'auth.login',
        outcome: 'success',
        organizationId: membership.organizationId,
        actorUserId: user.id,
        targetType: 'session',
        targetId: tokens.session_id,
        details: { method: 'password' },
      });

      return tokens.response;
    });
    this.logger.log({
      event: 'login_succeeded',
      user_id: user.id,
      organization_id: membership.organizationId,
    });

    return response;
  }

  /**
   * Exchanges a refresh token for a new pair. The presented token is spent; presenting it
   * again revokes the whole session, since only a thief or a replay would do that.
   */
  async refresh(refreshToken: string, actor: AuditContext): Promise<TokenResponseDto> {
    const hash = this.tokens.hashRefreshToken(refreshToken);
    const outcome = await this.dataSource.transaction(async (manager): Promise<RefreshOutcome> => {
      const stored = await manager
        .getRepository(RefreshToken)
        .createQueryBuilder('token')
        .where('token.tokenHash = :hash', { hash })
        .setLock('pessimistic_write')
        .getOne();
      if (!stored) return { ok: false, error: 'AUTH_INVALID_REFRESH_TOKEN' };

      const sessions = manager.getRepository(Session);
      const session = await sessions
        .createQueryBuilder('session')
        .where('session.id = :id', { id: stored.sessionId })
        .setLock('pessimistic_write')
        .getOne();
      const now = new Date();
      if (!session || session.revokedAt || session.expiresAt <= now || stored.expiresAt <= now) {
        return { ok: false, error: 'AUTH_INVALID_REFRESH_TOKEN' };
      }
      if (stored.usedAt) {
        await this.revokeSessionRow(manager, session.id, 'refresh_token_reuse');
        await this.audit.record(manager, actor, {
          action: 'auth.refresh_token_reused',
          outcome: 'denied',
          organizationId: session.organizationId,
          actorUserId: session.userId,
          targetType: 'session',
          targetId: session.id,
          details: { session_revoked: true },
        });
        return { ok: false, error: 'AUTH_REFRESH_TOKEN_REUSED', sessionId: session.id };
      }

      const user = await this.users.findById(session.userId, manager);
      const membership = await this.organizations.findActiveMembership(
        session.userId,
        session.organizationId,
        manager,
      );
      if (!user?.isActive || !membership) {
        await this.revokeSessionRow(manager, session.id, 'access_lost');
        return { ok: false, error: 'AUTH_INVALID_REFRESH_TOKEN', sessionId: session.id };
      }

      await manager.getRepository(RefreshToken).update({ id: stored.id }, { usedAt: now });
      await sessions.update({ id: session.id }, { lastUsedAt: now });
      await this.audit.record(manager, actor, {
        action: 'auth.token_refreshed',
        outcome: 'success',
        organizationId: session.organizationId,
        actorUserId: session.userId,
        targetType: 'session',
        targetId: session.id,
      });

      return { ok: true, tokens: await this.issueTokens(manager, session, membership.roles) };
    });

    if (!outcome.ok) {
      if (outcome.sessionId) await this.tokens.revokeSessionAccess(outcome.sessionId);
      if (outcome.error === 'AUTH_REFRESH_TOKEN_REUSED') {
        this.logger.warn({ event: 'refresh_token_reused', session_id: outcome.sessionId });
      }
      throw new AuthException(outcome.error);
    }

    return outcome.tokens;
  }

  /** Ends the caller's session: its refresh tokens and every access token of it stop working. */
  async logout(principal: Principal, actor: AuditContext): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await this.revokeSessionRow(manager, principal.sessionId, 'logout');
      await this.audit.record(manager, actor, {
        action: 'auth.logout',
        outcome: 'success',
        targetType: 'session',
        targetId: principal.sessionId,
      });
    });
    await Promise.all([
      this.tokens.revokeAccessToken(principal),
      this.tokens.revokeSessionAccess(principal.sessionId),
    ]);
    this.logger.log({
      event: 'logout',
      user_id: principal.userId,
      session_id: principal.sessionId,
    });
  }

  /**
   * Issues tokens for another organization the user is an active member of, in a new
   * session; nothing else is revoked. A refusal is audited in the current organization.
   */
  async switchOrganization(
    principal: Principal,
    organizationId: string,
    actor: AuditContext,
  ): Promise<TokenResponseDto> {
    const [user, membership] = await Promise.all([
      this.users.findById(principal.userId),
      this.organizations.findActiveMembership(principal.userId, organizationId),
    ]);
    if (!user?.isActive || !membership) {
      this.logger.warn({
        event: 'organization_switch_denied',
        user_id: principal.userId,
        organization_id: organizationId,
      });
      await this.dataSource.transaction((manager) =>
        this.audit.record(manager, actor, {
          action: 'auth.organization_switched',
          outcome: 'denied',
          targetType: 'organization',
          targetId: organizationId,
          details: { reason: 'no_active_membership' },
        }),
      );
      throw new AuthException('AUTH_ORGANIZATION_ACCESS_DENIED');
    }

    const response = await this.dataSource.transaction(async (manager) => {
      await this.organizations.markUsed(manager, membership.id);
      const tokens = await this.openSession(manager, user.id, membership, actor);
      await this.audit.record(manager, actor, {
        action: 'auth.organization_switched',
        outcome: 'success',
        organizationId,
        targetType: 'session',
        targetId: tokens.session_id,
        details: { from_organization_id: principal.organizationId },
      });

      return tokens.response;
    });
    this.logger.log({
      event: 'organization_switched',
      user_id: user.id,
      organization_id: organizationId,
    });

    return response;
  }

  async me(principal: Principal): Promise<UserProfileDto> {
    const [user, memberships] = await Promise.all([
      this.users.findById(principal.userId),
      this.organizations.listActiveMemberships(principal.userId),
    ]);
    if (!user || !user.isActive) throw new AuthException('AUTH_INVALID_TOKEN');

    return toProfile(user, principal.organizationId, memberships);
  }

  /**
   * A failed login is recorded in the organization the user would have entered, so its
   * admins see it; an unknown email goes to the platform chain, with no email stored.
   */
  private async recordFailedLogin(
    actor: AuditContext,
    userId: string | null,
    requestedOrganizationId?: string,
    reason: 'invalid_credentials' | 'email_not_verified' = 'invalid_credentials',
  ): Promise<void> {
    let organizationId: string | null = null;
    if (userId) {
      const memberships = await this.organizations.listActiveMemberships(userId);
      const chosen =
        memberships.find((m) => m.organizationId === requestedOrganizationId) ?? memberships[0];
      organizationId = chosen?.organizationId ?? null;
    }
    await this.dataSource.transaction((manager) =>
      this.audit.record(manager, actor, {
        action: 'auth.login',
        outcome: reason === 'invalid_credentials' ? 'failure' : 'denied',
        organizationId,
        actorUserId: userId,
        details: { method: 'password', reason },
      }),
    );
  }

  private checkRegistrationPolicy(organization: Organization, email: string): void {
    if (organization.registrationPolicy === 'invitation_only') {
      throw new AuthException('AUTH_REGISTRATION_CLOSED');
    }
    if (organization.registrationPolicy === 'allowed_domains') {
      const domain = email.slice(email.lastIndexOf('@') + 1);
      if (!organization.allowedEmailDomains.map((d) => d.toLowerCase()).includes(domain)) {
        throw new AuthException('AUTH_EMAIL_DOMAIN_NOT_ALLOWED');
      }
    }
  }

  /**
   * Locks the organization row so concurrent registrations count seats one at a time, then
   * refuses when `max_users` is reached.
   */
  private async lockOrganizationWithSeat(
    manager: EntityManager,
    organizationId: string,
  ): Promise<void> {
    const organization = await manager
      .getRepository(Organization)
      .createQueryBuilder('organization')
      .where('organization.id = :organizationId', { organizationId })
      .setLock('pessimistic_write')
      .getOne();
    if (!organization) throw new OrganizationsException('ORGANIZATION_NOT_FOUND');
    if (organization.maxUsers === null) return;
    const members = await manager
      .getRepository(Membership)
      .countBy({ organizationId, status: 'active' });
    if (members >= organization.maxUsers) throw new AuthException('AUTH_ORGANIZATION_FULL');
  }

  private async chooseMembership(userId: string, organizationId?: string): Promise<Membership> {
    if (organizationId) {
      const membership = await this.organizations.findActiveMembership(userId, organizationId);
      if (!membership) throw new AuthException('AUTH_ORGANIZATION_ACCESS_DENIED');
      return membership;
    }
    const [latest] = await this.organizations.listActiveMemberships(userId);
    if (!latest) throw new AuthException('AUTH_ORGANIZATION_ACCESS_DENIED');

    return latest;
  }

  private async openSession(
    manager: EntityManager,
    userId: string,
    membership: Membership,
    actor: AuditContext,
  ): Promise<{ response: TokenResponseDto; session_id: string }> {
    const now = new Date();
    const session = await manager.getRepository(Session).save(
      manager.getRepository(Session).create({
        userId,
        organizationId: membership.organizationId,
        lastUsedAt: now,
        expiresAt: new Date(now.getTime() + this.config.refreshTokenTtlSeconds * 1000),
        ipAddress: actor.ip?.slice(0, 45) ?? null,
        userAgent: actor.userAgent,
      }),
    );

    return {
      response: await this.issueTokens(manager, session, membership.roles),
      session_id: session.id,
    };
  }

  private async issueTokens(
    manager: EntityManager,
    session: Session,
    roles: string[],
  ): Promise<TokenResponseDto> {
    const refresh = this.tokens.newRefreshToken();
    const ttl = this.config.refreshTokenTtlSeconds;
    await manager.getRepository(RefreshToken).insert({
      sessionId: session.id,
      tokenHash: refresh.hash,
      expiresAt: new Date(Date.now() + ttl * 1000),
    });
    const access = this.tokens.issueAccessToken({
      userId: session.userId,
      organizationId: session.organizationId,
      sessionId: session.id,
      roles,
    });

    return {
      access_token: access.token,
      refresh_token: refresh.token,
      token_type: 'Bearer',
      expires_in: access.expiresIn,
      refresh_expires_in: ttl,
      organization_id: session.organizationId,
      user_id: session.userId,
    };
  }

  private async revokeSessionRow(
    manager: EntityManager,
    sessionId: string,
    reason: string,
  ): Promise<void> {
    await manager
      .getRepository(Session)
      .createQueryBuilder()
      .update()
      .set({ revokedAt: () => 'now()', revokedReason: reason })
      .where('id = :sessionId AND revoked_at IS NULL', { sessionId })
      .execute();
  }

  /** Replaces a hash made with an older cost or format; a failure only costs the upgrade. */
  private upgradeHash(userId: string, password: string): void {
    this.hasher
      .hash(password)
      .then((hash) => this.users.updatePasswordHash(userId, hash))
      .catch((error: unknown) =>
        this.logger.warn({ event: 'password_rehash_failed', user_id: userId, err: error }),
      );
  }
}

function toProfile(
  user: User,
  organizationId: string,
  memberships: Array<
    Pick<Membership, 'organizationId' | 'roles'> & { organization?: Organization }
  >,
): UserProfileDto {
  const current = memberships.find((membership) => membership.organizationId === organizationId);

  return {
    id: user.id,
    email: user.email,
    first_name: user.firstName,
    last_name: user.lastName,
    email_verified: user.emailVerifiedAt !== null,
    is_platform_admin: user.isPlatformAdmin,
    organization_id: organizationId,
    roles: current?.roles ?? [],
    organizations: memberships.map((membership) => ({
      id: membership.organizationId,
      name: membership.organization?.name ?? '',
      slug: membership.organization?.slug ?? '',
      roles: membership.roles,
    })),
    created_at: user.createdAt.toISOString(),
    last_login_at: user.lastLoginAt ? user.lastLoginAt.toISOString() : null,
  };
}
