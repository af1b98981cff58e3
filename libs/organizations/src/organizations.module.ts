import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { UsersModule } from '@app/users';
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
  providers: [OrganizationsService, SeedService, AccessService, InvitationsService],
  exports: [OrganizationsService, SeedService, AccessService, InvitationsService],
})
export class OrganizationsModule {}
