import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { TypeOrmModule } from '@nestjs/typeorm';
import { RateLimiter } from '@app/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { MailModule } from '@app/mail';
import { OrganizationsModule } from '@app/organizations';
import { UsersModule } from '@app/users';
import { AccountMailBudget } from './account-mail-budget';
import { AccountToken } from './account-token.entity';
import { AccountTokensService } from './account-tokens.service';
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
import { EmailVerificationController } from './email-verification.controller';
import { EmailVerificationService } from './email-verification.service';
import { PasswordController } from './password.controller';
import { PasswordService } from './password.service';
import { AccessTokenStrategy } from './strategies/access-token.strategy';
import { TokenService } from './token.service';

@Module({
  imports: [
    PassportModule,
    TypeOrmModule.forFeature([Session, RefreshToken, TotpFactor, RecoveryCode, AccountToken]),
    UsersModule,
    OrganizationsModule,
    MailModule,
  ],
  controllers: [
    AuthController,
    MfaController,
    SessionsController,
    JwksController,
    PasswordController,
    EmailVerificationController,
  ],
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
    AccountTokensService,
    AccountMailBudget,
    // Stateless: the counts live in the store, shared with RateLimitModule's own instance.
    RateLimiter,
    PasswordService,
    EmailVerificationService,
    AccessTokenStrategy,
    // Guards run in this order: authenticate, then authorize.
    { provide: APP_GUARD, useClass: AccessTokenGuard },
    { provide: APP_GUARD, useClass: AccessPolicyGuard },
  ],
  exports: [TokenService, AuthService],
})
export class AuthModule {}
