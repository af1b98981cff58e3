import { AppConfig } from '@app/config';
import { SeedResult } from '@app/organizations';

/**
 * Tells the person who just ran `npm start` where things are. The generated admin password
 * is written here, to the terminal, exactly once, and never to the log.
 */
export function printStartupBanner(
  config: AppConfig,
  seeded: SeedResult | undefined,
  docsPath: string,
): void {
  const url = config.http.publicUrl;
  const lines = [
    '',
    `FaultMaven Auth Service listening on port ${config.http.port}`,
    `  Swagger UI:   ${url}/${docsPath}`,
    `  Health:       ${url}/health`,
    `  Database:     ${config.database.host ? `PostgreSQL at ${config.database.host}` : 'embedded PostgreSQL'}`,
    `  Store:        ${config.redis.host ? `Redis at ${config.redis.host}` : 'in-memory'}`,
  ];
  if (seeded) {
    lines.push(
      '',
      'Seeded an empty database:',
      `  Organization: ${seeded.organization.name} (id ${seeded.organization.id})`,
      `  Admin email:  ${seeded.admin.email}`,
      seeded.generatedPassword
        ? `  Admin password (shown only now): ${seeded.generatedPassword}`
        : '  Admin password: the one in ADMIN_PASSWORD',
    );
  }
  process.stdout.write(`${lines.join('\n')}\n\n`);
}
