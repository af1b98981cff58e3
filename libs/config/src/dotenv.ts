import { existsSync } from 'node:fs';
import { config as readDotenv } from 'dotenv';

/**
 * Loads `.env` for local development. Variables already set in the environment win, and
 * nothing is loaded under test or in production, where the environment is the only source.
 */
export function loadDotenvForDevelopment(path = '.env'): void {
  const environment = process.env.ENVIRONMENT ?? 'development';
  if (environment === 'production' || environment === 'test' || !existsSync(path)) return;
  readDotenv({ path, quiet: true });
}
