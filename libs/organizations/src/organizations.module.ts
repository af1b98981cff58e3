import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { UsersModule } from '@app/users';
import { Membership } from './membership.entity';
import { Organization } from './organization.entity';
import { OrganizationsService } from './organizations.service';
import { SeedService } from './seed.service';

@Module({
  imports: [TypeOrmModule.forFeature([Organization, Membership]), UsersModule],
  providers: [OrganizationsService, SeedService],
  exports: [OrganizationsService, SeedService],
})
export class OrganizationsModule {}
