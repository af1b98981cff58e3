import {
  Column,
  CreateDateColumn,
  Entity,
  OneToMany,
  PrimaryColumn,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
  ManyToOne,
  JoinColumn,
} from 'typeorm';
import type { ProfileMapping } from './sso-protocol';

export const SSO_PROTOCOLS = ['saml', 'oidc'] as const;
export type SsoProtocolName = (typeof SSO_PROTOCOLS)[number];

/**
 * One organization's link to an identity provider. The columns of the other protocol stay
 * empty. Secret columns hold ciphertexts of SecretCipher and are not selected by default.
 */
@Entity({ name: 'sso_connections' })
export class SsoConnection {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ name: 'organization_id', type: 'uuid' })
  organizationId!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'varchar', length: 10 })
  protocol!: SsoProtocolName;

  @Column({ type: 'boolean', default: true })
  enabled!: boolean;

  /** Role key a user provisioned through this connection receives. */
  @Column({ name: 'default_role', type: 'varchar', length: 100, default: 'member' })
  defaultRole!: string;

  /** SAML attribute names or OIDC claim names of the profile fields. */
  @Column({ name: 'profile_mapping', type: 'jsonb', default: () => "'{}'" })
  profileMapping!: ProfileMapping;

  @Column({ name: 'saml_idp_entity_id', type: 'varchar', length: 1024, nullable: true })
  samlIdpEntityId!: string | null;

  @Column({ name: 'saml_sso_url', type: 'varchar', length: 2048, nullable: true })
  samlSsoUrl!: string | null;

  /** PEM; two during a certificate rollover. */
  @Column({ name: 'saml_idp_certificates', type: 'text', array: true, default: () => "'{}'" })
  samlIdpCertificates!: string[];

  @Column({ name: 'saml_name_id_format', type: 'varchar', length: 255, nullable: true })
  samlNameIdFormat!: string | null;

  @Column({ name: 'saml_want_assertions_signed', type: 'boolean', default: true })
  samlWantAssertionsSigned!: boolean;

  @Column({ name: 'saml_allow_idp_initiated', type: 'boolean', default: false })
  samlAllowIdpInitiated!: boolean;

  @Column({ name: 'saml_sp_private_key', type: 'text', nullable: true, select: false })
  samlSpPrivateKey!: string | null;

  @Column({ name: 'saml_sp_certificate', type: 'text', nullable: true })
  samlSpCertificate!: string | null;

  @Column({ name: 'oidc_issuer', type: 'varchar', length: 2048, nullable: true })
  oidcIssuer!: string | null;

  @Column({ name: 'oidc_client_id', type: 'varchar', length: 255, nullable: true })
  oidcClientId!: string | null;

  @Column({ name: 'oidc_client_secret', type: 'text', nullable: true, select: false })
  oidcClientSecret!: string | null;

  @Column({ name: 'oidc_scopes', type: 'text', array: true, default: () => "'{}'" })
  oidcScopes!: string[];

  @OneToMany(() => SsoConnectionDomain, (domain) => domain.connection)
  domains?: SsoConnectionDomain[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}

/**
 * An email domain a connection claims. Claims route logins only once proven (a DNS TXT record
 * with the token); a domain is proven for one connection on the whole platform.
 */
@Entity({ name: 'sso_connection_domains' })
export class SsoConnectionDomain {
  @PrimaryColumn({ name: 'connection_id', type: 'uuid' })
  connectionId!: string;

  @PrimaryColumn({ type: 'varchar', length: 253 })
  domain!: string;

  @Column({ name: 'verification_token', type: 'varchar', length: 64 })
  verificationToken!: string;

  @Column({ name: 'verified_at', type: 'timestamptz', nullable: true })
  verifiedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @ManyToOne(() => SsoConnection, (connection) => connection.domains, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'connection_id' })
  connection?: SsoConnection;
}

/** A user's identity at one connection's identity provider (SAML NameID, OIDC `sub`). */
@Entity({ name: 'sso_identities' })
export class SsoIdentity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'connection_id', type: 'uuid' })
  connectionId!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ type: 'varchar', length: 1024 })
  subject!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'last_login_at', type: 'timestamptz', default: () => 'now()' })
  lastLoginAt!: Date;
}
