import 'reflect-metadata';
import { ConfigValidationError, loadAppConfig, loadDotenvForDevelopment } from '@app/config';
import { createApp } from './app.factory';
import { DOCS_PATH } from './app.setup';
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

  const app = await createApp(config);
  await app.listen(config.http.port, config.http.host);
  printStartupBanner(config, app.get(StartupSeeder).seeded, DOCS_PATH);
}

void bootstrap();
