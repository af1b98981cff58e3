import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems, Public } from '@app/common';
import { AuthException } from './auth.exception';
import { JwksDto } from './dto/jwks.dto';
import { TokenService } from './token.service';

/** Where other services fetch the keys that verify access tokens; outside the API prefix. */
@ApiTags('keys')
@Controller('.well-known')
export class JwksController {
  constructor(private readonly tokens: TokenService) {}

  @Public()
  @Get('jwks.json')
  // Short, so a newly published next key reaches verifiers well before it starts signing.
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({
    summary: 'Public keys that verify access tokens (JWKS)',
    description:
      'The signing key, the next key (published before it signs) and the previous key (until ' +
      'its tokens expire), each with `kid` and `alg`. 404 when tokens are signed with a shared ' +
      'HS256 secret, which is never published.',
  })
  @ApiOkResponse({ type: JwksDto })
  @ApiProblems(404)
  jwks(): JwksDto {
    const keys = this.tokens.jwks;
    if (keys.length === 0) throw new AuthException('AUTH_NO_PUBLIC_KEYS');

    return { keys };
  }
}
