import { INestApplication, RequestMethod } from '@nestjs/common';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import helmet from 'helmet';
import { isUtf8 } from 'node:buffer';
import type { ServerResponse } from 'node:http';
import type { NextFunction, Request, RequestHandler } from 'express';
import {
  CommonException,
  INVALID_UTF8_BODY,
  ProblemDetailsDto,
  RATE_LIMIT_HEADERS,
  UuidParamsGuard,
} from '@app/common';
import { AppConfig } from '@app/config';
import { ShutdownState } from '@app/health';
import {
  HTTP_LOGGER,
  METRICS_PATH,
  Metrics,
  REQUEST_ID_HEADER,
  httpMetricsMiddleware,
  metricsHandler,
  requestIdMiddleware,
  traceFieldsMiddleware,
} from '@app/observability';
import { requireJsonBody } from './body-media-types';
import { refuseMalformedQuery } from './query-string';

export const API_PREFIX = 'api/v1/enterprise';
export const DOCS_PATH = 'enterprise/docs';

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** Routes that live outside the API prefix, where probes and scrapers expect them. */
const UNPREFIXED_ROUTES = [
  { path: 'health', method: RequestMethod.GET },
  { path: 'health/live', method: RequestMethod.GET },
  { path: 'health/ready', method: RequestMethod.GET },
  { path: '.well-known/jwks.json', method: RequestMethod.GET },
];

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const options = new DocumentBuilder()
    .setTitle('FaultMaven Auth Service, Enterprise Edition')
    .setDescription(
      'Authentication, organizations and single sign-on for FaultMaven. Errors use RFC 9457 ' +
        'problem details with `code` and `request_id`; every response carries X-Request-ID.',
    )
    .setVersion('1.0.0')
    // Relative, so "Try it out" and generated clients call whichever host served the document.
    .addServer('/', 'This service')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    // Every route needs a token unless it is @Public(), as the global guard enforces.
    .addSecurityRequirements('bearer')
    .build();
  // The service is not open source (package.json: UNLICENSED), so there is no licence URL.
  options.info.license = { name: 'Proprietary' };
  const document = SwaggerModule.createDocument(app, options, {
    extraModels: [ProblemDetailsDto],
  });
  markPublicOperations(document);

  return document;
}

/** Turns the `[{}]` that @Public() leaves on an operation into `security: []` (no token). */
function markPublicOperations(document: OpenAPIObject): void {
  for (const item of Object.values(document.paths)) {
    for (const method of HTTP_METHODS) {
      const operation = item[method];
      const security = operation?.security;
      if (operation && security?.length === 1 && Object.keys(security[0]).length === 0) {
        operation.security = [];
      }
    }
  }
}

/**
 * The JSON parser's `verify` hook: a body that is not UTF-8 is refused (400 MALFORMED_JSON)
 * rather than decoded with U+FFFD in place of the bad bytes and stored altered.
 */
function refuseInvalidUtf8(_request: unknown, _response: unknown, body: Buffer): void {
  if (!isUtf8(body)) {
    throw Object.assign(new Error('The request body is not valid UTF-8'), {
      status: 400,
      type: INVALID_UTF8_BODY,
    });
  }
}

/**
 * The JSON parser's strict mode refuses a body that is a bare string, number or null but lets an
 * array through, which would reach a DTO as fields "0", "1"...: no endpoint takes one, so it is
 * refused the same way (400 MALFORMED_JSON).
 */
function refuseJsonArray(request: Request, _response: unknown, next: NextFunction): void {
  if (Array.isArray(request.body)) return next(new CommonException('MALFORMED_JSON'));
  next();
}

/**
 * Once shutdown has begun every response closes its connection, so a kept-alive client
 * opens a new one, which the load balancer sends to another instance.
 */
function closeConnectionsWhenDraining(shutdown: ShutdownState) {
  return (_request: unknown, response: ServerResponse, next: () => void): void => {
    if (shutdown.isDraining) response.setHeader('Connection', 'close');
    next();
  };
}

/**
 * API answers carry tokens and personal data, which no browser or proxy cache may keep: RFC 6749
 * (5.1) asks this of every response with a token, `Pragma` for HTTP/1.0 caches. A route whose
 * answer may be cached sets its own Cache-Control, which replaces this one.
 */
function forbidCaching(_request: unknown, response: ServerResponse, next: () => void): void {
  response.setHeader('Cache-Control', 'no-store');
  response.setHeader('Pragma', 'no-cache');
  next();
}

/**
 * Everything about the HTTP layer that is not a module: proxy trust, security headers, CORS,
 * body limits, the API prefix and Swagger. Shared by the entry point and the e2e tests.
 */
export function configureApp(app: NestExpressApplication, config: AppConfig): void {
  app.set('trust proxy', config.http.trustProxy);
  app.disable('x-powered-by');
  // Nothing is cached (see forbidCaching) and the JWKS has its own max-age, so a validator is
  // of no use to a client: Express would otherwise hash every JSON body for an ETag.
  app.set('etag', false);
  app.use(requestIdMiddleware);
  app.use(traceFieldsMiddleware);
  // Before anything that can refuse a request, so every response gets its completion line.
  app.use(app.get<RequestHandler>(HTTP_LOGGER));
  app.use(httpMetricsMiddleware(app.get(Metrics)));
  app.use(closeConnectionsWhenDraining(app.get(ShutdownState)));
  app.use(
    helmet({
      hsts: { maxAge: 31_536_000, includeSubDomains: true },
      // Swagger UI needs inline styles and data: images; scripts stay same-origin only.
      contentSecurityPolicy: {
        directives: { 'img-src': ["'self'", 'data:'], 'style-src': ["'self'", "'unsafe-inline'"] },
      },
    }),
  );
  if (config.http.corsOrigins.length > 0) {
    app.enableCors({
      origin: config.http.corsOrigins,
      credentials: true,
      exposedHeaders: [REQUEST_ID_HEADER, 'Retry-After', ...RATE_LIMIT_HEADERS],
    });
  }
  app.use(`/${API_PREFIX}`, forbidCaching);
  app.use(refuseMalformedQuery);
  app.use(requireJsonBody);
  // Nest's typings leave out `verify` (Nest sets its own under the `rawBody` option, which
  // this app does not use) but Nest hands the options to body-parser as they are.
  const jsonOptions = { limit: config.http.bodyLimit, verify: refuseInvalidUtf8 };
  app.useBodyParser('json', jsonOptions);
  app.use(refuseJsonArray);
  app.setGlobalPrefix(API_PREFIX, { exclude: UNPREFIXED_ROUTES });
  // After the modules' guards (authentication, authorization, rate limits), which are in place
  // once the application is created: a bad path parameter is answered where its pipe would be.
  app.useGlobalGuards(new UuidParamsGuard());
  // A plain Express route, not a controller: outside the API prefix, the guards and the
  // OpenAPI document. With METRICS_PORT set it lives on that listener only (404 here).
  if (config.observability.metricsPort === undefined) {
    app
      .getHttpAdapter()
      .getInstance()
      .get(METRICS_PATH, metricsHandler(app.get(Metrics)));
  }

  if (config.http.swagger) {
    SwaggerModule.setup(DOCS_PATH, app, () => buildOpenApiDocument(app), {
      jsonDocumentUrl: `${DOCS_PATH}-json`,
      customSiteTitle: 'FaultMaven Auth API',
      swaggerOptions: { persistAuthorization: true },
    });
  }
}
