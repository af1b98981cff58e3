import { CreateIdentitySchema1764790000000 } from './1764790000000-CreateIdentitySchema';
import { AddTenancyAndAudit1764800000000 } from './1764800000000-AddTenancyAndAudit';
import { AddMfa1764820000000 } from './1764820000000-AddMfa';
import { AddRefreshTokenSuccessor1764830000000 } from './1764830000000-AddRefreshTokenSuccessor';
import { AddAccountTokens1764840000000 } from './1764840000000-AddAccountTokens';
import { AddSsoConnections1764850000000 } from './1764850000000-AddSsoConnections';
import { AddSsoDomainVerification1764860000000 } from './1764860000000-AddSsoDomainVerification';
import { AddMembershipListingIndex1764870000000 } from './1764870000000-AddMembershipListingIndex';

/**
 * Every migration, oldest first. `npm run migration:generate` writes new files here; add each
 * one to this list so the build (and the image) carries it.
 */
export const MIGRATIONS = [
  CreateIdentitySchema1764790000000,
  AddTenancyAndAudit1764800000000,
  AddMfa1764820000000,
  AddRefreshTokenSuccessor1764830000000,
  AddAccountTokens1764840000000,
  AddSsoConnections1764850000000,
  AddSsoDomainVerification1764860000000,
  AddMembershipListingIndex1764870000000,
];
