import {
  Column,
  CreateDateColumn,
  DeleteDateColumn,
  Entity,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';

export const ORGANIZATION_PLANS = ['trial', 'starter', 'professional', 'enterprise'] as const;
export type OrganizationPlan = (typeof ORGANIZATION_PLANS)[number];

export const REGISTRATION_POLICIES = ['open', 'allowed_domains', 'invitation_only'] as const;
export type RegistrationPolicy = (typeof REGISTRATION_POLICIES)[number];

@Entity({ name: 'organizations' })
export class Organization {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  /** Unique among organizations that are not deleted. */
  @Column({ type: 'varchar', length: 100 })
  slug!: string;

  @Column({ type: 'varchar', length: 20, default: 'trial' })
  plan!: OrganizationPlan;

  /** Null means no limit. */
  @Column({ name: 'max_users', type: 'integer', nullable: true })
  maxUsers!: number | null;

  @Column({ name: 'max_teams', type: 'integer', nullable: true })
  maxTeams!: number | null;

  @Column({ name: 'registration_policy', type: 'varchar', length: 20, default: 'open' })
  registrationPolicy!: RegistrationPolicy;

  @Column({ name: 'allowed_email_domains', type: 'text', array: true, default: () => "'{}'" })
  allowedEmailDomains!: string[];

  @Column({ name: 'require_mfa', type: 'boolean', default: false })
  requireMfa!: boolean;

  @Column({ name: 'require_sso', type: 'boolean', default: false })
  requireSso!: boolean;

  /** Where a finished SSO login may send the browser, compared exactly. */
  @Column({ name: 'sso_return_urls', type: 'text', array: true, default: () => "'{}'" })
  ssoReturnUrls!: string[];

  @Column({ name: 'contact_name', type: 'varchar', length: 200, nullable: true })
  contactName!: string | null;

  @Column({ name: 'contact_email', type: 'varchar', length: 254, nullable: true })
  contactEmail!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  @DeleteDateColumn({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt!: Date | null;
}
