import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager, QueryFailedError } from 'typeorm';
import { AuditContext, AuditService } from '@app/audit';
import { CommonException, Page, toPage } from '@app/common';
import { ReadReplica } from '@app/database';
import { APP_CONFIG, AppConfig } from '@app/config';
import { User, normalizeEmail } from '@app/users';
import { AccessRevocationService } from './access-revocation.service';
import { AccessService } from './access.service';
import { Caller } from './caller';
import { DenialRecorder } from './denial-recorder.service';
import {
  CreatedOrganizationDto,
  CreateOrganizationDto,
  ListOrganizationsQueryDto,
  OrganizationDto,
  UpdateOrganizationDto,
} from './dto/organization.dto';
import { Invitation } from './invitation.entity';
import { hashInvitationToken } from './invitations.service';
import { Membership } from './membership.entity';
import { Organization } from './organization.entity';
import { OrganizationsException } from './organizations.exception';
import { escapeLike, isUniqueViolation } from './sql';

const OWNER_ROLE = 'owner';

/** API field name -> entity property, for the fields an update may change. */
const FIELDS = {
  name: 'name',
  slug: 'slug',
  plan: 'plan',
  max_users: 'maxUsers',
  max_teams: 'maxTeams',
  contact_name: 'contactName',
  contact_email: 'contactEmail',
  registration_policy: 'registrationPolicy',
  allowed_email_domains: 'allowedEmailDomains',
  require_mfa: 'requireMfa',
  require_sso: 'requireSso',
  sso_return_urls: 'ssoReturnUrls',
} as const satisfies Record<keyof UpdateOrganizationDto, keyof Organization>;

type Field = keyof typeof FIELDS;

/** Commercial terms: only a platform administrator changes them. */
const PLAN_FIELDS: Field[] = ['plan', 'max_users', 'max_teams'];

/** Who may join and how members sign in: organizations:manage_security. */
const SECURITY_FIELDS: Field[] = [
  'registration_policy',
  'allowed_email_domains',
  'require_mfa',
  'require_sso',
  'sso_return_urls',
];

/**
 * Creating, listing, reading, updating and deleting organizations. Platform administrators
 * reach every organization; members only the one their access token is for.
 */
@Injectable()
export class OrganizationsAdminService {
  private readonly logger = new Logger(OrganizationsAdminService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly revocation: AccessRevocationService,
    private readonly denials: DenialRecorder,
    private readonly access: AccessService,
    private readonly replica: ReadReplica,
  ) {}

  async create(input: CreateOrganizationDto, actor: AuditContext): Promise<CreatedOrganizationDto> {
    checkDomainsPolicy(input.registration_policy ?? 'open', input.allowed_email_domains ?? []);

    const { organization, owner } = await this.dataSource.transaction(async (manager) => {
      const repository = manager.getRepository(Organization);
      if (await repository.existsBy({ slug: input.slug })) {
        throw new OrganizationsException('ORGANIZATION_SLUG_TAKEN');
      }
      const created = await saveUnique(
        manager,
        repository.create({
          name: input.name,
          slug: input.slug,
          plan: input.plan ?? 'trial',
          maxUsers: input.max_users ?? null,
          maxTeams: input.max_teams ?? null,
          contactName: input.contact_name ?? null,
          contactEmail: input.contact_email ?? null,
          registrationPolicy: input.registration_policy ?? 'open',
          allowedEmailDomains: input.allowed_email_domains ?? [],
          requireMfa: input.require_mfa ?? false,
          requireSso: input.require_sso ?? false,
          ssoReturnUrls: input.sso_return_urls ?? [],
        }),
      );
      // The new organization's own chain starts with its creation.
      await this.audit.record(manager, actor, {
        action: 'organization.created',
        outcome: 'success',
        organizationId: created.id,
        targetType: 'organization',
        targetId: created.id,
        details: { slug: created.slug, plan: created.plan },
      });
      const firstOwner = input.owner_email
        ? await this.appointFirstOwner(manager, created.id, input.owner_email, actor)
        : {};

      return { organization: created, owner: firstOwner };
    });
    this.logger.log({ event: 'organization_created', organization_id: organization.id });

    return { ...toOrganizationDto(organization), ...owner };
  }

  /**
   * A new organization has no members, and every member route is scoped to an organization
   * the caller belongs to: the first owner comes with the creation. An existing user becomes
   * owner at once; for anyone else an owner invitation is created, its token returned once.
   */
  private async appointFirstOwner(
    manager: EntityManager,
    organizationId: string,
    ownerEmail: string,
    actor: AuditContext,
  ): Promise<Pick<CreatedOrganizationDto, 'owner_user_id' | 'owner_invitation'>> {
    const email = normalizeEmail(ownerEmail);
    const user = await manager.getRepository(User).findOneBy({ email });
    if (user) {
      await manager
        .getRepository(Membership)
        .insert({ organizationId, userId: user.id, roles: [OWNER_ROLE] });
      await this.audit.record(manager, actor, {
        action: 'member.added',
        outcome: 'success',
        organizationId,
        targetType: 'user',
        targetId: user.id,
        details: { roles: [OWNER_ROLE], reason: 'first_owner' },
      });
      return { owner_user_id: user.id };
    }

    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + this.config.invitations.expireDays * 86_400_000);
    const invitation = await manager.getRepository(Invitation).save(
      manager.getRepository(Invitation).create({
        organizationId,
        email,
        roles: [OWNER_ROLE],
        teamIds: [],
        tokenHash: hashInvitationToken(token),
        invitedBy: actor.actorUserId,
        expiresAt,
      }),
    );
    await this.audit.record(manager, actor, {
      action: 'invitation.created',
      outcome: 'success',
      organizationId,
      targetType: 'invitation',
      targetId: invitation.id,
      details: { roles: [OWNER_ROLE], reason: 'first_owner', expires_at: expiresAt.toISOString() },
    });

    return {
      owner_invitation: { id: invitation.id, token, expires_at: expiresAt.toISOString() },
    };
  }

  /** Read on a replica when there is one. */
  list(query: ListOrganizationsQueryDto): Promise<Page<OrganizationDto>> {
    return this.replica.read((manager) => this.listOn(manager, query));
  }

  private async listOn(
    manager: EntityManager,
    query: ListOrganizationsQueryDto,
  ): Promise<Page<OrganizationDto>> {
    const builder = manager
      .getRepository(Organization)
      .createQueryBuilder('organization')
      .orderBy('organization.name', 'ASC')
      .addOrderBy('organization.id', 'ASC')
      .take(query.limit)
      .skip(query.offset);
    if (query.search) {
      builder.andWhere(
        "(organization.name ILIKE :pattern ESCAPE '\\' OR organization.slug ILIKE :pattern ESCAPE '\\')",
        { pattern: `%${escapeLike(query.search)}%` },
      );
    }
    const [organizations, total] = await builder.getManyAndCount();

    return toPage(organizations.map(toOrganizationDto), total, query);
  }

  /** A platform administrator reads any organization; anyone else only their token's. */
  async get(id: string, caller: Caller): Promise<OrganizationDto> {
    await this.checkReachable(id, caller);
    const organization = await this.dataSource.getRepository(Organization).findOneBy({ id });
    if (!organization) throw new OrganizationsException('ORGANIZATION_NOT_FOUND');

    return toOrganizationDto(organization);
  }

  /**
   * Applies the fields that differ from the stored values. Plan and quotas are reserved to
   * platform administrators, the security fields need organizations:manage_security; a
   * refused field refuses the whole update.
   */
  async update(
    id: string,
    input: UpdateOrganizationDto,
    caller: Caller,
    actor: AuditContext,
  ): Promise<OrganizationDto> {
    const isPlatformAdmin = await this.checkReachable(id, caller);

    const outcome = await this.dataSource.transaction(async (manager) => {
      const organization = await lockOrganization(manager, id);
      if (!organization) throw new OrganizationsException('ORGANIZATION_NOT_FOUND');
      const changed = changedFields(organization, input);
      const refusal = isPlatformAdmin ? null : this.refusalFor(changed, caller);
      if (refusal) return { refusal, changed };
      if (changed.length === 0) return { organization, changed };

      checkDomainsPolicy(
        input.registration_policy ?? organization.registrationPolicy,
        input.allowed_email_domains ?? organization.allowedEmailDomains,
      );
      if (changed.includes('require_sso') && input.require_sso === true) {
        await refuseSsoLockout(manager, id, caller.userId);
      }
      if (changed.includes('slug')) {
        const taken = await manager.getRepository(Organization).existsBy({ slug: input.slug });
        if (taken) throw new OrganizationsException('ORGANIZATION_SLUG_TAKEN');
      }
      for (const field of changed) {
        Object.assign(organization, { [FIELDS[field]]: input[field] });
      }
      const saved = await saveUnique(manager, organization);
      await this.audit.record(manager, actor, {
        action: 'organization.updated',
        outcome: 'success',
        organizationId: id,
        targetType: 'organization',
        targetId: id,
        details: { changed_fields: changed },
      });

      return { organization: saved, changed };
    });

    if (outcome.refusal) {
      return this.denials.deny(
        actor,
        outcome.refusal,
        { type: 'organization', id },
        { fields: outcome.changed },
      );
    }

    return toOrganizationDto(outcome.organization);
  }

  /**
   * Soft-deletes the organization and ends all access to it: its sessions are revoked (no
   * refresh, no login, no switch into it) and its members' live access tokens fail at once.
   * Not the caller's own current organization: a platform administrator whose only membership
   * it was could never sign in again, and nothing in the API could bring the account back.
   */
  async remove(id: string, actor: AuditContext): Promise<void> {
    if (id === actor.organizationId) throw new OrganizationsException('ORGANIZATION_IS_CURRENT');
    const revokedSessions = await this.dataSource.transaction(async (manager) => {
      const organization = await lockOrganization(manager, id);
      if (!organization) throw new OrganizationsException('ORGANIZATION_NOT_FOUND');

      await manager.getRepository(Organization).softDelete({ id });
      const sessions = await this.revocation.revokeOrganizationSessions(
        manager,
        id,
        'organization_deleted',
      );
      await this.audit.record(manager, actor, {
        action: 'organization.deleted',
        outcome: 'success',
        organizationId: id,
        targetType: 'organization',
        targetId: id,
        details: { slug: organization.slug, sessions_revoked: sessions },
      });

      return sessions;
    });
    await this.revocation.blockOrganization(id);
    this.logger.log({
      event: 'organization_deleted',
      organization_id: id,
      sessions_revoked: revokedSessions,
    });
  }

  /**
   * Another organization than the token's is invisible (404) to all but platform admins.
   * Returns whether the caller is a platform administrator.
   */
  private async checkReachable(id: string, caller: Caller): Promise<boolean> {
    const isPlatformAdmin =
      caller.isPlatformAdmin ?? (await this.access.isPlatformAdmin(caller.userId));
    if (id !== caller.organizationId && !isPlatformAdmin) {
      throw new OrganizationsException('ORGANIZATION_NOT_FOUND');
    }

    return isPlatformAdmin;
  }

  private refusalFor(changed: Field[], caller: Caller): OrganizationsException | null {
    const plan = changed.filter((field) => PLAN_FIELDS.includes(field));
    if (plan.length > 0) {
      return new OrganizationsException(
        'ORGANIZATION_PLAN_CHANGE_FORBIDDEN',
        `Only a platform administrator can change ${plan.join(', ')}`,
      );
    }
    const security = changed.filter((field) => SECURITY_FIELDS.includes(field));
    if (security.length > 0 && !caller.permissions.has('organizations:manage_security')) {
      return new OrganizationsException(
        'ORGANIZATION_SECURITY_CHANGE_FORBIDDEN',
        `Changing ${security.join(', ')} requires organizations:manage_security`,
      );
    }

    return null;
  }
}

/**
 * Refuses to require SSO while the caller would be locked out by it: their email's domain is
 * proven by an enabled SSO connection of the organization, and they have never signed in
 * through one of its connections. Read with SQL, since the SSO feature sits above this one.
 */
async function refuseSsoLockout(
  manager: EntityManager,
  organizationId: string,
  userId: string,
): Promise<void> {
  const rows = await manager.query<Array<{ signed_in: boolean }>>(
    `SELECT EXISTS (SELECT 1 FROM sso_identities i
                      JOIN sso_connections c ON c.id = i.connection_id
                     WHERE i.user_id = u.id AND c.organization_id = $1 AND c.enabled) AS signed_in
       FROM users u
       JOIN sso_connections c ON c.organization_id = $1 AND c.enabled
       JOIN sso_connection_domains d
         ON d.connection_id = c.id AND d.verified_at IS NOT NULL
        AND d.domain = split_part(u.email, '@', 2)
      WHERE u.id = $2
      LIMIT 1`,
    [organizationId, userId],
  );
  if (rows.length > 0 && !rows[0].signed_in) {
    throw new OrganizationsException(
      'ORGANIZATION_SSO_LOCKOUT',
      'Sign in once through the SSO connection that serves your email domain, then require SSO',
    );
  }
}

/** Locks a live organization's row for this transaction; null when absent or deleted. */
export async function lockOrganization(
  manager: EntityManager,
  id: string,
): Promise<Organization | null> {
  return manager
    .getRepository(Organization)
    .createQueryBuilder('organization')
    .where('organization.id = :id', { id })
    .setLock('pessimistic_write')
    .getOne();
}

function changedFields(organization: Organization, input: UpdateOrganizationDto): Field[] {
  return (Object.keys(FIELDS) as Field[]).filter((field) => {
    const value = input[field];
    if (value === undefined) return false;

    return JSON.stringify(value) !== JSON.stringify(organization[FIELDS[field]]);
  });
}

/** An allowed_domains policy without domains would silently close registration. */
function checkDomainsPolicy(policy: string, domains: string[]): void {
  if (policy === 'allowed_domains' && domains.length === 0) {
    const message = 'allowed_email_domains must name at least one domain for allowed_domains';
    throw new CommonException('VALIDATION_FAILED', message, [
      { field: 'allowed_email_domains', message },
    ]);
  }
}

/** Saves, turning the live-slug unique index's violation (a concurrent create) into a 409. */
async function saveUnique(manager: EntityManager, organization: Organization) {
  try {
    return await manager.getRepository(Organization).save(organization);
  } catch (error) {
    if (error instanceof QueryFailedError && isUniqueViolation(error)) {
      throw new OrganizationsException('ORGANIZATION_SLUG_TAKEN');
    }
    throw error;
  }
}

export function toOrganizationDto(organization: Organization): OrganizationDto {
  return {
    id: organization.id,
    name: organization.name,
    slug: organization.slug,
    plan: organization.plan,
    max_users: organization.maxUsers,
    max_teams: organization.maxTeams,
    contact_name: organization.contactName,
    contact_email: organization.contactEmail,
    registration_policy: organization.registrationPolicy,
    allowed_email_domains: organization.allowedEmailDomains,
    require_mfa: organization.requireMfa,
    require_sso: organization.requireSso,
    sso_return_urls: organization.ssoReturnUrls,
    created_at: organization.createdAt.toISOString(),
    updated_at: organization.updatedAt.toISOString(),
  };
}
