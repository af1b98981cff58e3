import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { METRICS_PATH, Metrics, UNMATCHED_ROUTE } from './metrics';

/** Methods Node's parser accepts but the API never routes collapse into one label value. */
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

interface RoutedRequest extends IncomingMessage {
  route?: { path?: unknown };
  baseUrl?: string;
}

/**
 * The route template Express matched (`/api/v1/enterprise/teams/:id`), or `unmatched`. Nest
 * answers unknown paths under the API prefix through a splat route (`...enterprise*path`):
 * no API route has a splat, so one counts as unmatched too.
 */
export function routeLabel(request: RoutedRequest): string {
  const path = request.route?.path;
  if (typeof path !== 'string' || path.includes('*')) return UNMATCHED_ROUTE;

  return `${request.baseUrl ?? ''}${path}`;
}

/**
 * Express middleware that counts and times every request, labelled by route template. The
 * labels are read when the response closes, after routing has named the template.
 */
export function httpMetricsMiddleware(metrics: Metrics) {
  return (request: RoutedRequest, response: ServerResponse, next: () => void): void => {
    const stopTimer = metrics.httpDuration.startTimer();
    metrics.httpInFlight.inc();
    response.once('close', () => {
      metrics.httpInFlight.dec();
      const method = request.method ?? '';
      const labels = {
        method: KNOWN_METHODS.has(method) ? method : 'OTHER',
        route: routeLabel(request),
        status_code: String(response.statusCode),
      };
      metrics.httpRequests.inc(labels);
      stopTimer(labels);
    });
    next();
  };
}

/** Answers a scrape with the registry in the Prometheus text format. */
export function metricsHandler(metrics: Metrics) {
  return (_request: IncomingMessage, response: ServerResponse): void => {
    metrics.exposition().then(
      ({ contentType, body }) => {
        response.statusCode = 200;
        response.setHeader('Content-Type', contentType);
        response.setHeader('Cache-Control', 'no-store');
        response.end(body);
      },
      () => {
        response.statusCode = 500;
        response.end();
      },
    );
  };
}

/**
 * With METRICS_PORT set, serves GET /metrics on a listener of its own (same HOST), so an
 * ingress in front of the API port never exposes it. Anything else there is a plain 404.
 */
@Injectable()
export class MetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(MetricsServer.name);
  private server?: Server;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: Metrics,
  ) {}

  /** The port it listens on (useful when the kernel chose it), or undefined. */
  get port(): number | undefined {
    const address = this.server?.address();

    return typeof address === 'object' && address ? address.port : undefined;
  }

  async onApplicationBootstrap(): Promise<void> {
    const port = this.config.observability.metricsPort;
    if (port === undefined) return;
    const scrape = metricsHandler(this.metrics);
    const server = createServer((request, response) => {
      const path = (request.url ?? '').split('?')[0];
      if (path === METRICS_PATH && (request.method === 'GET' || request.method === 'HEAD')) {
        scrape(request, response);
        return;
      }
      response.statusCode = 404;
      response.end();
    });
    // Scrapers poll every few seconds: an idle kept-alive socket must not hold shutdown up.
    server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.config.http.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.logger.log({ event: 'metrics_listening', port: this.port });
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}
