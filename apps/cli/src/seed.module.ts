import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig, ConfigModule } from '@app/config';
import { DatabaseModule } from '@app/database';
import { OrganizationsModule } from '@app/organizations';

/** Just enough of the service to run the seed from the command line. */
@Module({})
export class SeedModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: SeedModule,
      imports: [ConfigModule.forRoot(config), DatabaseModule, OrganizationsModule],
    };
  }
}
