import { domainToASCII } from 'node:url';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AuditContext, AuditService } from '@app/audit';
import { Principal, RateLimitedException } from '@app/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { AuthOutcome, Metrics } from '@app/observability';
import {
  InvitationsException,
  InvitationsService,
  Membership,
  Organization,
  OrganizationsException,
  OrganizationsService,
} from '@app/organizations';
import {
  LoginAttemptsService,
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
import { MfaChallengeResponseDto } from './mfa/dto/mfa.dto';
import { FirstFactor, MfaChallenges } from './mfa/mfa-challenges';
import { MfaException } from './mfa/mfa.exception';
import { mfaEnrollmentRequired } from './mfa/mfa-policy';
import { MfaService, SecondFactorMethod } from './mfa/mfa.service';
import { RefreshToken } from './refresh-token.entity';
import { Session } from './session.entity';
import { TokenService } from './token.service';

/**
 * Whether organization $1 requires SSO of email domain $2: it has require_sso on and an
 * enabled SSO connection serving the domain, verified.
 */
const SSO_REQUIRED = `EXISTS (
  SELECT 1
    FROM organizations o
    JOIN sso_connections c ON c.organization_id = o.id AND c.enabled
    JOIN sso_connection_domains d
      ON d.connection_id = c.id AND d.domain = $2 AND d.verified_at IS NOT NULL
   WHERE o.id = $1 AND o.require_sso)`;

/**
 * A password, SSO or MFA sign-in's marks: the user's last login and the membership's last use
 * (which picks the organization of the next login without one). Written out, as is the session
 * below, because every login runs them: as two TypeORM updates, a save and an insert they
 * took four round trips and about a sixth of a login's CPU outside the hash.
 */
const RECORD_SIGN_IN_SQL = `
  WITH signed_in AS (
    UPDATE users SET last_login_at = $3, updated_at = now() WHERE id = $1
  )
  UPDATE memberships SET last_used_at = $3, updated_at = now() WHERE id = $2`;

/** A session and its first refresh token (stored as SHA-256), both expiring at $4. */
const OPEN_SESSION_SQL = `
  WITH session AS (
    INSERT INTO sessions (user_id, organization_id, last_used_at, expires_at, ip_address,
      user_agent, auth_method)
    VALUES ($1, $2, $3, $4, $5, $6, $7)
    RETURNING id
  )
  INSERT INTO refresh_tokens (session_id, token_hash, expires_at)
  SELECT id, $8::varchar, $4::timestamptz FROM session
  RETURNING session_id`;

/** An email's domain as the SSO feature stores domains: IDNA ASCII (punycode). */
function ssoDomain(email: string): string {
  const suffix = email.slice(email.lastIndexOf('@') + 1);

  return domainToASCII(suffix) || suffix;
}

type RefreshOutcome =
  { ok: true; tokens: TokenResponseDto } | { ok: false; error: AuthErrorCode; sessionId?: string };

/** Roles a self-registered user gets; the request body can never choose them. */
const REGISTRATION_ROLES = ['member'];

type LoginRefusal =
  'invalid_credentials' | 'account_locked' | 'email_not_verified' | 'sso_required';

/** How each refused password login counts in the authentication metric. */
const LOGIN_OUTCOMES: Record<LoginRefusal, AuthOutcome> = {
  invalid_credentials: 'failure',
  account_locked: 'locked',
  email_not_verified: 'denied',
  sso_required: 'denied',
};

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
    private readonly loginAttempts: LoginAttemptsService,
    private readonly mfa: MfaService,
    private readonly mfaChallenges: MfaChallenges,
    private readonly verification: EmailVerificationService,
    private readonly metrics: Metrics,
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
    // Such an account could never sign in with its password: it comes through SSO instead.
    if (await this.ssoRequired(email, organization.id)) {
      throw new AuthException('AUTH_SSO_REQUIRED');
    }
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

  async login(
    input: LoginDto,
    actor: AuditContext,
  ): Promise<TokenResponseDto | MfaChallengeResponseDto> {
    const attempt = await this.loginAttempts.begin(input.email).catch((error: unknown) => {
      // The per-account limit is enforced below the guards; it counts as its own policy.
      if (error instanceof RateLimitedException) this.metrics.rateLimited('login_account');
      throw error;
    });
    const user = await this.users.findByEmailWithPassword(input.email);
    // Unknown email, SSO-only account, disabled account, locked account and wrong password
    // cost the same work and get the same answer. A locked account's hash is not checked.
    const verified =
      attempt.allowed && user?.passwordHash != null
        ? await this.hasher.verify(input.password, user.passwordHash)
        : { valid: await this.hasher.verifyDummy(input.password), needsRehash: false };
    if (!user || !verified.valid || !user.isActive) {
      this.logger.warn({ event: 'login_failed', user_id: user?.id });
      const locked = await this.loginAttempts.failed(attempt);
      await this.recordFailedLogin(actor, user?.id ?? null, input.organization_id, {
        reason: attempt.allowed ? 'invalid_credentials' : 'account_locked',
        locked,
      });
      throw new AuthException('AUTH_INVALID_CREDENTIALS');
    }
    await this.loginAttempts.succeeded(attempt);
    if (verified.needsRehash) this.upgradeHash(user.id, input.password);
    // Told only after correct credentials, so it reveals nothing to someone guessing.
    if (this.config.emailVerification.required && user.emailVerifiedAt === null) {
      this.logger.warn({ event: 'login_denied_unverified_email', user_id: user.id });
      await this.recordFailedLogin(actor, user.id, input.organization_id, {
        reason: 'email_not_verified',
        locked: false,
      });
      throw new AuthException('AUTH_EMAIL_NOT_VERIFIED');
    }

    const membership = await this.chooseMembership(user.id, input.organization_id);
    const policy = await this.signInPolicy(user, membership.organizationId);
    if (policy.ssoRequired) {
      this.logger.warn({ event: 'login_denied_sso_required', user_id: user.id });
      await this.recordFailedLogin(actor, user.id, membership.organizationId, {
        reason: 'sso_required',
        locked: false,
      });
      throw new AuthException('AUTH_SSO_REQUIRED');
    }
    // The second factor sits between the password (and membership) and the session: with
    // MFA, or when the organization requires it of this role, no session opens here.
    const challenge = await this.secondFactorChallenge(
      user.id,
      membership,
      policy.mfaEnabled,
      actor,
    );
    if (challenge) return challenge;

    return this.completeLogin(user.id, membership, actor, { method: 'password' });
  }

  /**
   * Completes a login that answered an MFA challenge: a TOTP or recovery code of the
   * challenge's user opens the session in the organization chosen at login. Wrong codes are
   * counted per challenge and per user; the challenge is spent by the first right one.
   */
  async completeMfaLogin(
    mfaToken: string,
    code: string,
    actor: AuditContext,
  ): Promise<TokenResponseDto> {
    const challenge = await this.mfaChallenges.find(mfaToken, actor.userAgent);
    await this.mfaChallenges.checkUserBudget(challenge.userId);
    const [user, membership] = await Promise.all([
      this.users.findById(challenge.userId),
      this.organizations.findActiveMembership(challenge.userId, challenge.organizationId),
    ]);
    if (!user?.isActive) throw new MfaException('MFA_INVALID_CHALLENGE');
    if (!membership) throw new AuthException('AUTH_ORGANIZATION_ACCESS_DENIED');
    // An enrolment token comes here once its user has confirmed an authenticator.
    if (!(await this.mfa.isEnabled(user.id))) throw new MfaException('MFA_NOT_ENABLED');

    const method = await this.dataSource.transaction(async (manager) => {
      const used = await this.mfa.verifyCode(
        manager,
        user.id,
        membership.organizationId,
        code,
        actor,
      );
      if (used && !(await this.mfaChallenges.redeem(challenge))) {
        throw new MfaException('MFA_INVALID_CHALLENGE');
      }

      return used;
    });
    if (!method) {
      await this.mfaChallenges.recordFailure(challenge);
      this.logger.warn({ event: 'mfa_code_rejected', user_id: user.id });
      this.metrics.authAttempt('mfa', 'failure');
      await this.dataSource.transaction((manager) =>
        this.audit.record(manager, actor, {
          action: 'auth.mfa_verified',
          outcome: 'failure',
          organizationId: membership.organizationId,
          actorUserId: user.id,
          targetType: 'user',
          targetId: user.id,
          details: { reason: 'invalid_code' },
        }),
      );
      throw new MfaException('MFA_INVALID_CODE');
    }

    return this.completeLogin(user.id, membership, actor, {
      method: challenge.firstFactor,
      mfa: method,
    });
  }

  /**
   * The MFA step of a login whose first factor (password or SSO) and membership are
   * established: a challenge when the account has MFA, an enrolment token when the
   * organization requires MFA of the role and the user has none, else null (no second factor).
   */
  private async secondFactorChallenge(
    userId: string,
    membership: Membership,
    mfaEnabled: boolean,
    actor: AuditContext,
    firstFactor: FirstFactor = 'password',
  ): Promise<MfaChallengeResponseDto | null> {
    const kind = mfaEnabled
      ? 'verify'
      : (await this.enrollmentRequired(membership, false))
        ? 'enroll'
        : null;
    if (!kind) return null;

    const issued = await this.mfaChallenges.issue(
      kind,
      userId,
      membership.organizationId,
      actor.userAgent,
      firstFactor,
    );
    await this.dataSource.transaction((manager) =>
      this.audit.record(manager, actor, {
        action: 'auth.mfa_challenged',
        outcome: 'success',
        organizationId: membership.organizationId,
        actorUserId: userId,
        targetType: 'user',
        targetId: userId,
        details: { kind, first_factor: firstFactor },
      }),
    );
    this.logger.log({ event: 'mfa_challenged', user_id: userId, kind });
    const answer = { mfa_token: issued.token, expires_in: issued.expiresIn };

    return kind === 'verify'
      ? { mfa_required: true, ...answer }
      : { mfa_enrollment_required: true, ...answer };
  }

  /**
   * True when the membership's organization requires MFA of its roles and the user lacks it.
   * The organization is the one read with the membership when it was (every membership
   * lookup of OrganizationsService joins it), so the check costs no query of its own.
   */
  private async enrollmentRequired(
    membership: Membership,
    mfaEnabled: boolean,
    manager?: EntityManager,
  ): Promise<boolean> {
    if (mfaEnabled) return false;
    const organization =
      membership.organization ??
      (manager
        ? await manager.getRepository(Organization).findOneBy({ id: membership.organizationId })
        : await this.organizations.findById(membership.organizationId));

    return mfaEnrollmentRequired(organization, membership, false);
  }

  /**
   * The last step of a single sign-on: the SSO flow established who the user is and that
   * they may enter the organization; the same second-factor step as a password login
   * follows, so SSO gives no tokens to a user with MFA, or to an admin of a require_mfa
   * organization without it, before the code.
   */
  async loginWithSso(
    userId: string,
    organizationId: string,
    actor: AuditContext,
    sso: { connection_id: string; protocol: string },
  ): Promise<TokenResponseDto | MfaChallengeResponseDto> {
    const [user, membership] = await Promise.all([
      this.users.findById(userId),
      this.organizations.findActiveMembership(userId, organizationId),
    ]);
    if (!user?.isActive || !membership) throw new AuthException('AUTH_ORGANIZATION_ACCESS_DENIED');

    const challenge = await this.secondFactorChallenge(
      user.id,
      membership,
      await this.mfa.isEnabled(user.id),
      actor,
      'sso',
    );
    if (challenge) return challenge;

    return this.completeLogin(user.id, membership, actor, { method: 'sso', ...sso });
  }

  private async completeLogin(
    userId: string,
    membership: Membership,
    actor: AuditContext,
    details: {
      method: FirstFactor;
      mfa?: SecondFactorMethod;
      connection_id?: string;
      protocol?: string;
    },
  ): Promise<TokenResponseDto> {
    const response = await this.dataSource.transaction(async (manager) => {
      await manager.query(RECORD_SIGN_IN_SQL, [userId, membership.id, new Date()]);
      const tokens = await this.openSession(manager, userId, membership, actor, details.method);
      await this.audit.record(manager, actor, {
        action: 'auth.login',
        outcome: 'success',
        organizationId: membership.organizationId,
        actorUserId: userId,
        targetType: 'session',
        targetId: tokens.session_id,
        details,
      });

      return tokens.response;
    });
    this.metrics.authAttempt(details.mfa ? 'mfa' : details.method, 'success');
    this.logger.log({
      event: 'login_succeeded',
      user_id: userId,
      organization_id: membership.organizationId,
    });

    return response;
  }

  /**
   * Exchanges a refresh token for a new pair. The presented token is spent. Presented again
   * within REFRESH_REUSE_GRACE_SECONDS (two tabs refreshing at once), it answers a fresh
   * access token and the same successor, so the session keeps one live refresh token; after
   * the window only a thief or a replay would present it, and the whole session is revoked.
   */
  async refresh(refreshToken: string, actor: AuditContext): Promise<TokenResponseDto> {
    const hash = this.tokens.hashRefreshToken(refreshToken);
    const outcome = await this.dataSource.transaction(async (manager): Promise<RefreshOutcome> => {
      const stored = await this.lockRefreshToken(manager, hash);
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
      const successor = stored.usedAt
        ? await this.successorInGrace(manager, refreshToken, stored, now)
        : null;
      if (stored.usedAt && !successor) {
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
      const policy = await this.signInPolicy(user, session.organizationId, manager);
      // An organization that turned require_sso on after this password session opened.
      if (session.authMethod !== 'sso' && policy.ssoRequired) {
        await this.revokeSessionRow(manager, session.id, 'sso_required');
        return { ok: false, error: 'AUTH_INVALID_REFRESH_TOKEN', sessionId: session.id };
      }
      // An organization that turned require_mfa on after this session opened: its admins
      // sign in again, through enrolment, rather than refresh past it.
      if (await this.enrollmentRequired(membership, policy.mfaEnabled, manager)) {
        await this.revokeSessionRow(manager, session.id, 'mfa_enrollment_required');
        return { ok: false, error: 'AUTH_INVALID_REFRESH_TOKEN', sessionId: session.id };
      }

      await sessions.update({ id: session.id }, { lastUsedAt: now });
      await this.audit.record(manager, actor, {
        action: 'auth.token_refreshed',
        outcome: 'success',
        organizationId: session.organizationId,
        actorUserId: session.userId,
        targetType: 'session',
        targetId: session.id,
        details: successor ? { reuse_grace: true } : undefined,
      });
      if (successor) {
        // No new refresh token: the session's one live token is the successor already issued.
        return {
          ok: true,
          tokens: this.tokenResponse(session, membership.roles, successor.token, successor.row),
        };
      }

      const next = this.tokens.newRefreshToken();
      await manager
        .getRepository(RefreshToken)
        .update(
          { id: stored.id },
          { usedAt: now, sealedSuccessor: this.tokens.sealSuccessor(refreshToken, next.token) },
        );

      return { ok: true, tokens: await this.issueTokens(manager, session, membership.roles, next) };
    });

    this.metrics.authAttempt('refresh', outcome.ok ? 'success' : 'failure');
    if (!outcome.ok) {
      if (outcome.sessionId) await this.tokens.revokeSessionAccess(outcome.sessionId);
      if (outcome.error === 'AUTH_REFRESH_TOKEN_REUSED') {
        this.logger.warn({ event: 'refresh_token_reused', session_id: outcome.sessionId });
      }
      throw new AuthException(outcome.error);
    }

    return outcome.tokens;
  }

  private lockRefreshToken(manager: EntityManager, hash: string): Promise<RefreshToken | null> {
    return manager
      .getRepository(RefreshToken)
      .createQueryBuilder('token')
      .addSelect('token.sealedSuccessor')
      .where('token.tokenHash = :hash', { hash })
      .setLock('pessimistic_write')
      .getOne();
  }

  /**
   * The session's live refresh token, when `rotated` was rotated less than the grace window
   * ago. Follows the chain (a tab may already have spent the successor) through tokens that
   * were each rotated within the window; anything else is reuse and answers null.
   */
  private async successorInGrace(
    manager: EntityManager,
    rotated: string,
    row: RefreshToken,
    now: Date,
  ): Promise<{ token: string; row: RefreshToken } | null> {
    const graceMs = this.config.refreshReuseGraceSeconds * 1000;
    let token = rotated;
    let current = row;
    // A handful of hops is all a window of seconds can hold; the bound stops a long walk.
    for (let hop = 0; hop < 5; hop++) {
      if (!current.usedAt || now.getTime() - current.usedAt.getTime() > graceMs) return null;
      if (!current.sealedSuccessor) return null;
      const successor = this.tokens.openSuccessor(token, current.sealedSuccessor);
      if (!successor) return null;
      const next = await this.lockRefreshToken(manager, this.tokens.hashRefreshToken(successor));
      if (!next || next.sessionId !== row.sessionId || next.expiresAt <= now) return null;
      if (!next.usedAt) return { token: successor, row: next };
      token = successor;
      current = next;
    }

    return null;
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
      await this.recordSwitchDenied(principal, organizationId, actor, 'no_active_membership');
      throw new AuthException('AUTH_ORGANIZATION_ACCESS_DENIED');
    }

    const policy = await this.signInPolicy(user, organizationId);
    // The identity provider of another organization does not vouch for this one.
    if (policy.ssoRequired) {
      await this.recordSwitchDenied(principal, organizationId, actor, 'sso_required');
      throw new AuthException('AUTH_SSO_REQUIRED');
    }

    // The current session passed this user's own second factor, if any; an organization
    // that requires MFA of the role still refuses a user who has none.
    if (await this.enrollmentRequired(membership, policy.mfaEnabled)) {
      await this.recordSwitchDenied(principal, organizationId, actor, 'mfa_enrollment_required');
      throw new MfaException('MFA_ENROLLMENT_REQUIRED');
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

  /** A refused switch is audited in the organization the caller is in now. */
  private async recordSwitchDenied(
    principal: Principal,
    organizationId: string,
    actor: AuditContext,
    reason: 'no_active_membership' | 'mfa_enrollment_required' | 'sso_required',
  ): Promise<void> {
    this.logger.warn({
      event: 'organization_switch_denied',
      user_id: principal.userId,
      organization_id: organizationId,
      reason,
    });
    await this.dataSource.transaction((manager) =>
      this.audit.record(manager, actor, {
        action: 'auth.organization_switched',
        outcome: 'denied',
        targetType: 'organization',
        targetId: organizationId,
        details: { reason },
      }),
    );
  }

  /**
   * The caller's profile in one statement (the user and its active memberships, aggregated),
   * written out rather than built by TypeORM: `GET auth/me` is the hottest read there is, and
   * one round trip with no query building costs a fraction of two.
   */
  async me(principal: Principal): Promise<UserProfileDto> {
    const [row] = await this.dataSource.query<ProfileRow[]>(PROFILE_SQL, [principal.userId]);
    if (!row || !row.is_active) throw new AuthException('AUTH_INVALID_TOKEN');
    const current = row.organizations.find((entry) => entry.id === principal.organizationId);

    return {
      id: row.id,
      email: row.email,
      first_name: row.first_name,
      last_name: row.last_name,
      email_verified: row.email_verified,
      is_platform_admin: row.is_platform_admin,
      organization_id: principal.organizationId,
      roles: current?.roles ?? [],
      organizations: row.organizations,
      created_at: row.created_at.toISOString(),
      last_login_at: row.last_login_at ? row.last_login_at.toISOString() : null,
    };
  }

  /**
   * A failed login is recorded in the organization the user would have entered, so its
   * admins see it; an unknown email goes to the platform chain, with no email stored. The
   * failure that locks the account records `auth.account_locked` with it.
   */
  private async recordFailedLogin(
    actor: AuditContext,
    userId: string | null,
    requestedOrganizationId: string | undefined,
    outcome: { reason: LoginRefusal; locked: boolean },
  ): Promise<void> {
    let organizationId: string | null = null;
    if (userId) {
      const memberships = await this.organizations.listActiveMemberships(userId);
      const chosen =
        memberships.find((m) => m.organizationId === requestedOrganizationId) ?? memberships[0];
      organizationId = chosen?.organizationId ?? null;
    }
    await this.dataSource.transaction(async (manager) => {
      await this.audit.record(manager, actor, {
        action: 'auth.login',
        outcome: ['email_not_verified', 'sso_required'].includes(outcome.reason)
          ? 'denied'
          : 'failure',
        organizationId,
        actorUserId: userId,
        details: { method: 'password', reason: outcome.reason },
      });
      if (!outcome.locked) return;
      await this.audit.record(manager, actor, {
        action: 'auth.account_locked',
        outcome: 'success',
        organizationId,
        actorUserId: userId,
        targetType: 'user',
        targetId: userId ?? undefined,
        details: {
          failed_attempts: this.config.lockout.maxAttempts,
          locked_for_seconds: this.config.lockout.durationSeconds,
        },
      });
    });
    this.metrics.authAttempt('password', LOGIN_OUTCOMES[outcome.reason]);
    if (outcome.locked) {
      this.metrics.accountLocked();
      this.logger.warn({ event: 'account_locked', user_id: userId });
    }
  }

  /**
   * True when the organization requires SSO and one of its enabled SSO connections serves
   * the email's domain: such a user signs in through the identity provider, never with a
   * password. Read with SQL because the SSO feature sits above this one.
   */
  private async ssoRequired(email: string, organizationId: string): Promise<boolean> {
    if (!this.config.features.sso) return false;
    const [row] = await this.dataSource.query<{ required: boolean }[]>(
      `SELECT ${SSO_REQUIRED} AS required`,
      [organizationId, ssoDomain(email)],
    );

    return row.required;
  }

  /**
   * What the organization and the account ask of a user signing in, in one round trip: SSO
   * (as ssoRequired) and whether the user has MFA (a confirmed authenticator, as
   * MfaService.isEnabled). Login, refresh and switching organization run it on every call.
   */
  private async signInPolicy(
    user: Pick<User, 'id' | 'email'>,
    organizationId: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<{ ssoRequired: boolean; mfaEnabled: boolean }> {
    const [row] = await manager.query<{ sso_required: boolean; mfa_enabled: boolean }[]>(
      `SELECT ${SSO_REQUIRED} AS sso_required,
              EXISTS (SELECT 1 FROM user_totp_factors f
                       WHERE f.user_id = $3 AND f.enabled_at IS NOT NULL) AS mfa_enabled`,
      [organizationId, ssoDomain(user.email), user.id],
    );

    return {
      ssoRequired: this.config.features.sso && row.sso_required,
      mfaEnabled: row.mfa_enabled,
    };
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

  /** Opens a session and its first refresh token, in one statement. */
  private async openSession(
    manager: EntityManager,
    userId: string,
    membership: Membership,
    actor: AuditContext,
    authMethod: FirstFactor = 'password',
  ): Promise<{ response: TokenResponseDto; session_id: string }> {
    const now = new Date();
    const expiresAt = new Date(now.getTime() + this.config.refreshTokenTtlSeconds * 1000);
    const refresh = this.tokens.newRefreshToken();
    const [row] = await manager.query<{ session_id: string }[]>(OPEN_SESSION_SQL, [
      userId,
      membership.organizationId,
      now,
      expiresAt,
      actor.ip?.slice(0, 45) ?? null,
      actor.userAgent,
      authMethod,
      refresh.hash,
    ]);
    const session = { id: row.session_id, userId, organizationId: membership.organizationId };

    return {
      response: this.tokenResponse(session, membership.roles, refresh.token, { expiresAt }),
      session_id: session.id,
    };
  }

  private async issueTokens(
    manager: EntityManager,
    session: Session,
    roles: string[],
    refresh = this.tokens.newRefreshToken(),
  ): Promise<TokenResponseDto> {
    const expiresAt = new Date(Date.now() + this.config.refreshTokenTtlSeconds * 1000);
    await manager.getRepository(RefreshToken).insert({
      sessionId: session.id,
      tokenHash: refresh.hash,
      expiresAt,
    });

    return this.tokenResponse(session, roles, refresh.token, { expiresAt });
  }

  /** A fresh access token of the session, with the given refresh token. */
  private tokenResponse(
    session: Pick<Session, 'id' | 'userId' | 'organizationId'>,
    roles: string[],
    refreshToken: string,
    refreshRow: Pick<RefreshToken, 'expiresAt'>,
  ): TokenResponseDto {
    const access = this.tokens.issueAccessToken({
      userId: session.userId,
      organizationId: session.organizationId,
      sessionId: session.id,
      roles,
    });

    return {
      access_token: access.token,
      refresh_token: refreshToken,
      token_type: 'Bearer',
      expires_in: access.expiresIn,
      refresh_expires_in: Math.max(
        0,
        Math.round((refreshRow.expiresAt.getTime() - Date.now()) / 1000),
      ),
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

interface ProfileRow {
  id: string;
  email: string;
  first_name: string;
  last_name: string;
  email_verified: boolean;
  is_platform_admin: boolean;
  is_active: boolean;
  created_at: Date;
  last_login_at: Date | null;
  organizations: { id: string; name: string; slug: string; roles: string[] }[];
}

/** A live user with its active memberships in live organizations, most recently used first. */
const PROFILE_SQL = `
  SELECT u.id, u.email, u.first_name, u.last_name, u.email_verified_at IS NOT NULL AS email_verified,
         u.is_platform_admin, u.is_active, u.created_at, u.last_login_at,
         COALESCE(
           (SELECT json_agg(
                     json_build_object('id', o.id, 'name', o.name, 'slug', o.slug, 'roles', m.roles)
                     ORDER BY m.last_used_at DESC NULLS LAST, m.created_at)
              FROM memberships m
              JOIN organizations o ON o.id = m.organization_id AND o.deleted_at IS NULL
             WHERE m.user_id = u.id AND m.status = 'active'),
           '[]') AS organizations
    FROM users u
   WHERE u.id = $1 AND u.deleted_at IS NULL`;

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
