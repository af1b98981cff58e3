// First: tracing patches http, express, pg and ioredis as they load.
import { tracing } from './tracing';
import 'reflect-metadata';
import { ConfigValidationError, loadAppConfig, loadDotenvForDevelopment } from '@app/config';
import { createApp } from './app.factory';
import { DOCS_PATH } from './app.setup';
import { installGracefulShutdown } from './graceful-shutdown';
import { printStartupBanner } from './startup-banner';
import { StartupSeeder } from './startup-seeder';

async function bootstrap(): Promise<void> {
  loadDotenvForDevelopment();
  let config;
  try {
    config = loadAppConfig();
  } catch (error) {
    if (error instanceof ConfigValidationError) {
      process.stderr.write(`${error.message}\nThe service did not start.\n`);
      process.exit(1);
    }
    throw error;
  }

  let app;
  try {
    app = await createApp(config);
    installGracefulShutdown(app, config, async () => tracing?.shutdown());
    await app.listen(config.http.port, config.http.host);
  } catch (error) {
    // Start-up failures an operator can act on (a database in use, a port taken, a server
    // that does not answer) are said in one line, not a stack trace.
    process.stderr.write(
      `The service did not start: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  }
  printStartupBanner(config, app.get(StartupSeeder).seeded, DOCS_PATH);
}

void bootstrap();
