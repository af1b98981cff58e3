import {
  Body,
  Controller,
  Get,
  Header,
  HttpCode,
  HttpStatus,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  Redirect,
  Req,
} from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiExtraModels,
  ApiFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { Request } from 'express';
import type { AuditContext } from '@app/audit';
import { MfaChallengeResponseDto, TokenResponseDto } from '@app/auth';
import { Actor, ApiProblems, Public, RateLimit } from '@app/common';
import { DiscoverDto, DiscoveryDto, SsoExchangeDto, SsoLoginQueryDto } from './dto/sso-flow.dto';
import { SsoExchangeService } from './sso-exchange.service';
import { SsoLoginService } from './sso-login.service';

interface RedirectAnswer {
  url: string;
  statusCode: number;
}

/**
 * The browser's side of single sign-on. Every route is public: the identity provider's
 * signed answer, not a bearer token, says who the user is.
 */
@ApiTags('sso')
@Public()
@RateLimit('auth')
@Controller('sso')
export class SsoController {
  constructor(private readonly login: SsoLoginService) {}

  @Post('discover')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'How the owner of an email signs in: password or an SSO connection',
    description:
      'Decided by the email domain alone, so the answer says nothing about whether an ' +
      'account exists.',
  })
  @ApiOkResponse({ type: DiscoveryDto })
  @ApiProblems(400, 413, 429, 503)
  discover(@Body() body: DiscoverDto): Promise<DiscoveryDto> {
    return this.login.discover(body.email);
  }

  @Get('saml/:id/metadata')
  @Header('Content-Type', 'application/samlmetadata+xml; charset=utf-8')
  @ApiOperation({ summary: 'Service provider metadata XML of a SAML connection' })
  @ApiProduces('application/samlmetadata+xml')
  @ApiOkResponse({ schema: { type: 'string' } })
  @ApiProblems(400, 404, 429, 503)
  samlMetadata(@Param('id', ParseUUIDPipe) id: string): Promise<string> {
    return this.login.samlMetadata(id);
  }

  @Get('saml/:id/login')
  @Redirect()
  @ApiOperation({
    summary: 'Start a SAML login: redirects the browser to the identity provider',
    description:
      "`return_url` must be one of the organization's `sso_return_urls`. The browser ends " +
      'there with `?code=` (and `state` when given), to exchange at POST auth/sso/exchange.',
  })
  @ApiFoundResponse({ description: 'Redirect to the identity provider' })
  @ApiProblems(400, 404, 429, 502, 503)
  async samlLogin(
    @Param('id', ParseUUIDPipe) id: string,
    @Query() query: SsoLoginQueryDto,
  ): Promise<RedirectAnswer> {
    return {
      url: await this.login.start(id, 'saml', query.return_url, query.state),
      statusCode: 302,
    };
  }

  @Post('saml/:id/acs')
  @Redirect()
  @ApiOperation({
    summary: 'SAML assertion consumer service (HTTP-POST binding)',
    description:
      'Validates the signed response and sends the browser to the return URL with a one-time ' +
      'code. A refused response is answered 401 with the reason and audited.',
  })
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['SAMLResponse'],
      properties: { SAMLResponse: { type: 'string' }, RelayState: { type: 'string' } },
    },
  })
  @ApiResponse({ status: 303, description: 'Redirect to the return URL with ?code=' })
  @ApiProblems(400, 401, 403, 404, 413, 429, 503)
  async samlAcs(
    @Param('id', ParseUUIDPipe) id: string,
    @Req() request: Request,
    @Actor() actor: AuditContext,
  ): Promise<RedirectAnswer> {
    const body = (request.body ?? {}) as Record<string, unknown>;

    return { url: await this.login.finishSaml(id, body, actor), statusCode: 303 };
  }

  @Get('oidc/:id/login')
  @Redirect()
  @ApiOperation({
    summary: 'Start an OIDC login: redirects the browser to the OpenID provider',
    description:
      "`return_url` must be one of the organization's `sso_return_urls`. The browser ends " +
      'there with `?code=` (and `state` when given), to exchange at POST auth/sso/exchange.',
  })
  @ApiFoundResponse({ description: 'Redirect to the OpenID provider' })
  @ApiProblems(400, 404, 429, 502, 503)
  async oidcLogin(
    @Param('id', ParseUUIDPipe) id: string,
    @Query() query: SsoLoginQueryDto,
  ): Promise<RedirectAnswer> {
    return {
      url: await this.login.start(id, 'oidc', query.return_url, query.state),
      statusCode: 302,
    };
  }

  @Get('oidc/:id/callback')
  @Redirect()
  @ApiOperation({
    summary: 'OIDC redirect URI: takes the authorization code back from the provider',
    description:
      'Exchanges the code (with PKCE), validates the ID token and sends the browser to the ' +
      'return URL with a one-time code. A refusal is answered 401 with the reason and audited.',
  })
  @ApiResponse({ status: 303, description: 'Redirect to the return URL with ?code=' })
  @ApiProblems(400, 401, 403, 404, 429, 502, 503)
  async oidcCallback(
    @Param('id', ParseUUIDPipe) id: string,
    @Req() request: Request,
    @Actor() actor: AuditContext,
  ): Promise<RedirectAnswer> {
    const search = request.originalUrl.includes('?')
      ? request.originalUrl.slice(request.originalUrl.indexOf('?'))
      : '';
    const callbackUrl = new URL(`${this.login.oidcRedirectUri(id)}${search}`);

    return { url: await this.login.finishOidc(id, callbackUrl, actor), statusCode: 303 };
  }
}

@ApiTags('auth')
@Public()
@RateLimit('auth')
@Controller('auth/sso')
export class SsoExchangeController {
  constructor(private readonly exchange: SsoExchangeService) {}

  @Post('exchange')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Exchange the one-time code of a finished single sign-on for tokens',
    description:
      'The code works once, for 60 seconds. Like a password login, an account with MFA (or ' +
      'an owner or admin of an organization that requires it) gets an MFA challenge first.',
  })
  @ApiExtraModels(TokenResponseDto, MfaChallengeResponseDto)
  @ApiOkResponse({
    schema: {
      oneOf: [
        { $ref: getSchemaPath(TokenResponseDto) },
        { $ref: getSchemaPath(MfaChallengeResponseDto) },
      ],
    },
  })
  @ApiProblems(400, 403, 413, 429, 503)
  exchangeCode(
    @Body() body: SsoExchangeDto,
    @Actor() actor: AuditContext,
  ): Promise<TokenResponseDto | MfaChallengeResponseDto> {
    return this.exchange.exchange(body.code, actor);
  }
}
