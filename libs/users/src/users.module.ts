import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { RateLimiter } from '@app/common';
import { LoginAttemptsService } from './login-attempts.service';
import { PasswordHasher } from './password-hasher.service';
import { User } from './user.entity';
import { UsersService } from './users.service';

@Module({
  imports: [TypeOrmModule.forFeature([User])],
  providers: [UsersService, PasswordHasher, RateLimiter, LoginAttemptsService],
  exports: [UsersService, PasswordHasher, LoginAttemptsService],
})
export class UsersModule {}
