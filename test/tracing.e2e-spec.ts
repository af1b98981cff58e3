import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunningApp, buildIfStale, startBuiltApp } from './support/built-app';
import { API } from './support/factories';
import { isolatedStore } from './support/limits';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
}

interface OtlpExport {
  resourceSpans: Array<{
    resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> };
    scopeSpans: Array<{ scope: { name: string }; spans: OtlpSpan[] }>;
  }>;
}

const SPAN_KIND_SERVER = 2;

/** A minimal OTLP/HTTP receiver: keeps every JSON export POSTed to /v1/traces. */
function startReceiver(): Promise<{ server: Server; url: string; exports: OtlpExport[] }> {
  const exports: OtlpExport[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      if (request.method === 'POST' && request.url === '/v1/traces') {
        exports.push(JSON.parse(body) as OtlpExport);
      }
      response.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    });
  });

  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      resolve({ server, url: `http://127.0.0.1:${port}`, exports });
    });
  });
}

/** The run's PostgreSQL and Redis when it has them; else the embedded database. */
function dependencyEnv(dataDir: string): Record<string, string> {
  const names = [
    'POSTGRES_HOST',
    'POSTGRES_PORT',
    'POSTGRES_USER',
    'POSTGRES_PASSWORD',
    'POSTGRES_DB',
    'REDIS_HOST',
    'REDIS_PORT',
    'REDIS_PASSWORD',
  ];
  const env: Record<string, string> = { DATA_DIR: dataDir, ...isolatedStore() };
  for (const name of names) {
    const value = process.env[name];
    if (value) env[name] = value;
  }

  return env;
}

/**
 * The built service with OTEL_EXPORTER_OTLP_ENDPOINT set: instrumentation must load before
 * express, pg and ioredis, which only the real entry point (not Jest's module loader) proves.
 */
describe('tracing in the built service', () => {
  const traceId = randomBytes(16).toString('hex');
  const parentSpanId = randomBytes(8).toString('hex');
  let dataDir: string;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let app: RunningApp | undefined;
  let spans: Array<OtlpSpan & { scope: string }>;
  let serviceNames: string[];

  beforeAll(async () => {
    await buildIfStale();
    dataDir = mkdtempSync(join(tmpdir(), 'fm-tracing-'));
    receiver = await startReceiver();
    app = await startBuiltApp(
      {
        ENVIRONMENT: 'test',
        // The completion line of a 4xx is a debug line.
        LOG_LEVEL: 'debug',
        LOG_FORMAT: 'json',
        BCRYPT_ROUNDS: '4',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_SERVICE_NAME: 'fm-auth-tracing-test',
        ...dependencyEnv(dataDir),
      },
      dataDir,
    );

    // A refused login reads PostgreSQL and counts the attempt in the store (Redis, if set).
    const response = await fetch(`${app.url}${API}/auth/login`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        traceparent: `00-${traceId}-${parentSpanId}-01`,
      },
      body: JSON.stringify({ email: 'nobody@example.com', password: 'Not-the-password-1' }),
    });
    expect(response.status).toBe(401);

    // Shutdown sends the spans still buffered.
    app.child.kill('SIGTERM');
    expect((await app.exited).code).toBe(0);
    spans = receiver.exports.flatMap((batch) =>
      batch.resourceSpans.flatMap((resource) =>
        resource.scopeSpans.flatMap((scope) =>
          scope.spans.map((span) => ({ ...span, scope: scope.scope.name })),
        ),
      ),
    );
    serviceNames = receiver.exports.flatMap((batch) =>
      batch.resourceSpans.flatMap((resource) =>
        resource.resource.attributes
          .filter((attribute) => attribute.key === 'service.name')
          .map((attribute) => attribute.value.stringValue ?? ''),
      ),
    );
  }, 300_000);

  afterAll(async () => {
    app?.stop();
    await new Promise((resolve) => receiver?.server.close(resolve));
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const inTrace = () => spans.filter((span) => span.traceId === traceId);

  it('exports spans under OTEL_SERVICE_NAME', () => {
    expect(spans.length).toBeGreaterThan(0);
    expect(new Set(serviceNames)).toEqual(new Set(['fm-auth-tracing-test']));
  });

  it('continues the caller traceparent in a server span named by route', () => {
    const server = inTrace().find((span) => span.kind === SPAN_KIND_SERVER);

    expect(server).toMatchObject({
      name: `POST ${API}/auth/login`,
      parentSpanId,
      scope: '@opentelemetry/instrumentation-http',
    });
  });

  it('traces Express, PostgreSQL and (with REDIS_HOST) Redis within that trace', () => {
    const scopes = new Set(inTrace().map((span) => span.scope));

    expect(scopes).toContain('@opentelemetry/instrumentation-express');
    expect(scopes).toContain('@opentelemetry/instrumentation-pg');
    if (process.env.REDIS_HOST) expect(scopes).toContain('@opentelemetry/instrumentation-ioredis');
  });

  it('puts the trace id and span id on the log lines of the request', () => {
    const lines = app!
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const failed = lines.find((line) => line.event === 'login_failed');
    const completed = lines.find(
      (line) => line.message === 'request completed' && line.endpoint === `${API}/auth/login`,
    );

    expect(failed).toMatchObject({
      trace_id: traceId,
      span_id: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
    expect(completed).toMatchObject({ trace_id: traceId });
  });
});
