import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { UsersModule } from '@app/users';
import { AccessRevocationService } from './access-revocation.service';
import { AccessService } from './access.service';
import { Invitation } from './invitation.entity';
import { InvitationsService } from './invitations.service';
import { Membership } from './membership.entity';
import { Organization } from './organization.entity';
import { OrganizationsService } from './organizations.service';
import { Role } from './role.entity';
import { SeedService } from './seed.service';

@Module({
  imports: [TypeOrmModule.forFeature([Organization, Membership, Role, Invitation]), UsersModule],
  providers: [
    OrganizationsService,
    SeedService,
    AccessService,
    AccessRevocationService,
    InvitationsService,
  ],
  exports: [
    OrganizationsService,
    SeedService,
    AccessService,
    AccessRevocationService,
    InvitationsService,
  ],
})
export class OrganizationsModule {}
