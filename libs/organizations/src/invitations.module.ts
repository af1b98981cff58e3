import { Module } from '@nestjs/common';
import { InvitationsController } from './invitations.controller';
import { OrganizationsModule } from './organizations.module';

/**
 * The HTTP routes of invitations. They live in a module of their own, exported last from the
 * lib's index, because the controller imports @app/auth, which imports this lib: by the time
 * either index reaches the other, everything the other needs is already exported.
 */
@Module({
  imports: [OrganizationsModule],
  controllers: [InvitationsController],
})
export class InvitationsModule {}
