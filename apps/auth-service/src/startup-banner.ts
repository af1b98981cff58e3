import { AppConfig, RedisConfig } from '@app/config';
import { SeedResult, deliverAdminPassword } from '@app/organizations';

/**
 * Tells the person who just ran `npm start` where things are. A generated admin password is
 * shown here once when stdout is a terminal, and never logged; when stdout is redirected it
 * goes to a mode 0600 file under DATA_DIR instead, and only the file's path is printed.
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
    `  Store:        ${describeStore(config.redis)}`,
  ];
  if (seeded) {
    lines.push(
      '',
      'Seeded an empty database:',
      `  Organization: ${seeded.organization.name} (id ${seeded.organization.id})`,
      `  Admin email:  ${seeded.admin.email}`,
      seeded.generatedPassword
        ? `  ${deliverAdminPassword(seeded.generatedPassword, config.dataDir)}`
        : '  Admin password: the one in ADMIN_PASSWORD',
    );
  }
  process.stdout.write(`${lines.join('\n')}\n\n`);
}

function describeStore(redis: RedisConfig): string {
  if (!redis.enabled) return 'in-memory';
  const tls = redis.tls ? ' over TLS' : '';
  switch (redis.mode) {
    case 'standalone':
      return `Redis at ${redis.host}${tls}`;
    case 'sentinel':
      return `Redis master "${redis.sentinel?.masterName}" via Sentinel${tls}`;
    case 'cluster':
      return `Redis Cluster (${redis.cluster?.nodes.length} seed nodes)${tls}`;
  }
}
