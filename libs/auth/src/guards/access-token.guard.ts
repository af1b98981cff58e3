import { ExecutionContext, Injectable } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { IS_PUBLIC_KEY, Principal } from '@app/common';
import { AuthException } from '../auth.exception';
import { MfaChallenges, isMfaToken } from '../mfa/mfa-challenges';
import { ACCEPTS_MFA_ENROLLMENT_TOKEN, MfaRequest } from '../mfa/mfa-subject';
import { ACCESS_TOKEN_STRATEGY } from '../strategies/access-token.strategy';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * Global guard: every route needs a valid access token unless it is marked @Public(). The
 * MFA enrolment routes alone also take the restricted token of an enrolment-required login;
 * anywhere else that token fails as any non-JWT does.
 */
@Injectable()
export class AccessTokenGuard extends AuthGuard(ACCESS_TOKEN_STRATEGY) {
  constructor(
    private readonly reflector: Reflector,
    private readonly mfaChallenges: MfaChallenges,
  ) {
    super();
  }

  override canActivate(
    context: ExecutionContext,
  ): boolean | Promise<boolean> | Observable<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, targets);
    if (isPublic) return true;

    if (this.reflector.get<boolean>(ACCEPTS_MFA_ENROLLMENT_TOKEN, context.getHandler())) {
      const request = context.switchToHttp().getRequest<MfaRequest>();
      const token = BEARER.exec(request.headers.authorization ?? '')?.[1];
      if (token && isMfaToken(token)) return this.admitEnrollmentToken(request, token);
    }

    return super.canActivate(context);
  }

  private async admitEnrollmentToken(request: MfaRequest, token: string): Promise<boolean> {
    const userAgent = request.headers['user-agent'];
    request.mfaEnrollment = await this.mfaChallenges.findEnrollment(
      token,
      typeof userAgent === 'string' ? userAgent.slice(0, 512) : null,
    );

    return true;
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
