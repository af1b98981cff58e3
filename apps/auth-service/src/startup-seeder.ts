import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { SeedResult, SeedService } from '@app/organizations';

/**
 * On a development start against an empty database, creates the default organization and a
 * platform administrator, and prints the credentials once. Never runs in production unless
 * SEED_ON_START says so.
 */
@Injectable()
export class StartupSeeder implements OnApplicationBootstrap {
  seeded?: SeedResult;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly seeder: SeedService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.startup.seed || !(await this.seeder.isDatabaseEmpty())) return;
    this.seeded = await this.seeder.seed();
  }
}
