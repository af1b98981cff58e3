import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { AuditApiModule, AuditModule } from '@app/audit';
import { AuthModule } from '@app/auth';
import { CacheModule } from '@app/cache';
import { ProblemDetailsFilter, RateLimitModule, createValidationPipe } from '@app/common';
import { AppConfig, ConfigModule } from '@app/config';
import { CryptoModule } from '@app/crypto';
import { DatabaseModule } from '@app/database';
import { HealthModule } from '@app/health';
import { LoggingModule, MetricsModule } from '@app/observability';
import {
  InvitationsModule,
  OrganizationsAdminModule,
  OrganizationsModule,
} from '@app/organizations';
import { SsoModule } from '@app/sso';
import { TeamsModule } from '@app/teams';
import { UsersModule } from '@app/users';
import { DependencyMetrics } from './dependency-metrics';
import { StartupSeeder } from './startup-seeder';

/**
 * The HTTP service. Built from an already validated configuration so the entry point and the
 * tests boot exactly the same module graph.
 */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule,
        MetricsModule,
        DatabaseModule,
        CacheModule,
        // Before AuthModule, so its guard counts a request before authentication is tried.
        RateLimitModule,
        CryptoModule,
        AuditModule,
        UsersModule,
        OrganizationsModule,
        InvitationsModule,
        AuthModule,
        OrganizationsAdminModule,
        // Off, the team routes are not mounted at all: 404 and absent from the OpenAPI document.
        ...(config.features.teams ? [TeamsModule] : []),
        // Off, the SSO routes are not mounted either; password login ignores require_sso.
        ...(config.features.sso ? [SsoModule] : []),
        HealthModule,
        // Without audit logging the routes do not exist at all (404, absent from OpenAPI);
        // the writer above stays, as a no-op, for the features that call it.
        ...(config.features.audit ? [AuditApiModule] : []),
      ],
      providers: [
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
        { provide: APP_PIPE, useFactory: createValidationPipe },
        StartupSeeder,
        DependencyMetrics,
      ],
    };
  }
}
