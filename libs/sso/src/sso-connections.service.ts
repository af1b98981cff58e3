import { randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager, In, IsNull, Not } from 'typeorm';
import { AuditContext, AuditService } from '@app/audit';
import { APP_CONFIG, AppConfig } from '@app/config';
import { SecretCipher } from '@app/crypto';
import {
  BUILT_IN_ROLES,
  Caller,
  Permission,
  Role,
  isBuiltInRole,
  missingPermissions,
} from '@app/organizations';
import {
  checkCertificateCurrent,
  checkKeyPair,
  summarizeCertificate,
  toPemCertificate,
} from './certificates';
import {
  CreateSsoConnectionDto,
  OidcSettingsInputDto,
  ProfileMappingDto,
  SamlSettingsInputDto,
  UpdateSsoConnectionDto,
} from './dto/sso-connection-input.dto';
import { SsoConnectionDto } from './dto/sso-connection.dto';
import { DomainVerifier, verificationRecord } from './domain-verification';
import { IssuerAddressError, checkLiteralAddress } from './oidc/issuer-address';
import { InvalidIssuerUrlError, validateIssuerUrl } from './oidc/issuer-url';
import { SamlMetadataError, parseIdpMetadata } from './saml/saml-metadata';
import { MountedSamlCredentials } from './saml/mounted-credentials';
import { SsoConnection, SsoConnectionDomain } from './sso-connection.entity';
import type {
  OidcConnectionSettings,
  ProfileMapping,
  SamlConnectionSettings,
} from './sso-protocol';
import { SsoUrls } from './sso-urls';
import { SsoException } from './sso.exception';

const DEFAULT_OIDC_SCOPES = ['openid', 'email', 'profile'];
const UNIQUE_VIOLATION = '23505';

/** The ciphertext context of a connection's secret: a ciphertext moved to another row fails. */
export function secretContext(
  connectionId: string,
  field: 'sp_private_key' | 'client_secret',
): string {
  return `sso-connection:${connectionId}:${field}`;
}

/**
 * SSO connections of an organization: create, read, update, enable, disable, delete. Every
 * read and write is bound to the caller's organization; another organization's id is a 404.
 * Certificates and keys are checked on save, so a broken connection is refused when it is
 * configured rather than when a user tries to sign in.
 */
@Injectable()
export class SsoConnectionsService {
  private readonly logger = new Logger(SsoConnectionsService.name);
  readonly urls: SsoUrls;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly cipher: SecretCipher,
    private readonly audit: AuditService,
    private readonly mounted: MountedSamlCredentials,
    private readonly verifier: DomainVerifier,
  ) {
    this.urls = new SsoUrls(config.http.publicUrl);
  }

  async create(
    caller: Caller,
    input: CreateSsoConnectionDto,
    actor: AuditContext,
  ): Promise<SsoConnectionDto> {
    const id = randomUUID();
    const connection = Object.assign(new SsoConnection(), {
      id,
      organizationId: caller.organizationId,
      name: input.name,
      protocol: input.protocol,
      enabled: input.enabled ?? true,
      defaultRole: input.default_role ?? 'member',
    });
    this.applyProtocolSettings(connection, input, true);

    const saved = await this.dataSource.transaction(async (manager) => {
      await this.checkDefaultRole(manager, caller, connection.defaultRole);
      await manager.getRepository(SsoConnection).insert(connection);
      await this.replaceDomains(manager, id, input.domains);
      await this.audit.record(manager, actor, {
        action: 'sso_connection.created',
        outcome: 'success',
        organizationId: caller.organizationId,
        targetType: 'sso_connection',
        targetId: id,
        details: { protocol: connection.protocol, domains: input.domains },
      });

      return this.load(manager, caller.organizationId, id);
    });
    this.logger.log({ event: 'sso_connection_created', connection_id: id });

    return this.toDto(saved);
  }

  async list(organizationId: string): Promise<SsoConnectionDto[]> {
    const connections = await this.dataSource.getRepository(SsoConnection).find({
      where: { organizationId },
      relations: { domains: true },
      order: { createdAt: 'ASC' },
    });

    return connections.map((connection) => this.toDto(connection));
  }

  async get(organizationId: string, id: string): Promise<SsoConnectionDto> {
    return this.toDto(await this.load(this.dataSource.manager, organizationId, id));
  }

  async update(
    caller: Caller,
    id: string,
    input: UpdateSsoConnectionDto,
    actor: AuditContext,
  ): Promise<SsoConnectionDto> {
    const saved = await this.dataSource.transaction(async (manager) => {
      const connection = await this.lockWithSecrets(manager, caller.organizationId, id);
      if (input.name !== undefined) connection.name = input.name;
      if (input.enabled !== undefined) connection.enabled = input.enabled;
      if (input.default_role !== undefined) {
        await this.checkDefaultRole(manager, caller, input.default_role);
        connection.defaultRole = input.default_role;
      }
      this.applyProtocolSettings(connection, input, false);
      await manager.getRepository(SsoConnection).save(connection);
      if (input.domains) await this.replaceDomains(manager, id, input.domains);
      await this.audit.record(manager, actor, {
        action: 'sso_connection.updated',
        outcome: 'success',
        organizationId: caller.organizationId,
        targetType: 'sso_connection',
        targetId: id,
        details: { fields: Object.keys(input).sort() },
      });

      return this.load(manager, caller.organizationId, id);
    });
    this.logger.log({ event: 'sso_connection_updated', connection_id: id });

    return this.toDto(saved);
  }

  async setEnabled(
    organizationId: string,
    id: string,
    enabled: boolean,
    actor: AuditContext,
  ): Promise<SsoConnectionDto> {
    const saved = await this.dataSource.transaction(async (manager) => {
      await this.lockWithSecrets(manager, organizationId, id);
      await manager.getRepository(SsoConnection).update({ id }, { enabled });
      await this.audit.record(manager, actor, {
        action: enabled ? 'sso_connection.enabled' : 'sso_connection.disabled',
        outcome: 'success',
        organizationId,
        targetType: 'sso_connection',
        targetId: id,
      });

      return this.load(manager, organizationId, id);
    });

    return this.toDto(saved);
  }

  async remove(organizationId: string, id: string, actor: AuditContext): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const connection = await this.lockWithSecrets(manager, organizationId, id);
      // Domains and linked identities go with the row (ON DELETE CASCADE); users stay.
      await manager.getRepository(SsoConnection).delete({ id });
      await this.audit.record(manager, actor, {
        action: 'sso_connection.deleted',
        outcome: 'success',
        organizationId,
        targetType: 'sso_connection',
        targetId: id,
        details: { protocol: connection.protocol, name: connection.name },
      });
    });
    this.logger.log({ event: 'sso_connection_deleted', connection_id: id });
  }

  /** An enabled connection of a live organization, for the login flows; null otherwise. */
  findUsable(id: string): Promise<SsoConnection | null> {
    return this.dataSource
      .getRepository(SsoConnection)
      .createQueryBuilder('connection')
      .addSelect(['connection.samlSpPrivateKey', 'connection.oidcClientSecret'])
      .innerJoin(
        'organizations',
        'organization',
        'organization.id = connection.organization_id AND organization.deleted_at IS NULL',
      )
      .leftJoinAndSelect('connection.domains', 'domain')
      .where('connection.id = :id AND connection.enabled', { id })
      .getOne();
  }

  /** The enabled connection of a live organization that serves an email domain, if any. */
  findByDomain(domain: string): Promise<SsoConnection | null> {
    return this.dataSource
      .getRepository(SsoConnection)
      .createQueryBuilder('connection')
      .innerJoin(
        'connection.domains',
        'served',
        'served.domain = :domain AND served.verified_at IS NOT NULL',
        { domain },
      )
      .innerJoin(
        'organizations',
        'organization',
        'organization.id = connection.organization_id AND organization.deleted_at IS NULL',
      )
      .where('connection.enabled')
      .getOne();
  }

  /**
   * The SAML settings of a connection for the protocol layer. A connection without a signing
   * key of its own signs with the mounted platform credentials, when there are any.
   */
  samlSettings(connection: SsoConnection): SamlConnectionSettings {
    const own = connection.samlSpPrivateKey
      ? {
          privateKey: this.cipher.decrypt(
            connection.samlSpPrivateKey,
            secretContext(connection.id, 'sp_private_key'),
          ),
          certificate: connection.samlSpCertificate ?? '',
        }
      : null;
    const signing = own ?? this.mounted.current();

    return {
      connectionId: connection.id,
      idpEntityId: connection.samlIdpEntityId ?? '',
      ssoUrl: connection.samlSsoUrl ?? '',
      idpCertificates: connection.samlIdpCertificates,
      nameIdFormat: connection.samlNameIdFormat,
      attributeMapping: connection.profileMapping,
      wantAssertionsSigned: connection.samlWantAssertionsSigned,
      allowIdpInitiated: connection.samlAllowIdpInitiated,
      spPrivateKey: signing?.privateKey ?? null,
      spCertificate: signing?.certificate ?? null,
    };
  }

  oidcSettings(connection: SsoConnection): OidcConnectionSettings {
    return {
      connectionId: connection.id,
      issuer: connection.oidcIssuer ?? '',
      clientId: connection.oidcClientId ?? '',
      clientSecret: connection.oidcClientSecret
        ? this.cipher.decrypt(
            connection.oidcClientSecret,
            secretContext(connection.id, 'client_secret'),
          )
        : '',
      scopes: connection.oidcScopes,
      claimMapping: connection.profileMapping,
    };
  }

  private async load(
    manager: EntityManager,
    organizationId: string,
    id: string,
  ): Promise<SsoConnection> {
    const connection = await manager.getRepository(SsoConnection).findOne({
      where: { id, organizationId },
      relations: { domains: true },
    });
    if (!connection) throw new SsoException('SSO_CONNECTION_NOT_FOUND');

    return connection;
  }

  /** The connection's row, locked for this transaction, with its secret columns. */
  private async lockWithSecrets(
    manager: EntityManager,
    organizationId: string,
    id: string,
  ): Promise<SsoConnection> {
    const connection = await manager
      .getRepository(SsoConnection)
      .createQueryBuilder('connection')
      .addSelect(['connection.samlSpPrivateKey', 'connection.oidcClientSecret'])
      .where('connection.id = :id AND connection.organizationId = :organizationId', {
        id,
        organizationId,
      })
      .setLock('pessimistic_write')
      .getOne();
    if (!connection) throw new SsoException('SSO_CONNECTION_NOT_FOUND');

    return connection;
  }

  /**
   * The default role must exist in the organization, and the caller must hold every
   * permission it grants: otherwise configuring a connection would hand users rights the
   * administrator does not have.
   */
  private async checkDefaultRole(
    manager: EntityManager,
    caller: Caller,
    roleKey: string,
  ): Promise<void> {
    let permissions: readonly string[];
    if (isBuiltInRole(roleKey)) {
      permissions = BUILT_IN_ROLES[roleKey].permissions;
    } else {
      const role = await manager
        .getRepository(Role)
        .findOneBy({ organizationId: caller.organizationId, key: roleKey });
      if (!role) throw new SsoException('SSO_UNKNOWN_ROLE', `No role has the key ${roleKey}`);
      permissions = role.permissions;
    }
    const missing = missingPermissions(caller, permissions as Permission[]);
    if (missing.length > 0) {
      throw new SsoException(
        'SSO_CONNECTION_INVALID',
        `default_role ${roleKey} grants permissions you do not hold: ${missing.join(', ')}`,
      );
    }
  }

  /**
   * Makes the connection claim exactly `domains`: claims it keeps stay as they are (proven or
   * not, same token), dropped ones go, new ones get a token. With SSO_DOMAIN_VERIFICATION=trust
   * new claims count as proven at once.
   */
  private async replaceDomains(
    manager: EntityManager,
    connectionId: string,
    domains: string[],
  ): Promise<void> {
    const wanted = [...new Set(domains)];
    const repository = manager.getRepository(SsoConnectionDomain);
    const current = await repository.findBy({ connectionId });
    const dropped = current.filter((row) => !wanted.includes(row.domain)).map((row) => row.domain);
    if (dropped.length > 0) await repository.delete({ connectionId, domain: In(dropped) });
    const added = wanted.filter((domain) => !current.some((row) => row.domain === domain));
    if (added.length === 0) return;

    const trusted = this.config.sso.domainVerification === 'trust';
    if (trusted) {
      const taken = await repository.find({
        where: { domain: In(added), verifiedAt: Not(IsNull()) },
      });
      if (taken.length > 0) {
        throw new SsoException(
          'SSO_DOMAIN_TAKEN',
          `Already proven by another connection: ${taken.map((row) => row.domain).join(', ')}`,
        );
      }
    }
    const rows = added.map((domain) => ({
      connectionId,
      domain,
      verificationToken: randomBytes(16).toString('hex'),
      verifiedAt: trusted ? new Date() : null,
    }));
    await insertUnlessProven(manager, rows);
  }

  /**
   * Checks the DNS record of every unproven domain of the connection and marks those that
   * carry it. A domain another connection proved first stays unproven here.
   */
  async verifyDomains(
    organizationId: string,
    id: string,
    actor: AuditContext,
  ): Promise<SsoConnectionDto> {
    const connection = await this.load(this.dataSource.manager, organizationId, id);
    const pending = (connection.domains ?? []).filter((row) => row.verifiedAt === null);
    const proven: string[] = [];
    for (const row of pending) {
      if (await this.verifier.proves(row.domain, row.verificationToken)) proven.push(row.domain);
    }
    const taken: string[] = [];
    for (const domain of proven) {
      try {
        await this.dataSource.transaction(async (manager) => {
          await manager
            .getRepository(SsoConnectionDomain)
            .update({ connectionId: id, domain, verifiedAt: IsNull() }, { verifiedAt: new Date() });
          await this.audit.record(manager, actor, {
            action: 'sso_connection.domain_verified',
            outcome: 'success',
            organizationId,
            targetType: 'sso_connection',
            targetId: id,
            details: { domain },
          });
        });
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        taken.push(domain);
      }
    }
    this.logger.log({
      event: 'sso_domains_checked',
      connection_id: id,
      proven: proven.length - taken.length,
      pending: pending.length - proven.length + taken.length,
    });
    if (taken.length > 0) {
      throw new SsoException(
        'SSO_DOMAIN_TAKEN',
        `Already proven by another connection: ${taken.join(', ')}`,
      );
    }

    return this.get(organizationId, id);
  }

  /** Validates and applies the protocol block of a create or update onto the entity. */
  private applyProtocolSettings(
    connection: SsoConnection,
    input: CreateSsoConnectionDto | UpdateSsoConnectionDto,
    creating: boolean,
  ): void {
    const other = connection.protocol === 'saml' ? 'oidc' : 'saml';
    if (input[other] !== undefined) {
      throw new SsoException(
        'SSO_CONNECTION_INVALID',
        `${connection.protocol === 'saml' ? 'A SAML' : 'An OIDC'} connection takes no ${other} settings`,
      );
    }
    if (connection.protocol === 'saml') {
      if (creating && !input.saml) {
        throw new SsoException('SSO_CONNECTION_INVALID', 'saml settings are required');
      }
      if (input.saml) this.applySaml(connection, input.saml, creating);
      return;
    }
    if (creating && !input.oidc) {
      throw new SsoException('SSO_CONNECTION_INVALID', 'oidc settings are required');
    }
    if (input.oidc) this.applyOidc(connection, input.oidc, creating);
  }

  private applySaml(connection: SsoConnection, input: SamlSettingsInputDto, creating: boolean) {
    const imported = input.metadata_xml !== undefined ? importMetadata(input.metadata_xml) : null;
    const entityId = input.idp_entity_id ?? imported?.idpEntityId ?? connection.samlIdpEntityId;
    const ssoUrl = input.sso_url ?? imported?.ssoUrl ?? connection.samlSsoUrl;
    const certificates =
      input.idp_certificates ?? imported?.idpCertificates ?? connection.samlIdpCertificates ?? [];
    const missing = [
      ...(entityId ? [] : ['idp_entity_id']),
      ...(ssoUrl ? [] : ['sso_url']),
      ...(certificates.length > 0 ? [] : ['idp_certificates']),
    ];
    if (missing.length > 0) {
      throw new SsoException(
        'SSO_CONNECTION_INVALID',
        `SAML settings need ${missing.join(', ')} (or metadata_xml that has them)`,
      );
    }
    if (imported && imported.ssoUrl && !/^https?:\/\//i.test(imported.ssoUrl)) {
      throw new SsoException('SSO_INVALID_METADATA', 'The SSO URL in the metadata is not http(s)');
    }
    const pems = certificates.slice(0, 2).map((certificate, index) => {
      const field = `saml.idp_certificates[${index}]`;
      const pem = toPemCertificate(certificate, field);
      checkCertificateCurrent(pem, field);

      return pem;
    });

    connection.samlIdpEntityId = entityId;
    connection.samlSsoUrl = ssoUrl;
    connection.samlIdpCertificates = pems;
    connection.samlNameIdFormat =
      input.name_id_format !== undefined
        ? input.name_id_format
        : (imported?.nameIdFormat ?? (creating ? null : connection.samlNameIdFormat));
    if (input.attribute_mapping) connection.profileMapping = mapping(input.attribute_mapping);
    else if (creating) connection.profileMapping = {};
    connection.samlWantAssertionsSigned =
      input.want_assertions_signed ?? (creating ? true : connection.samlWantAssertionsSigned);
    connection.samlAllowIdpInitiated =
      input.allow_idp_initiated ?? (creating ? false : connection.samlAllowIdpInitiated);
    this.applyServiceProviderKey(connection, input, creating);
  }

  /** The SP signing key and certificate come and go together, and must belong together. */
  private applyServiceProviderKey(
    connection: SsoConnection,
    input: SamlSettingsInputDto,
    creating: boolean,
  ): void {
    if (input.sp_private_key === undefined && input.sp_certificate === undefined) {
      if (creating) {
        connection.samlSpPrivateKey = null;
        connection.samlSpCertificate = null;
      }
      return;
    }
    const key = input.sp_private_key ?? null;
    const certificate = input.sp_certificate ?? null;
    const bothGiven = input.sp_private_key !== undefined && input.sp_certificate !== undefined;
    if (!bothGiven || (key === null) !== (certificate === null)) {
      throw new SsoException(
        'SSO_CONNECTION_INVALID',
        'sp_private_key and sp_certificate are given (or cleared) together',
      );
    }
    if (key === null || certificate === null) {
      connection.samlSpPrivateKey = null;
      connection.samlSpCertificate = null;
      return;
    }
    const pem = toPemCertificate(certificate, 'saml.sp_certificate');
    checkCertificateCurrent(pem, 'saml.sp_certificate');
    checkKeyPair(key, pem);
    connection.samlSpCertificate = pem;
    connection.samlSpPrivateKey = this.cipher.encrypt(
      key,
      secretContext(connection.id, 'sp_private_key'),
    );
  }

  private applyOidc(connection: SsoConnection, input: OidcSettingsInputDto, creating: boolean) {
    const issuer = input.issuer ?? connection.oidcIssuer;
    const clientId = input.client_id ?? connection.oidcClientId;
    const hasSecret = input.client_secret !== undefined || Boolean(connection.oidcClientSecret);
    const missing = [
      ...(issuer ? [] : ['issuer']),
      ...(clientId ? [] : ['client_id']),
      ...(hasSecret ? [] : ['client_secret']),
    ];
    if (missing.length > 0) {
      throw new SsoException('SSO_CONNECTION_INVALID', `OIDC settings need ${missing.join(', ')}`);
    }
    this.checkIssuer(issuer!);

    // Kept exactly as given: discovery compares it with the provider's own issuer string.
    connection.oidcIssuer = issuer!;
    connection.oidcClientId = clientId;
    if (input.client_secret !== undefined) {
      connection.oidcClientSecret = this.cipher.encrypt(
        input.client_secret,
        secretContext(connection.id, 'client_secret'),
      );
    }
    if (input.scopes) connection.oidcScopes = withOpenId(input.scopes);
    else if (creating) connection.oidcScopes = DEFAULT_OIDC_SCOPES;
    if (input.claim_mapping) connection.profileMapping = mapping(input.claim_mapping);
    else if (creating) connection.profileMapping = {};
  }

  /** HTTPS only; plain HTTP only on a loopback address outside production (development, tests). */
  private checkIssuer(issuer: string): void {
    try {
      const url = validateIssuerUrl(issuer, this.config.sso);
      // Names are checked when they are used (their addresses can change); literals now.
      checkLiteralAddress(url.hostname, {
        loopback: this.config.sso.allowLoopbackIssuerAddresses,
        private: this.config.sso.allowPrivateIssuerAddresses,
      });
    } catch (error) {
      if (!(error instanceof InvalidIssuerUrlError || error instanceof IssuerAddressError)) {
        throw error;
      }
      throw new SsoException('SSO_CONNECTION_INVALID', `oidc.issuer: ${error.message}`);
    }
  }

  private toDto(connection: SsoConnection): SsoConnectionDto {
    const now = new Date();
    const warnings: string[] = [];
    const dto: SsoConnectionDto = {
      id: connection.id,
      organization_id: connection.organizationId,
      name: connection.name,
      protocol: connection.protocol,
      enabled: connection.enabled,
      domains: (connection.domains ?? []).map((row) => row.domain).sort(),
      domain_verification: [...(connection.domains ?? [])]
        .sort((a, b) => a.domain.localeCompare(b.domain))
        .map((row) => {
          const record = verificationRecord(row.domain, row.verificationToken);
          return {
            domain: row.domain,
            verified: row.verifiedAt !== null,
            txt_record_name: record.name,
            txt_record_value: record.value,
          };
        }),
      default_role: connection.defaultRole,
      login_url: this.urls.login(connection),
      warnings,
      created_at: connection.createdAt.toISOString(),
      updated_at: connection.updatedAt.toISOString(),
    };
    for (const row of dto.domain_verification.filter((entry) => !entry.verified)) {
      warnings.push(`Domain ${row.domain} is not proven: publish its TXT record, then verify`);
    }
    if (connection.protocol === 'saml') {
      const certificates = connection.samlIdpCertificates.map((pem) =>
        summarizeCertificate(pem, now),
      );
      const mounted = connection.samlSpCertificate ? null : this.mounted.current();
      const effectiveCertificate = connection.samlSpCertificate ?? mounted?.certificate ?? null;
      const spCertificate = effectiveCertificate
        ? summarizeCertificate(effectiveCertificate, now)
        : null;
      for (const [index, certificate] of certificates.entries()) {
        if (certificate.expires_soon) {
          warnings.push(`IdP certificate ${index + 1} expires on ${certificate.not_after}`);
        }
      }
      if (spCertificate?.expires_soon) {
        warnings.push(`SP certificate expires on ${spCertificate.not_after}`);
      }
      const sp = this.urls.serviceProvider(connection.id);
      dto.saml = {
        idp_entity_id: connection.samlIdpEntityId ?? '',
        sso_url: connection.samlSsoUrl ?? '',
        idp_certificates: certificates,
        name_id_format: connection.samlNameIdFormat,
        attribute_mapping: connection.profileMapping,
        want_assertions_signed: connection.samlWantAssertionsSigned,
        allow_idp_initiated: connection.samlAllowIdpInitiated,
        has_sp_private_key: connection.samlSpCertificate !== null,
        sp_signing: connection.samlSpCertificate ? 'connection' : mounted ? 'mounted' : 'none',
        sp_certificate: spCertificate,
        sp_entity_id: sp.entityId,
        acs_url: sp.acsUrl,
        metadata_url: sp.entityId,
      };
    } else {
      dto.oidc = {
        issuer: connection.oidcIssuer ?? '',
        client_id: connection.oidcClientId ?? '',
        has_client_secret: true,
        scopes: connection.oidcScopes,
        claim_mapping: connection.profileMapping,
        redirect_uri: this.urls.oidcRedirect(connection.id),
      };
    }

    return dto;
  }
}

function importMetadata(xml: string): ReturnType<typeof parseIdpMetadata> {
  try {
    return parseIdpMetadata(xml);
  } catch (error) {
    if (error instanceof SamlMetadataError) {
      throw new SsoException('SSO_INVALID_METADATA', error.message);
    }
    throw new SsoException('SSO_INVALID_METADATA', 'The metadata could not be read');
  }
}

function mapping(input: ProfileMappingDto): ProfileMapping {
  return Object.fromEntries(Object.entries(input).filter(([, value]) => typeof value === 'string'));
}

function withOpenId(scopes: string[]): string[] {
  return [...new Set(['openid', ...scopes])];
}

function isUniqueViolation(error: unknown): boolean {
  const code =
    (error as { code?: unknown }).code ??
    (error as { driverError?: { code?: unknown } }).driverError?.code;

  return code === UNIQUE_VIOLATION;
}

/** Inserts claims in a savepoint, so a concurrent proof of the same domain ends as a 409. */
async function insertUnlessProven(
  manager: EntityManager,
  rows: Array<
    Pick<SsoConnectionDomain, 'connectionId' | 'domain' | 'verificationToken' | 'verifiedAt'>
  >,
): Promise<void> {
  try {
    await manager.transaction((inner) => inner.getRepository(SsoConnectionDomain).insert(rows));
  } catch (error) {
    if (isUniqueViolation(error)) throw new SsoException('SSO_DOMAIN_TAKEN');
    throw error;
  }
}
