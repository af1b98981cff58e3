import { Inject, Logger, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@app/config';
import { buildDataSourceOptions } from './data-source-options';
import { EmbeddedPostgres } from './embedded-postgres';

/** Provides the embedded PostgreSQL when POSTGRES_HOST is unset, or null. */
@Module({
  providers: [
    {
      provide: EmbeddedPostgres,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig): EmbeddedPostgres | null =>
        config.database.host ? null : new EmbeddedPostgres(config.dataDir),
    },
  ],
  exports: [EmbeddedPostgres],
})
class EmbeddedPostgresModule implements OnApplicationShutdown {
  constructor(@Inject(EmbeddedPostgres) private readonly embedded: EmbeddedPostgres | null) {}

  async onApplicationShutdown(): Promise<void> {
    await this.embedded?.stop();
  }
}

/**
 * The TypeORM connection. Applies pending migrations at start-up when RUN_MIGRATIONS_ON_START
 * allows it (the default outside production; production runs them as a separate step).
 */
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      imports: [EmbeddedPostgresModule],
      inject: [APP_CONFIG, EmbeddedPostgres],
      useFactory: async (config: AppConfig, embedded: EmbeddedPostgres | null) => ({
        ...buildDataSourceOptions(config, embedded ? await embedded.start() : undefined),
        autoLoadEntities: true,
        retryAttempts: 0,
      }),
    }),
  ],
})
export class DatabaseModule implements OnModuleInit {
  private readonly logger = new Logger(DatabaseModule.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.config.startup.runMigrations) return;
    const applied = await this.dataSource.runMigrations({ transaction: 'each' });
    if (applied.length > 0) {
      this.logger.log(`Applied ${applied.length} migration(s): ${applied.map((m) => m.name).join(', ')}`);
    }
  }
}
