import { MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { urlencoded } from 'express';
import { APP_CONFIG, AppConfig } from '@app/config';
import { AuthModule } from '@app/auth';
import { UsersModule } from '@app/users';
import { OidcProtocol } from './oidc/oidc-protocol';
import { DomainVerifier } from './domain-verification';
import { MountedSamlCredentials } from './saml/mounted-credentials';
import { SamlProtocol } from './saml/saml-protocol';
import { SsoConnection, SsoConnectionDomain, SsoIdentity } from './sso-connection.entity';
import { SsoConnectionsController } from './sso-connections.controller';
import { SsoConnectionsService } from './sso-connections.service';
import { SsoController, SsoExchangeController } from './sso.controller';
import { SsoExchangeService } from './sso-exchange.service';
import { SsoLoginService } from './sso-login.service';
import { SSO_PROTOCOL_OPTIONS, SsoProtocolOptions } from './sso-protocol';

/** Largest SAML response accepted; signed responses with certificates are tens of kilobytes. */
const SAML_POST_LIMIT = '512kb';

/**
 * Single sign-on: SSO connections, discovery, the SAML and OIDC flows and the code exchange.
 * AppModule imports it only when ENABLE_SSO is on.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([SsoConnection, SsoConnectionDomain, SsoIdentity]),
    AuthModule,
    UsersModule,
  ],
  controllers: [SsoConnectionsController, SsoController, SsoExchangeController],
  providers: [
    {
      provide: SSO_PROTOCOL_OPTIONS,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig): SsoProtocolOptions => ({
        clockSkewSeconds: config.sso.clockSkewSeconds,
        flowTtlSeconds: config.sso.flowTtlSeconds,
        allowHttpLoopbackIssuers: config.sso.allowHttpLoopbackIssuers,
        issuerAddresses: {
          loopback: config.sso.allowLoopbackIssuerAddresses,
          private: config.sso.allowPrivateIssuerAddresses,
        },
      }),
    },
    SamlProtocol,
    OidcProtocol,
    MountedSamlCredentials,
    DomainVerifier,
    SsoConnectionsService,
    SsoLoginService,
    SsoExchangeService,
  ],
  exports: [SsoConnectionsService],
})
export class SsoModule implements NestModule {
  /** The SAML HTTP-POST binding sends a form; only the ACS route parses one. */
  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply(urlencoded({ extended: false, limit: SAML_POST_LIMIT, parameterLimit: 10 }))
      .forRoutes({ path: 'sso/saml/:id/acs', method: RequestMethod.POST });
  }
}
