import type { Request } from 'express';
import { Strategy } from 'passport';
import { Principal } from '@app/common';

type VerifyCallback = (
  token: string,
  done: (error: unknown, principal?: Principal | false) => void,
) => void;

const BEARER = /^Bearer\s+([A-Za-z0-9\-_.~+/]+=*)\s*$/i;

/**
 * A Passport strategy that takes the bearer token from the Authorization header (RFC 6750)
 * and hands it to a verify callback. Verification itself lives in TokenService.
 */
export class BearerTokenStrategy extends Strategy {
  override name = 'bearer';

  constructor(private readonly verifyToken: VerifyCallback) {
    super();
  }

  override authenticate(req: Request): void {
    const match = BEARER.exec(req.headers.authorization ?? '');
    if (!match) {
      this.fail('missing', 401);
      return;
    }
    this.verifyToken(match[1], (error, principal) => {
      if (error) this.error(error);
      else if (!principal) this.fail('invalid', 401);
      else this.success(principal);
    });
  }
}
