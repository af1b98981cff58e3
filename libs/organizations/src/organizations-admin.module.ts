import { Module } from '@nestjs/common';
import { UsersModule } from '@app/users';
import { DenialRecorder } from './denial-recorder.service';
import { MembersController } from './members.controller';
import { MembersService } from './members.service';
import { OrganizationsAdminService } from './organizations-admin.service';
import { OrganizationsController } from './organizations.controller';
import { OrganizationsModule } from './organizations.module';
import { RolesController } from './roles.controller';
import { RolesService } from './roles.service';

/**
 * The HTTP administration of organizations, members and roles. Kept apart from
 * OrganizationsModule because its controllers use libs/auth's access decorators while
 * libs/auth itself depends on OrganizationsModule: AppModule imports both.
 */
@Module({
  imports: [OrganizationsModule, UsersModule],
  controllers: [OrganizationsController, MembersController, RolesController],
  providers: [OrganizationsAdminService, MembersService, RolesService, DenialRecorder],
  exports: [RolesService],
})
export class OrganizationsAdminModule {}
