import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsEmail,
  IsFQDN,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  MaxLength,
  Max,
  Min,
} from 'class-validator';
import { IsDisplayText, IsPresentOrAbsent, PageInfoDto, PaginationQueryDto } from '@app/common';
import {
  ORGANIZATION_PLANS,
  OrganizationPlan,
  REGISTRATION_POLICIES,
  RegistrationPolicy,
} from '../organization.entity';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
const lowerDomains = ({ value }: { value: unknown }) =>
  Array.isArray(value)
    ? value.map((domain: unknown) =>
        typeof domain === 'string' ? domain.trim().toLowerCase() : domain,
      )
    : value;

export const SLUG_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** The fields of an organization as given on create and update; `required` only on create. */
/** Largest user or team quota; PostgreSQL's integer column would refuse far larger values. */
const MAX_QUOTA = 1_000_000;

function field(kind: keyof typeof FIELD_RULES, required: boolean): PropertyDecorator {
  return applyDecorators(...(required ? [] : [IsPresentOrAbsent()]), ...FIELD_RULES[kind]());
}

const FIELD_RULES = {
  name: () => [Transform(trim), IsString(), IsNotEmpty(), MaxLength(200), IsDisplayText()],
  slug: () => [
    IsString(),
    MaxLength(100),
    Matches(SLUG_PATTERN, { message: 'slug must be lower-case letters, digits and hyphens' }),
  ],
  plan: () => [IsIn(ORGANIZATION_PLANS)],
  quota: () => [IsOptional(), IsInt(), Min(0), Max(MAX_QUOTA)],
  contactName: () => [Transform(trim), IsOptional(), IsString(), MaxLength(200), IsDisplayText()],
  contactEmail: () => [
    Transform(trim),
    IsOptional(),
    IsEmail({}, { message: 'contact_email must be a valid email address' }),
    MaxLength(254),
  ],
  ownerEmail: () => [
    Transform(trim),
    IsEmail({}, { message: 'owner_email must be a valid email address' }),
    MaxLength(254),
  ],
  policy: () => [IsIn(REGISTRATION_POLICIES)],
  domains: () => [
    Transform(lowerDomains),
    IsArray(),
    ArrayMaxSize(100),
    IsFQDN({}, { each: true, message: 'allowed_email_domains must contain domain names' }),
  ],
  flag: () => [IsBoolean()],
  returnUrls: () => [
    IsArray(),
    ArrayMaxSize(50),
    ArrayUnique({ message: 'sso_return_urls must not repeat a URL' }),
    MaxLength(2048, { each: true }),
    IsUrl(
      { protocols: ['https', 'http'], require_protocol: true, require_tld: false },
      { each: true, message: 'sso_return_urls must contain absolute http(s) URLs' },
    ),
  ],
} satisfies Record<string, () => PropertyDecorator[]>;

export class CreateOrganizationDto {
  @ApiProperty({ example: 'Acme Corp', maxLength: 200 })
  @field('name', true)
  name!: string;

  @ApiProperty({
    example: 'acme',
    maxLength: 100,
    description: 'Lower-case letters, digits and single hyphens; unique among organizations',
  })
  @field('slug', true)
  slug!: string;

  @ApiPropertyOptional({ enum: ORGANIZATION_PLANS, default: 'trial' })
  @field('plan', false)
  plan?: OrganizationPlan;

  @ApiPropertyOptional({
    type: Number,
    nullable: true,
    minimum: 0,
    maximum: MAX_QUOTA,
    description: 'Null: no limit',
  })
  @field('quota', false)
  max_users?: number | null;

  @ApiPropertyOptional({
    type: Number,
    nullable: true,
    minimum: 0,
    maximum: MAX_QUOTA,
    description: 'Null: no limit',
  })
  @field('quota', false)
  max_teams?: number | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 200 })
  @field('contactName', false)
  contact_name?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 254 })
  @field('contactEmail', false)
  contact_email?: string | null;

  @ApiPropertyOptional({ enum: REGISTRATION_POLICIES, default: 'open' })
  @field('policy', false)
  registration_policy?: RegistrationPolicy;

  @ApiPropertyOptional({
    type: [String],
    example: ['acme.com'],
    description: 'Email domains that may self-register under the allowed_domains policy',
  })
  @field('domains', false)
  allowed_email_domains?: string[];

  @ApiPropertyOptional({ default: false })
  @field('flag', false)
  require_mfa?: boolean;

  @ApiPropertyOptional({ default: false })
  @field('flag', false)
  require_sso?: boolean;

  @ApiPropertyOptional({
    type: [String],
    example: ['https://app.acme.com/sso/callback'],
    description:
      'Where a finished single sign-on may send the browser with its one-time code; a login ' +
      'asks for one of these exactly',
  })
  @field('returnUrls', false)
  sso_return_urls?: string[];

  @ApiPropertyOptional({
    example: 'owner@acme.com',
    maxLength: 254,
    description:
      'The first owner: an existing user becomes owner at once; anyone else gets an owner ' +
      'invitation whose token is in the response',
  })
  @field('ownerEmail', false)
  owner_email?: string;
}

/**
 * Every field optional. Plan and quotas are for platform administrators only; registration
 * policy, allowed domains and the MFA/SSO flags need organizations:manage_security.
 */
export class UpdateOrganizationDto {
  @ApiPropertyOptional({ example: 'Acme Corp', maxLength: 200 })
  @field('name', false)
  name?: string;

  @ApiPropertyOptional({ example: 'acme', maxLength: 100 })
  @field('slug', false)
  slug?: string;

  @ApiPropertyOptional({ enum: ORGANIZATION_PLANS, description: 'Platform administrators only' })
  @field('plan', false)
  plan?: OrganizationPlan;

  @ApiPropertyOptional({
    type: Number,
    nullable: true,
    minimum: 0,
    maximum: MAX_QUOTA,
    description: 'Platform administrators only; null: no limit',
  })
  @field('quota', false)
  max_users?: number | null;

  @ApiPropertyOptional({
    type: Number,
    nullable: true,
    minimum: 0,
    maximum: MAX_QUOTA,
    description: 'Platform administrators only; null: no limit',
  })
  @field('quota', false)
  max_teams?: number | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 200 })
  @field('contactName', false)
  contact_name?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 254 })
  @field('contactEmail', false)
  contact_email?: string | null;

  @ApiPropertyOptional({ enum: REGISTRATION_POLICIES })
  @field('policy', false)
  registration_policy?: RegistrationPolicy;

  @ApiPropertyOptional({ type: [String], example: ['acme.com'] })
  @field('domains', false)
  allowed_email_domains?: string[];

  @ApiPropertyOptional()
  @field('flag', false)
  require_mfa?: boolean;

  @ApiPropertyOptional()
  @field('flag', false)
  require_sso?: boolean;

  @ApiPropertyOptional({
    type: [String],
    example: ['https://app.acme.com/sso/callback'],
    description:
      'Where a finished single sign-on may send the browser with its one-time code; a login ' +
      'asks for one of these exactly',
  })
  @field('returnUrls', false)
  sso_return_urls?: string[];
}

export class OwnerInvitationDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ description: 'One-time invitation token; shown only in this response' })
  token!: string;

  @ApiProperty({ format: 'date-time' })
  expires_at!: string;
}

export class ListOrganizationsQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({
    maxLength: 200,
    description: 'Matches part of the name or slug, case-insensitively',
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  search?: string;
}

export class OrganizationDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'Acme Corp' })
  name!: string;

  @ApiProperty({ example: 'acme' })
  slug!: string;

  @ApiProperty({ enum: ORGANIZATION_PLANS })
  plan!: OrganizationPlan;

  @ApiProperty({ type: Number, nullable: true })
  max_users!: number | null;

  @ApiProperty({ type: Number, nullable: true })
  max_teams!: number | null;

  @ApiProperty({ type: String, nullable: true })
  contact_name!: string | null;

  @ApiProperty({ type: String, nullable: true })
  contact_email!: string | null;

  @ApiProperty({ enum: REGISTRATION_POLICIES })
  registration_policy!: RegistrationPolicy;

  @ApiProperty({ type: [String] })
  allowed_email_domains!: string[];

  @ApiProperty()
  require_mfa!: boolean;

  @ApiProperty()
  require_sso!: boolean;

  @ApiProperty({ type: [String] })
  sso_return_urls!: string[];

  @ApiProperty({ format: 'date-time' })
  created_at!: string;

  @ApiProperty({ format: 'date-time' })
  updated_at!: string;
}

export class OrganizationPageDto {
  @ApiProperty({ type: [OrganizationDto] })
  data!: OrganizationDto[];

  @ApiProperty({ type: PageInfoDto })
  page!: PageInfoDto;
}

export class CreatedOrganizationDto extends OrganizationDto {
  @ApiPropertyOptional({
    format: 'uuid',
    description: 'Set when owner_email belonged to a user, who is now the owner',
  })
  owner_user_id?: string;

  @ApiPropertyOptional({
    type: OwnerInvitationDto,
    description: 'Set when owner_email has no account yet: an owner invitation to pass on',
  })
  owner_invitation?: OwnerInvitationDto;
}
