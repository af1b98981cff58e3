import { domainToASCII } from 'node:url';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsFQDN,
  IsIn,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { IsDisplayText, IsPresentOrAbsent } from '@app/common';
import { SSO_PROTOCOLS, SsoProtocolName } from '../sso-connection.entity';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
/**
 * Domains as stored and compared: lower case IDNA ASCII, so a Unicode domain and its punycode
 * form are one domain. What IDNA cannot map stays as given and fails the FQDN check.
 */
const asciiDomains = ({ value }: { value: unknown }) =>
  Array.isArray(value)
    ? value.map((domain: unknown) => {
        if (typeof domain !== 'string') return domain;
        const trimmed = domain.trim().toLowerCase();
        return domainToASCII(trimmed) || trimmed;
      })
    : value;

const ATTRIBUTE_NAME = /^[^\s<>"']{1,255}$/;
/** An absolute URI: a scheme, a colon, then no white space. */
const URI = /^[A-Za-z][A-Za-z0-9+.-]*:\S+$/;

/** Which SAML attribute or OIDC claim holds each profile field; unset fields use defaults. */
export class ProfileMappingDto {
  @ApiPropertyOptional({ example: 'email', maxLength: 255 })
  @IsPresentOrAbsent()
  @IsString()
  @Matches(ATTRIBUTE_NAME, { message: 'email must be an attribute or claim name' })
  email?: string;

  @ApiPropertyOptional({ example: 'given_name', maxLength: 255 })
  @IsPresentOrAbsent()
  @IsString()
  @Matches(ATTRIBUTE_NAME, { message: 'first_name must be an attribute or claim name' })
  first_name?: string;

  @ApiPropertyOptional({ example: 'family_name', maxLength: 255 })
  @IsPresentOrAbsent()
  @IsString()
  @Matches(ATTRIBUTE_NAME, { message: 'last_name must be an attribute or claim name' })
  last_name?: string;

  @ApiPropertyOptional({ example: 'groups', maxLength: 255 })
  @IsPresentOrAbsent()
  @IsString()
  @Matches(ATTRIBUTE_NAME, { message: 'groups must be an attribute or claim name' })
  groups?: string;
}

export class SamlSettingsInputDto {
  @ApiPropertyOptional({
    description:
      "The identity provider's metadata XML; fills idp_entity_id, sso_url, " +
      'idp_certificates and name_id_format where those are not given',
    maxLength: 200_000,
  })
  @IsPresentOrAbsent()
  @IsString()
  @MaxLength(200_000)
  metadata_xml?: string;

  @ApiPropertyOptional({
    example: 'https://idp.acme.com/saml',
    maxLength: 1024,
    description: "The IdP's entityID: a URI (URL or URN)",
  })
  @IsPresentOrAbsent()
  @Transform(trim)
  @IsString()
  @MaxLength(1024)
  @Matches(URI, { message: 'idp_entity_id must be a URI (a URL or a URN)' })
  idp_entity_id?: string;

  @ApiPropertyOptional({ example: 'https://idp.acme.com/saml/sso', maxLength: 2048 })
  @IsPresentOrAbsent()
  @Transform(trim)
  @IsUrl({ protocols: ['https', 'http'], require_protocol: true, require_tld: false })
  @MaxLength(2048)
  sso_url?: string;

  @ApiPropertyOptional({
    type: [String],
    description: 'PEM or base64 signing certificates of the identity provider; two for a rollover',
  })
  @IsPresentOrAbsent()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(2)
  @IsString({ each: true })
  @MaxLength(20_000, { each: true })
  idp_certificates?: string[];

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  @Matches(/^urn:oasis:names:tc:SAML:[12]\.[01]:nameid-format:[A-Za-z]+$/, {
    message: 'name_id_format must be a SAML NameID format URN',
  })
  name_id_format?: string | null;

  @ApiPropertyOptional({ type: ProfileMappingDto })
  @IsPresentOrAbsent()
  @IsObject()
  @ValidateNested()
  @Type(() => ProfileMappingDto)
  attribute_mapping?: ProfileMappingDto;

  @ApiPropertyOptional({ default: true, description: 'Refuse assertions that are not signed' })
  @IsPresentOrAbsent()
  @IsBoolean()
  want_assertions_signed?: boolean;

  @ApiPropertyOptional({ default: false, description: 'Accept responses the IdP sends unasked' })
  @IsPresentOrAbsent()
  @IsBoolean()
  allow_idp_initiated?: boolean;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: 'PEM key that signs authentication requests; write-only, encrypted at rest',
  })
  @IsOptional()
  @IsString()
  @MaxLength(20_000)
  sp_private_key?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: 'PEM certificate of sp_private_key, published in the SP metadata',
  })
  @IsOptional()
  @IsString()
  @MaxLength(20_000)
  sp_certificate?: string | null;
}

export class OidcSettingsInputDto {
  @ApiPropertyOptional({ example: 'https://login.acme.com', maxLength: 2048 })
  @IsPresentOrAbsent()
  @Transform(trim)
  @IsUrl({ protocols: ['https', 'http'], require_protocol: true, require_tld: false })
  @MaxLength(2048)
  issuer?: string;

  @ApiPropertyOptional({ example: 'faultmaven', maxLength: 255 })
  @IsPresentOrAbsent()
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  client_id?: string;

  @ApiPropertyOptional({ description: 'Write-only; encrypted at rest', maxLength: 1024 })
  @IsPresentOrAbsent()
  @IsString()
  @IsNotEmpty()
  @MaxLength(1024)
  client_secret?: string;

  @ApiPropertyOptional({ type: [String], example: ['openid', 'email', 'profile'] })
  @IsPresentOrAbsent()
  @IsArray()
  @ArrayMaxSize(20)
  @Matches(/^[\x21\x23-\x5b\x5d-\x7e]{1,100}$/, { each: true, message: 'scopes are scope tokens' })
  scopes?: string[];

  @ApiPropertyOptional({ type: ProfileMappingDto })
  @IsPresentOrAbsent()
  @IsObject()
  @ValidateNested()
  @Type(() => ProfileMappingDto)
  claim_mapping?: ProfileMappingDto;
}

const domainRules = () => [
  Transform(asciiDomains),
  IsArray(),
  ArrayMinSize(1),
  ArrayMaxSize(50),
  IsFQDN({}, { each: true, message: 'domains must contain domain names' }),
  MaxLength(253, { each: true }),
];

export class CreateSsoConnectionDto {
  @ApiProperty({ example: 'Acme Okta', maxLength: 200 })
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  @IsDisplayText()
  name!: string;

  @ApiProperty({ enum: SSO_PROTOCOLS })
  @IsIn(SSO_PROTOCOLS)
  protocol!: SsoProtocolName;

  @ApiProperty({
    type: [String],
    example: ['acme.com'],
    description: 'Email domains this connection serves; each domain belongs to one connection',
  })
  @domainRulesDecorator()
  domains!: string[];

  @ApiPropertyOptional({ default: true })
  @IsPresentOrAbsent()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({
    default: 'member',
    description: 'Role of users provisioned on first login (a built-in or custom role key)',
  })
  @IsPresentOrAbsent()
  @IsString()
  @MaxLength(100)
  default_role?: string;

  @ApiPropertyOptional({ type: SamlSettingsInputDto, description: 'Required for protocol saml' })
  @IsPresentOrAbsent()
  @IsObject()
  @ValidateNested()
  @Type(() => SamlSettingsInputDto)
  saml?: SamlSettingsInputDto;

  @ApiPropertyOptional({ type: OidcSettingsInputDto, description: 'Required for protocol oidc' })
  @IsPresentOrAbsent()
  @IsObject()
  @ValidateNested()
  @Type(() => OidcSettingsInputDto)
  oidc?: OidcSettingsInputDto;
}

/** Every field optional; the protocol cannot change. Given settings replace stored ones. */
export class UpdateSsoConnectionDto {
  @ApiPropertyOptional({ maxLength: 200 })
  @IsPresentOrAbsent()
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  @IsDisplayText()
  name?: string;

  @ApiPropertyOptional({ type: [String] })
  @IsPresentOrAbsent()
  @domainRulesDecorator()
  domains?: string[];

  @ApiPropertyOptional()
  @IsPresentOrAbsent()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional()
  @IsPresentOrAbsent()
  @IsString()
  @MaxLength(100)
  default_role?: string;

  @ApiPropertyOptional({ type: SamlSettingsInputDto })
  @IsPresentOrAbsent()
  @IsObject()
  @ValidateNested()
  @Type(() => SamlSettingsInputDto)
  saml?: SamlSettingsInputDto;

  @ApiPropertyOptional({ type: OidcSettingsInputDto })
  @IsPresentOrAbsent()
  @IsObject()
  @ValidateNested()
  @Type(() => OidcSettingsInputDto)
  oidc?: OidcSettingsInputDto;
}

function domainRulesDecorator(): PropertyDecorator {
  const rules = domainRules();

  return (target, key) => rules.forEach((rule) => rule(target, key));
}
