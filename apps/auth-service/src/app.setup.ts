import { INestApplication, RequestMethod } from '@nestjs/common';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import helmet from 'helmet';
import { ProblemDetailsDto } from '@app/common';
import { AppConfig } from '@app/config';
import { REQUEST_ID_HEADER, requestIdMiddleware } from '@app/observability';

export const API_PREFIX = 'api/v1/enterprise';
export const DOCS_PATH = 'enterprise/docs';

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
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .build();

  return SwaggerModule.createDocument(app, options, { extraModels: [ProblemDetailsDto] });
}

/**
 * Everything about the HTTP layer that is not a module: proxy trust, security headers, CORS,
 * body limits, the API prefix and Swagger. Shared by the entry point and the e2e tests.
 */
export function configureApp(app: NestExpressApplication, config: AppConfig): void {
  app.set('trust proxy', config.http.trustProxy);
  app.disable('x-powered-by');
  app.use(requestIdMiddleware);
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
      exposedHeaders: [REQUEST_ID_HEADER, 'Retry-After'],
    });
  }
  app.useBodyParser('json', { limit: config.http.bodyLimit });
  app.setGlobalPrefix(API_PREFIX, { exclude: UNPREFIXED_ROUTES });
  app.enableShutdownHooks();

  if (config.http.swagger) {
    SwaggerModule.setup(DOCS_PATH, app, () => buildOpenApiDocument(app), {
      jsonDocumentUrl: `${DOCS_PATH}-json`,
      customSiteTitle: 'FaultMaven Auth API',
      swaggerOptions: { persistAuthorization: true },
    });
  }
}
