import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG, AppConfig } from '@app/config';
import { OrganizationsModule } from '@app/organizations';
import { UsersModule } from '@app/users';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { AccessPolicyGuard } from './guards/access-policy.guard';
import { AccessTokenGuard } from './guards/access-token.guard';
import { MfaChallenges } from './mfa/mfa-challenges';
import { MfaController } from './mfa/mfa.controller';
import { MfaService } from './mfa/mfa.service';
import { RecoveryCode } from './mfa/recovery-code.entity';
import { TotpFactor } from './mfa/totp-factor.entity';
import { RefreshToken } from './refresh-token.entity';
import { Session } from './session.entity';
import { SessionsController } from './sessions.controller';
import { SessionsService } from './sessions.service';
import { JWT_KEYRING, buildKeyring, resolveSigningKey } from './signing-key';
import { JwksController } from './jwks.controller';
import { AccessTokenStrategy } from './strategies/access-token.strategy';
import { TokenService } from './token.service';

@Module({
  imports: [
    PassportModule,
    TypeOrmModule.forFeature([Session, RefreshToken, TotpFactor, RecoveryCode]),
    UsersModule,
    OrganizationsModule,
  ],
  controllers: [AuthController, MfaController, SessionsController, JwksController],
  providers: [
    {
      provide: JWT_KEYRING,
      inject: [APP_CONFIG],
      useFactory: (c: AppConfig) => buildKeyring(c, () => resolveSigningKey(c)),
    },
    TokenService,
    AuthService,
    MfaService,
    MfaChallenges,
    SessionsService,
    AccessTokenStrategy,
    // Guards run in this order: authenticate, then authorize.
    { provide: APP_GUARD, useClass: AccessTokenGuard },
    { provide: APP_GUARD, useClass: AccessPolicyGuard },
  ],
  exports: [TokenService],
})
export class AuthModule {}
