import { ApiExtraModels, ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { nullableModel } from '@app/common';
import { SSO_PROTOCOLS, SsoProtocolName } from '../sso-connection.entity';
import { ProfileMappingDto } from './sso-connection-input.dto';

export class CertificateSummaryDto {
  @ApiProperty({ example: 'CN=idp.acme.com' })
  subject!: string;

  @ApiProperty()
  issuer!: string;

  @ApiProperty({ format: 'date-time' })
  not_before!: string;

  @ApiProperty({ format: 'date-time' })
  not_after!: string;

  @ApiProperty()
  fingerprint_sha256!: string;

  @ApiProperty({ description: 'True within 30 days of not_after (or past it)' })
  expires_soon!: boolean;
}

export class DomainVerificationDto {
  @ApiProperty({ example: 'acme.com' })
  domain!: string;

  @ApiProperty({ description: 'Proven domains route discovery and sign-ins to the connection' })
  verified!: boolean;

  @ApiProperty({ example: '_faultmaven-sso.acme.com' })
  txt_record_name!: string;

  @ApiProperty({ example: 'faultmaven-sso-verification=3f2a...' })
  txt_record_value!: string;
}

@ApiExtraModels(CertificateSummaryDto)
export class SamlSettingsDto {
  @ApiProperty()
  idp_entity_id!: string;

  @ApiProperty()
  sso_url!: string;

  @ApiProperty({ type: [CertificateSummaryDto] })
  idp_certificates!: CertificateSummaryDto[];

  @ApiProperty({ type: String, nullable: true })
  name_id_format!: string | null;

  @ApiProperty({ type: ProfileMappingDto })
  attribute_mapping!: ProfileMappingDto;

  @ApiProperty()
  want_assertions_signed!: boolean;

  @ApiProperty()
  allow_idp_initiated!: boolean;

  @ApiProperty({ description: 'Whether the connection has a signing key of its own' })
  has_sp_private_key!: boolean;

  @ApiProperty({
    enum: ['connection', 'mounted', 'none'],
    description:
      "What signs the connection's requests: its own key, the platform key mounted at " +
      'SAML_CERTIFICATE_DIR, or nothing',
  })
  sp_signing!: 'connection' | 'mounted' | 'none';

  @ApiProperty({
    ...nullableModel(CertificateSummaryDto),
    description: 'The certificate published in the SP metadata',
  })
  sp_certificate!: CertificateSummaryDto | null;

  @ApiProperty({ description: 'Entity id of this service for the connection' })
  sp_entity_id!: string;

  @ApiProperty({ description: 'Assertion consumer service URL to register at the IdP' })
  acs_url!: string;

  @ApiProperty({ description: 'Service provider metadata XML to give the IdP' })
  metadata_url!: string;
}

export class OidcSettingsDto {
  @ApiProperty()
  issuer!: string;

  @ApiProperty()
  client_id!: string;

  @ApiProperty({ description: 'The secret itself is never returned' })
  has_client_secret!: boolean;

  @ApiProperty({ type: [String] })
  scopes!: string[];

  @ApiProperty({ type: ProfileMappingDto })
  claim_mapping!: ProfileMappingDto;

  @ApiProperty({ description: 'Redirect URI to register at the OpenID provider' })
  redirect_uri!: string;
}

export class SsoConnectionDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'uuid' })
  organization_id!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty({ enum: SSO_PROTOCOLS })
  protocol!: SsoProtocolName;

  @ApiProperty()
  enabled!: boolean;

  @ApiProperty({ type: [String] })
  domains!: string[];

  @ApiProperty({
    type: [DomainVerificationDto],
    description:
      'Publish each TXT record, then POST sso/connections/:id/domains/verify; only proven ' +
      'domains route discovery and sign-ins',
  })
  domain_verification!: DomainVerificationDto[];

  @ApiProperty()
  default_role!: string;

  @ApiProperty({ description: 'Where a client application sends the browser to sign in' })
  login_url!: string;

  @ApiPropertyOptional({ type: SamlSettingsDto })
  saml?: SamlSettingsDto;

  @ApiPropertyOptional({ type: OidcSettingsDto })
  oidc?: OidcSettingsDto;

  @ApiProperty({
    type: [String],
    description: 'Things an administrator should act on, such as a certificate about to expire',
  })
  warnings!: string[];

  @ApiProperty({ format: 'date-time' })
  created_at!: string;

  @ApiProperty({ format: 'date-time' })
  updated_at!: string;
}

export class SsoConnectionListDto {
  @ApiProperty({ type: [SsoConnectionDto] })
  data!: SsoConnectionDto[];
}
