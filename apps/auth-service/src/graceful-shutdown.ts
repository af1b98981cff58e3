import { Logger } from '@nestjs/common';
import { NestExpressApplication } from '@nestjs/platform-express';
import type { Server } from 'node:http';
import { AppConfig } from '@app/config';
import { ShutdownState } from '@app/health';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * Drains the service on SIGTERM or SIGINT:
 * 1. readiness answers 503 and every response asks its client to close the connection;
 * 2. after GRACEFUL_SHUTDOWN_DELAY the listener closes: no new connection, idle kept-alive
 *    ones are closed, requests under way finish;
 * 3. the application closes: the metrics listener, PostgreSQL pool and Redis connection;
 * 4. `afterClose` runs (buffered spans are sent), and the process exits 0.
 * Past GRACEFUL_SHUTDOWN_TIMEOUT it exits 1, whatever is still running, and says so.
 */
export function installGracefulShutdown(
  app: NestExpressApplication,
  config: AppConfig,
  afterClose: () => Promise<void> = () => Promise.resolve(),
): void {
  const logger = new Logger('Shutdown');
  const { timeoutSeconds, drainDelaySeconds } = config.shutdown;
  let started = false;

  const shutdown = async (signal: string): Promise<void> => {
    // A second signal changes nothing: the deadline below already bounds the wait.
    if (started) return;
    started = true;
    setTimeout(() => {
      logger.error({ event: 'shutdown_forced', timeout_seconds: timeoutSeconds });
      process.exit(1);
    }, timeoutSeconds * 1000);
    logger.log({ event: 'shutdown_started', signal, drain_delay_seconds: drainDelaySeconds });

    app.get(ShutdownState).begin();
    await new Promise((resolve) => setTimeout(resolve, drainDelaySeconds * 1000));
    await closeListener(app.getHttpServer());
    await app.close();
    await afterClose().catch((error: unknown) =>
      logger.warn({ event: 'shutdown_step_failed', error: String(error) }),
    );
    logger.log({ event: 'shutdown_completed' });
    process.exit(0);
  };

  for (const signal of SIGNALS) {
    process.on(signal, () => void shutdown(signal));
  }
}

/** Resolves once every connection has ended; requests under way finish first. */
function closeListener(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
