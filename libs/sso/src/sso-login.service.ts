import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AuditContext, AuditService } from '@app/audit';
import { KEY_VALUE_STORE, KeyValueStore } from '@app/cache';
import { APP_CONFIG, AppConfig } from '@app/config';
import { toDisplayText } from '@app/common';
import { Metrics } from '@app/observability';
import { Membership, Organization, Role, isBuiltInRole } from '@app/organizations';
import { User, UsersService, normalizeEmail } from '@app/users';
import { emailDomain } from './domain-verification';
import { OidcProtocol } from './oidc/oidc-protocol';
import { SamlProtocol } from './saml/saml-protocol';
import { SsoConnection, SsoIdentity } from './sso-connection.entity';
import { SsoConnectionsService } from './sso-connections.service';
import {
  ExternalProfile,
  SSO_FAILURE_REASONS,
  SsoFailureReason,
  SsoFlowCarry,
  SsoProtocolError,
} from './sso-protocol';
import { SsoException } from './sso.exception';

/** How long the browser's one-time code can be exchanged for tokens. */
export const EXCHANGE_CODE_TTL_SECONDS = 60;

/** Refusals decided here, after the protocol accepted the identity provider's answer. */
const PROVISIONING_REFUSALS = {
  email_domain_not_served: "the email's domain is not served by this connection",
  email_not_verified: 'the identity provider did not verify the email address',
  account_in_other_organization: 'an account with this email exists outside this organization',
  membership_deactivated: 'the member is deactivated in this organization',
  removed_from_organization: 'the user was removed from this organization',
  user_inactive: 'the user account is disabled',
  organization_full: 'the organization has reached its user limit',
  default_role_missing: "the connection's default role no longer exists",
  return_url_not_allowed: "the return URL is not in the organization's allowed list",
} as const;

type ProvisioningRefusal = keyof typeof PROVISIONING_REFUSALS;

/**
 * Refusals that would tell whoever controls the identity provider something about an account
 * (that it exists elsewhere, or is disabled): the browser gets one sentence for all of them;
 * the audit log keeps the reason for the administrators.
 */
const ACCOUNT_REFUSALS: ReadonlySet<ProvisioningRefusal> = new Set([
  'account_in_other_organization',
  'membership_deactivated',
  'removed_from_organization',
  'user_inactive',
]);
const ACCOUNT_REFUSED = 'this account cannot sign in through this connection';

class ProvisioningRefused extends Error {
  constructor(readonly reason: ProvisioningRefusal) {
    super(PROVISIONING_REFUSALS[reason]);
  }
}

interface ExchangeGrant {
  userId: string;
  organizationId: string;
  connectionId: string;
  protocol: SsoConnection['protocol'];
}

const keys = {
  code: (hash: string) => `sso:exchange:${hash}`,
  spent: (hash: string) => `sso:exchange-spent:${hash}`,
};

/**
 * The browser side of single sign-on: start a login at a connection's identity provider,
 * take its answer, provision or link the user, and send the browser back to the client
 * application with a one-time code. Every attempt is audited, with a reason an
 * administrator can act on when it fails.
 */
@Injectable()
export class SsoLoginService {
  private readonly logger = new Logger(SsoLoginService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(KEY_VALUE_STORE) private readonly store: KeyValueStore,
    private readonly dataSource: DataSource,
    private readonly connections: SsoConnectionsService,
    private readonly users: UsersService,
    private readonly audit: AuditService,
    private readonly saml: SamlProtocol,
    private readonly oidc: OidcProtocol,
    private readonly metrics: Metrics,
  ) {}

  /** How the owner of an email signs in; the same answer whether or not the user exists. */
  async discover(email: string): Promise<{
    method: 'password' | 'sso';
    connection_id?: string;
    protocol?: SsoConnection['protocol'];
    organization_id?: string;
    login_url?: string;
  }> {
    const connection = await this.connections.findByDomain(emailDomain(normalizeEmail(email)));
    if (!connection) return { method: 'password' };

    return {
      method: 'sso',
      connection_id: connection.id,
      protocol: connection.protocol,
      organization_id: connection.organizationId,
      login_url: this.connections.urls.login(connection),
    };
  }

  /** The identity provider's address for a new login; the return URL is checked first. */
  async start(
    connectionId: string,
    protocol: SsoConnection['protocol'],
    returnUrl: string,
    clientState: string | undefined,
  ): Promise<string> {
    const connection = await this.usable(connectionId, protocol);
    await this.checkReturnUrl(connection.organizationId, returnUrl);
    const carry: SsoFlowCarry = { connectionId, returnUrl, clientState };

    return this.protocolCall(connection, null, () =>
      connection.protocol === 'saml'
        ? this.saml.loginUrl(
            this.connections.samlSettings(connection),
            this.connections.urls.serviceProvider(connection.id),
            carry,
          )
        : this.oidc.begin(
            this.connections.oidcSettings(connection),
            this.connections.urls.oidcRedirect(connection.id),
            carry,
          ),
    );
  }

  /** The OIDC redirect URI of a connection, as registered at the provider. */
  oidcRedirectUri(connectionId: string): string {
    return this.connections.urls.oidcRedirect(connectionId);
  }

  /** SP metadata XML of a SAML connection. */
  async samlMetadata(connectionId: string): Promise<string> {
    const connection = await this.usable(connectionId, 'saml');

    return this.saml.metadata(
      this.connections.samlSettings(connection),
      this.connections.urls.serviceProvider(connection.id),
    );
  }

  /** The SAML assertion consumer service: answers where to send the browser. */
  async finishSaml(connectionId: string, body: Record<string, unknown>, actor: AuditContext) {
    const connection = await this.usable(connectionId, 'saml');
    const result = await this.protocolCall(connection, actor, () =>
      this.saml.acs(
        this.connections.samlSettings(connection),
        this.connections.urls.serviceProvider(connection.id),
        { SAMLResponse: body.SAMLResponse, RelayState: body.RelayState },
      ),
    );
    // An IdP-initiated response brings no carry; its RelayState may name the return URL.
    const carry: SsoFlowCarry = result.carry ?? {
      connectionId,
      returnUrl: result.relayState ?? '',
    };

    return this.complete(connection, result.profile, carry, actor);
  }

  /** The OIDC redirect endpoint: answers where to send the browser. */
  async finishOidc(connectionId: string, callbackUrl: URL, actor: AuditContext) {
    const connection = await this.usable(connectionId, 'oidc');
    const result = await this.protocolCall(connection, actor, () =>
      this.oidc.finish(
        this.connections.oidcSettings(connection),
        this.connections.urls.oidcRedirect(connection.id),
        callbackUrl,
      ),
    );

    return this.complete(connection, result.profile, result.carry, actor);
  }

  /**
   * Spends a one-time code: the first exchange gets the grant, any later one nothing. The
   * code is kept in the store under its SHA-256 only.
   */
  async redeem(code: string): Promise<ExchangeGrant> {
    const hash = createHash('sha256').update(code, 'utf8').digest('hex');
    const raw = await this.store.get(keys.code(hash));
    if (raw === null) throw new SsoException('SSO_INVALID_CODE');
    if (!(await this.store.setIfAbsent(keys.spent(hash), '1', EXCHANGE_CODE_TTL_SECONDS))) {
      throw new SsoException('SSO_INVALID_CODE');
    }
    await this.store.delete(keys.code(hash));

    return JSON.parse(raw) as ExchangeGrant;
  }

  private async complete(
    connection: SsoConnection,
    profile: ExternalProfile,
    carry: SsoFlowCarry,
    actor: AuditContext,
  ): Promise<string> {
    if (carry.connectionId !== connection.id) {
      await this.recordFailure(connection, actor, 'state_mismatch');
      throw new SsoException('SSO_LOGIN_FAILED', SSO_FAILURE_REASONS.state_mismatch);
    }
    let grant: ExchangeGrant;
    try {
      await this.checkReturnUrl(connection.organizationId, carry.returnUrl);
      const names = {
        firstName: storableName(profile.firstName),
        lastName: storableName(profile.lastName),
      };
      grant = await this.dataSource.transaction((manager) =>
        this.provision(manager, connection, { ...profile, ...names }, actor),
      );
    } catch (error) {
      const reason =
        error instanceof ProvisioningRefused
          ? error.reason
          : error instanceof SsoException && error.code === 'SSO_RETURN_URL_NOT_ALLOWED'
            ? 'return_url_not_allowed'
            : null;
      if (!reason) throw error;
      await this.recordFailure(connection, actor, reason);
      throw new SsoException(
        reason === 'return_url_not_allowed' ? 'SSO_RETURN_URL_NOT_ALLOWED' : 'SSO_LOGIN_REFUSED',
        ACCOUNT_REFUSALS.has(reason) ? ACCOUNT_REFUSED : PROVISIONING_REFUSALS[reason],
      );
    }

    const code = randomBytes(32).toString('base64url');
    const hash = createHash('sha256').update(code, 'utf8').digest('hex');
    await this.store.set(keys.code(hash), JSON.stringify(grant), EXCHANGE_CODE_TTL_SECONDS);
    this.metrics.ssoAttempt(connection.protocol, 'success');
    this.logger.log({
      event: 'sso_login_succeeded',
      user_id: grant.userId,
      organization_id: grant.organizationId,
      connection_id: connection.id,
    });
    const target = new URL(carry.returnUrl);
    target.searchParams.set('code', code);
    if (carry.clientState !== undefined) target.searchParams.set('state', carry.clientState);

    return target.toString();
  }

  /**
   * Finds or creates the user of a validated profile and their membership, in one
   * transaction with the organization row locked (seats are counted one login at a time).
   * An identity already linked to this connection wins; an existing account is linked only
   * when the identity provider verified the address, the domain is the connection's, and the
   * account is already a member here: a connection never reaches into another organization.
   */
  private async provision(
    manager: EntityManager,
    connection: SsoConnection,
    profile: ExternalProfile,
    actor: AuditContext,
  ): Promise<ExchangeGrant> {
    const organizationId = connection.organizationId;
    const email = normalizeEmail(profile.email);
    const domain = emailDomain(email);
    if (!(connection.domains ?? []).some((row) => row.domain === domain && row.verifiedAt)) {
      throw new ProvisioningRefused('email_domain_not_served');
    }
    const organization = await manager
      .getRepository(Organization)
      .createQueryBuilder('organization')
      .where('organization.id = :organizationId', { organizationId })
      .setLock('pessimistic_write')
      .getOne();
    if (!organization) throw new SsoException('SSO_CONNECTION_DISABLED');

    const identities = manager.getRepository(SsoIdentity);
    const identity = await identities.findOneBy({
      connectionId: connection.id,
      subject: profile.subject,
    });
    const grant = (userId: string): ExchangeGrant => ({
      userId,
      organizationId,
      connectionId: connection.id,
      protocol: connection.protocol,
    });

    if (identity) {
      const user = await manager.getRepository(User).findOneBy({ id: identity.userId });
      await this.checkExistingMember(manager, user, organizationId, true);
      await this.updateProfile(manager, user!, profile);
      await identities.update({ id: identity.id }, { lastLoginAt: new Date() });

      return grant(user!.id);
    }

    const existing = await manager.getRepository(User).findOneBy({ email });
    if (existing) {
      if (!profile.emailVerified) throw new ProvisioningRefused('email_not_verified');
      await this.checkExistingMember(manager, existing, organizationId, false);
      await this.updateProfile(manager, existing, profile);
      await identities.insert({
        connectionId: connection.id,
        userId: existing.id,
        subject: profile.subject,
      });
      if (existing.emailVerifiedAt === null)
        await this.users.markEmailVerified(existing.id, manager);
      await this.audit.record(manager, actor, {
        action: 'sso.identity_linked',
        outcome: 'success',
        organizationId,
        actorUserId: existing.id,
        targetType: 'user',
        targetId: existing.id,
        details: { connection_id: connection.id },
      });

      return grant(existing.id);
    }

    if (this.config.emailVerification.required && !profile.emailVerified) {
      throw new ProvisioningRefused('email_not_verified');
    }
    if (organization.maxUsers !== null) {
      const members = await manager
        .getRepository(Membership)
        .countBy({ organizationId, status: 'active' });
      if (members >= organization.maxUsers) throw new ProvisioningRefused('organization_full');
    }
    if (
      !isBuiltInRole(connection.defaultRole) &&
      !(await manager.getRepository(Role).existsBy({ organizationId, key: connection.defaultRole }))
    ) {
      throw new ProvisioningRefused('default_role_missing');
    }
    const user = await this.users.create(manager, {
      email,
      passwordHash: null,
      firstName: profile.firstName ?? '',
      lastName: profile.lastName ?? '',
      emailVerified: profile.emailVerified,
    });
    await manager.getRepository(Membership).insert({
      organizationId,
      userId: user.id,
      roles: [connection.defaultRole],
    });
    await identities.insert({
      connectionId: connection.id,
      userId: user.id,
      subject: profile.subject,
    });
    await this.audit.record(manager, actor, {
      action: 'sso.user_provisioned',
      outcome: 'success',
      organizationId,
      actorUserId: user.id,
      targetType: 'user',
      targetId: user.id,
      details: { connection_id: connection.id, roles: [connection.defaultRole] },
    });

    return grant(user.id);
  }

  /**
   * A known user may sign in only while active and an active member here. A linked identity
   * whose membership is gone was removed; an unlinked account without one belongs elsewhere.
   */
  private async checkExistingMember(
    manager: EntityManager,
    user: User | null,
    organizationId: string,
    linked: boolean,
  ): Promise<void> {
    if (!user?.isActive) throw new ProvisioningRefused('user_inactive');
    const membership = await manager
      .getRepository(Membership)
      .findOneBy({ organizationId, userId: user.id });
    if (!membership) {
      throw new ProvisioningRefused(
        linked ? 'removed_from_organization' : 'account_in_other_organization',
      );
    }
    if (membership.status !== 'active') throw new ProvisioningRefused('membership_deactivated');
  }

  /** The identity provider is the source of the mapped profile fields it sends. */
  private async updateProfile(
    manager: EntityManager,
    user: User,
    profile: ExternalProfile,
  ): Promise<void> {
    const changes: Partial<Pick<User, 'firstName' | 'lastName'>> = {};
    if (profile.firstName && profile.firstName !== user.firstName) {
      changes.firstName = profile.firstName;
    }
    if (profile.lastName && profile.lastName !== user.lastName) {
      changes.lastName = profile.lastName;
    }
    if (Object.keys(changes).length > 0) {
      await manager.getRepository(User).update({ id: user.id }, changes);
    }
  }

  private async usable(
    connectionId: string,
    protocol: SsoConnection['protocol'],
  ): Promise<SsoConnection> {
    const connection = await this.connections.findUsable(connectionId);
    if (!connection || connection.protocol !== protocol) {
      throw new SsoException('SSO_CONNECTION_DISABLED');
    }

    return connection;
  }

  private async checkReturnUrl(organizationId: string, returnUrl: string): Promise<void> {
    const organization = await this.dataSource
      .getRepository(Organization)
      .findOneBy({ id: organizationId });
    if (!organization?.ssoReturnUrls.includes(returnUrl)) {
      throw new SsoException('SSO_RETURN_URL_NOT_ALLOWED');
    }
  }

  /**
   * Runs a protocol step. A refusal is audited (when a browser came back with an answer)
   * and becomes a 401 naming the reason; nothing else of the library's error leaves.
   */
  private async protocolCall<T>(
    connection: SsoConnection,
    actor: AuditContext | null,
    call: () => Promise<T>,
  ): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof SsoProtocolError)) throw error;
      if (actor) await this.recordFailure(connection, actor, error.reason);
      if (error.reason === 'provider_unreachable') {
        throw new SsoException('SSO_PROVIDER_UNAVAILABLE', error.message);
      }
      throw new SsoException('SSO_LOGIN_FAILED', error.message);
    }
  }

  private async recordFailure(
    connection: SsoConnection,
    actor: AuditContext,
    reason: SsoFailureReason | ProvisioningRefusal,
  ): Promise<void> {
    this.metrics.ssoAttempt(connection.protocol, 'failure');
    this.logger.warn({ event: 'sso_login_failed', connection_id: connection.id, reason });
    await this.dataSource.transaction((manager) =>
      this.audit.record(manager, actor, {
        action: 'auth.sso_login',
        outcome: 'failure',
        organizationId: connection.organizationId,
        targetType: 'sso_connection',
        targetId: connection.id,
        details: {
          protocol: connection.protocol,
          reason,
          message:
            reason in SSO_FAILURE_REASONS
              ? SSO_FAILURE_REASONS[reason as SsoFailureReason]
              : PROVISIONING_REFUSALS[reason as ProvisioningRefusal],
        },
      }),
    );
  }
}

/** The most characters a user's first or last name column holds. */
const NAME_LENGTH = 100;

/**
 * A name as the identity provider sent it, made storable as a request's name would be: without
 * the characters IsDisplayText refuses, trimmed and cut to the column (whole code points);
 * null when nothing is left.
 */
function storableName(name: string | null): string | null {
  if (name === null) return null;
  const kept = [...toDisplayText(name).trim()].slice(0, NAME_LENGTH).join('').trim();

  return kept || null;
}
