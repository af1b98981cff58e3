import { AuditChainHead, AuditEvent } from '@app/audit';
import { AccountToken, RecoveryCode, RefreshToken, Session, TotpFactor } from '@app/auth';
import { Invitation, Membership, Organization, Role } from '@app/organizations';
import { SsoConnection, SsoConnectionDomain, SsoIdentity } from '@app/sso';
import { Team, TeamMember } from '@app/teams';
import { User } from '@app/users';

/**
 * Every entity, for the CLI's own data source (migration:generate compares them with the
 * database). The HTTP service finds them through autoLoadEntities instead.
 */
export const ENTITIES = [
  User,
  Organization,
  Membership,
  Role,
  Invitation,
  Team,
  TeamMember,
  Session,
  RefreshToken,
  TotpFactor,
  RecoveryCode,
  AccountToken,
  SsoConnection,
  SsoConnectionDomain,
  SsoIdentity,
  AuditEvent,
  AuditChainHead,
];
