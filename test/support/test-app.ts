import type { Server } from 'node:http';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DataSource } from 'typeorm';
import { AppConfig, loadAppConfig } from '@app/config';
import { createApp } from '../../apps/auth-service/src/app.factory';

export interface TestApp {
  app: NestExpressApplication;
  server: Server;
  dataSource: DataSource;
  config: AppConfig;
  close(): Promise<void>;
}

/**
 * Boots the real application, exactly as `npm start` does, on the test run's database and
 * store. `env` overrides single variables for this app only.
 */
export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const config = loadAppConfig({ ...process.env, ...env });
  const app = await createApp(config);

  return {
    app,
    server: app.getHttpServer(),
    dataSource: app.get(DataSource),
    config,
    close: () => app.close(),
  };
}
