import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { UsersModule } from '@app/users';
import { AccessRevocationService } from './access-revocation.service';
import { AccessService } from './access.service';
import { Membership } from './membership.entity';
import { Organization } from './organization.entity';
import { OrganizationsService } from './organizations.service';
import { Role } from './role.entity';
import { SeedService } from './seed.service';

@Module({
  imports: [TypeOrmModule.forFeature([Organization, Membership, Role]), UsersModule],
  providers: [OrganizationsService, SeedService, AccessService, AccessRevocationService],
  exports: [OrganizationsService, SeedService, AccessService, AccessRevocationService],
})
export class OrganizationsModule {}
