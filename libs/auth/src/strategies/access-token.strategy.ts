import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { TokenService } from '../token.service';
import { BearerTokenStrategy } from './bearer-token.strategy';
import { Principal } from '@app/common';

export const ACCESS_TOKEN_STRATEGY = 'access-token';

@Injectable()
export class AccessTokenStrategy extends PassportStrategy(
  BearerTokenStrategy,
  ACCESS_TOKEN_STRATEGY,
) {
  constructor(private readonly tokens: TokenService) {
    super();
  }

  validate(token: string): Promise<Principal> {
    return this.tokens.authenticate(token);
  }
}
