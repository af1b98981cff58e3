import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { IS_PUBLIC_KEY, Principal } from '@app/common';
import { AuthException } from '../auth.exception';
import { ACCESS_TOKEN_STRATEGY } from '../strategies/access-token.strategy';

/**
 * Global guard: every route needs a valid access token unless it is marked @Public().
 */
@Injectable()
export class AccessTokenGuard extends AuthGuard(ACCESS_TOKEN_STRATEGY) {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  override canActivate(context: ExecutionContext) {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;

    return super.canActivate(context);
  }

  override handleRequest<TUser = Principal>(
    error: unknown,
    principal: TUser,
    info: unknown,
  ): TUser {
    if (error instanceof Error) throw error;
    if (error) throw new AuthException('AUTH_INVALID_TOKEN');
    if (!principal) {
      throw new AuthException(info === 'missing' ? 'AUTH_TOKEN_MISSING' : 'AUTH_INVALID_TOKEN');
    }

    return principal;
  }
}
