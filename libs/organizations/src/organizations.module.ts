import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { UsersModule } from '@app/users';
import { AccessService } from './access.service';
import { Membership } from './membership.entity';
import { Organization } from './organization.entity';
import { OrganizationsService } from './organizations.service';
import { Role } from './role.entity';
import { SeedService } from './seed.service';

@Module({
  imports: [TypeOrmModule.forFeature([Organization, Membership, Role]), UsersModule],
  providers: [OrganizationsService, SeedService, AccessService],
  exports: [OrganizationsService, SeedService, AccessService],
})
export class OrganizationsModule {}
