import { NotFoundException } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import type { Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { Logger } from 'nestjs-pino';
import type { HttpLogger } from 'pino-http';
import {
  COMMON_ERRORS,
  PROBLEM_CONTENT_TYPE,
  ProblemDetailsFilter,
  commonProblemBody,
  rawProblemResponse,
} from '@app/common';
import { AppConfig } from '@app/config';
import { HTTP_LOGGER, LOG_FIELDS, REQUEST_ID_HEADER } from '@app/observability';
import { AppModule } from './app.module';
import { configureApp } from './app.setup';

/**
 * Builds and initialises the HTTP application: the entry point listens on it, the e2e tests
 * drive it with supertest. Both get the very same middleware, guards and filters.
 */
export async function createApp(config: AppConfig): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bodyParser: false,
    bufferLogs: true,
    // Throw instead of exiting, so the caller decides: main.ts prints the reason and exits,
    // a test reports the failure without ending the whole test run.
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  configureApp(app, config);
  await app.init();
  installFallbacks(app);
  const server = app.getHttpServer();
  limitRequestTime(server, config.http.requestTimeoutMs);
  answerClientErrors(server, app.get<HttpLogger>(HTTP_LOGGER));

  return app;
}

/**
 * A client has HTTP_REQUEST_TIMEOUT_SECONDS to send its request, headers and body: Node's own
 * limits (60 s for headers, 300 s for the whole request) let a slow client hold a connection
 * and its memory for minutes. Node checks them at an interval fixed when the server starts
 * listening, so it is set here, before.
 */
function limitRequestTime(server: Server, timeoutMs: number): void {
  server.headersTimeout = timeoutMs;
  server.requestTimeout = timeoutMs;
  // A constructor option in Node's typings, read from the server when it starts listening.
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval =
    Math.min(2000, timeoutMs);
}

/**
 * Node's HTTP parser answers requests it cannot read (headers over its size limit, bytes that
 * are not HTTP, a request that never arrives in full) itself, with a status and no body. These
 * get the API's problem body instead; nothing of the request is echoed. They never reach
 * Express, so their completion line is written here, without the method and endpoint the
 * parser could not read.
 */
function answerClientErrors(server: Server, httpLogger: HttpLogger): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    // The client is gone, or a response is already under way: there is no one to answer.
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    // A request whose headers arrived is in the application, waiting for the rest of its body:
    // it is answered through its own response, so that its completion line, with method and
    // endpoint, is its only one. The body parser's error that follows finds the answer sent.
    const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse })._httpMessage;
    if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT' && inFlight && !inFlight.headersSent) {
      const requestId = String(inFlight.getHeader(REQUEST_ID_HEADER) ?? randomUUID());
      inFlight.statusCode = COMMON_ERRORS.REQUEST_TIMEOUT.status;
      inFlight.setHeader('Content-Type', PROBLEM_CONTENT_TYPE);
      inFlight.setHeader('Connection', 'close');
      inFlight.end(commonProblemBody('REQUEST_TIMEOUT', requestId));
      return;
    }
    const code =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? 'REQUEST_HEADERS_TOO_LARGE'
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? 'REQUEST_TIMEOUT'
          : 'MALFORMED_REQUEST';
    const requestId = randomUUID();
    socket.end(rawProblemResponse(code, requestId));
    httpLogger.logger.info(
      {
        [LOG_FIELDS.requestId]: requestId,
        [LOG_FIELDS.statusCode]: COMMON_ERRORS[code].status,
        code,
      },
      'request completed',
    );
  });
}

/**
 * Nest answers unknown paths only under the API prefix; these give every other path, and any
 * error raised outside Nest's exception layer, the same problem body.
 */
function installFallbacks(app: NestExpressApplication): void {
  const filter = new ProblemDetailsFilter();
  // The filter writes the 404's detail from the request, as for Nest's own.
  app.use((request: Request, response: Response) =>
    filter.respond(new NotFoundException(), request, response),
  );
  app.use((error: unknown, request: Request, response: Response, _next: NextFunction) =>
    filter.respond(error, request, response),
  );
}
