import { Injectable } from '@nestjs/common';
import type { AuditContext } from '@app/audit';
import { AuthService, MfaChallengeResponseDto, TokenResponseDto } from '@app/auth';
import { SsoLoginService } from './sso-login.service';

/** Turns the one-time code of a finished SSO login into tokens, through the MFA step. */
@Injectable()
export class SsoExchangeService {
  constructor(
    private readonly login: SsoLoginService,
    private readonly auth: AuthService,
  ) {}

  async exchange(
    code: string,
    actor: AuditContext,
  ): Promise<TokenResponseDto | MfaChallengeResponseDto> {
    const grant = await this.login.redeem(code);

    return this.auth.loginWithSso(grant.userId, grant.organizationId, actor, {
      connection_id: grant.connectionId,
      protocol: grant.protocol,
    });
  }
}
