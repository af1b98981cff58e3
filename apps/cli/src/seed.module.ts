import { DynamicModule, Module } from '@nestjs/common';
import { AuditModule } from '@app/audit';
import { CacheModule } from '@app/cache';
import { AppConfig, ConfigModule } from '@app/config';
import { DatabaseModule } from '@app/database';
import { OrganizationsModule } from '@app/organizations';

/**
 * Just enough of the service to run the seed from the command line. The audit writer and the
 * store are there because services of OrganizationsModule (invitations) depend on them.
 */
@Module({})
export class SeedModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: SeedModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule,
        CacheModule,
        AuditModule,
        OrganizationsModule,
      ],
    };
  }
}
