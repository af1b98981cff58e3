import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@app/config';
import { PasswordHasher, User, UsersService, normalizeEmail } from '@app/users';
import { Membership } from './membership.entity';
import { Organization } from './organization.entity';
import { OrganizationsService } from './organizations.service';

export const DEFAULT_ORGANIZATION_SLUG = 'default';

export interface SeedResult {
  organization: Organization;
  organizationCreated: boolean;
  admin: User;
  adminCreated: boolean;
  /** Set only when this run generated the admin's password; it is shown once and never stored. */
  generatedPassword?: string;
}

/**
 * Creates the default organization and a platform administrator who owns it. Idempotent: what
 * exists is left alone, so running it again changes nothing.
 */
@Injectable()
export class SeedService {
  private readonly logger = new Logger(SeedService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly organizations: OrganizationsService,
    private readonly hasher: PasswordHasher,
  ) {}

  async isDatabaseEmpty(): Promise<boolean> {
    const [row] = await this.dataSource.query<{ empty: boolean }[]>(
      'SELECT NOT EXISTS (SELECT 1 FROM organizations) AND NOT EXISTS (SELECT 1 FROM users) AS empty',
    );

    return row.empty;
  }

  async seed(): Promise<SeedResult> {
    const email = normalizeEmail(this.config.seed.adminEmail);
    const generatedPassword = this.config.seed.adminPassword
      ? undefined
      : randomBytes(18).toString('base64url');
    const password = this.config.seed.adminPassword ?? generatedPassword!;
    // Hash outside the transaction: it is slow and needs no lock.
    const passwordHash = await this.hasher.hash(password);

    const result = await this.dataSource.transaction(async (manager) => {
      const [organization, organizationCreated] = await this.ensureOrganization(manager);
      let admin = await manager.getRepository(User).findOneBy({ email });
      const adminCreated = !admin;
      if (!admin) {
        admin = await this.users.create(manager, {
          email,
          passwordHash,
          firstName: 'Platform',
          lastName: 'Administrator',
          isPlatformAdmin: true,
          emailVerified: true,
        });
      }
      const membership = await manager
        .getRepository(Membership)
        .findOneBy({ userId: admin.id, organizationId: organization.id });
      if (!membership) {
        await this.organizations.addMember(manager, organization.id, admin.id, ['owner']);
      }

      return { organization, organizationCreated, admin, adminCreated };
    });
    this.logger.log({
      event: 'seed_completed',
      organization_id: result.organization.id,
      user_id: result.admin.id,
      organization_created: result.organizationCreated,
      admin_created: result.adminCreated,
    });

    return { ...result, generatedPassword: result.adminCreated ? generatedPassword : undefined };
  }

  private async ensureOrganization(manager: EntityManager): Promise<[Organization, boolean]> {
    const repository = manager.getRepository(Organization);
    const existing = await repository.findOneBy({ slug: DEFAULT_ORGANIZATION_SLUG });
    if (existing) return [existing, false];
    const organization = repository.create({
      name: this.config.seed.organizationName,
      slug: DEFAULT_ORGANIZATION_SLUG,
      plan: 'enterprise',
    });

    return [await repository.save(organization), true];
  }
}
