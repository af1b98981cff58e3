import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG, AppConfig } from '@app/config';
import { MailModule } from '@app/mail';
import { OrganizationsModule } from '@app/organizations';
import { UsersModule } from '@app/users';
import { AccountToken } from './account-token.entity';
import { AccountTokensService } from './account-tokens.service';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { AccessPolicyGuard } from './guards/access-policy.guard';
import { AccessTokenGuard } from './guards/access-token.guard';
import { RefreshToken } from './refresh-token.entity';
import { Session } from './session.entity';
import { JWT_SIGNING_KEY, resolveSigningKey } from './signing-key';
import { EmailVerificationController } from './email-verification.controller';
import { EmailVerificationService } from './email-verification.service';
import { PasswordController } from './password.controller';
import { PasswordService } from './password.service';
import { AccessTokenStrategy } from './strategies/access-token.strategy';
import { TokenService } from './token.service';

@Module({
  imports: [
    PassportModule,
    TypeOrmModule.forFeature([Session, RefreshToken, AccountToken]),
    UsersModule,
    OrganizationsModule,
    MailModule,
  ],
  controllers: [AuthController, PasswordController, EmailVerificationController],
  providers: [
    {
      provide: JWT_SIGNING_KEY,
      inject: [APP_CONFIG],
      useFactory: (c: AppConfig) => resolveSigningKey(c),
    },
    TokenService,
    AuthService,
    AccountTokensService,
    PasswordService,
    EmailVerificationService,
    AccessTokenStrategy,
    // Guards run in this order: authenticate, then authorize.
    { provide: APP_GUARD, useClass: AccessTokenGuard },
    { provide: APP_GUARD, useClass: AccessPolicyGuard },
  ],
  exports: [TokenService],
})
export class AuthModule {}
