import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AuditChainPurge, purgeAuditEvents, retentionCutoff } from '@app/audit';
import { reencryptTotpSecrets } from '@app/auth';
import {
  AppConfig,
  ConfigValidationError,
  loadAppConfig,
  loadDotenvForDevelopment,
} from '@app/config';
import { SecretCipher, resolveEncryptionKeys } from '@app/crypto';
import { SeedService, deliverAdminPassword } from '@app/organizations';
import { reencryptSsoSecrets } from '@app/sso';
import {
  generateMigration,
  revertMigration,
  runMigrations,
  showMigrations,
  withDataSource,
} from './migrations';
import { SeedModule } from './seed.module';

const USAGE = `Usage: cli <command>

Commands:
  migration:run              apply pending migrations
  migration:revert           revert the last applied migration
  migration:show             list migrations, [X] = applied
  migration:generate <Name>  write a migration for entity changes (PascalCase name)
  seed                       create the default organization and platform admin (idempotent)
  audit:purge                delete audit events older than AUDIT_RETENTION_DAYS, per chain
  keys:rotate-encryption     re-encrypt stored secrets with the first key of ENCRYPTION_KEYS
`;

async function seed(config: AppConfig): Promise<string> {
  const app = await NestFactory.createApplicationContext(SeedModule.forRoot(config), {
    logger: ['error', 'warn'],
  });
  try {
    const result = await app.get(SeedService).seed();
    const lines = [
      `Organization: ${result.organization.name} (id ${result.organization.id})${
        result.organizationCreated ? ' created' : ' already present'
      }`,
      `Admin:        ${result.admin.email}${result.adminCreated ? ' created' : ' already present'}`,
    ];
    if (result.generatedPassword) {
      lines.push(deliverAdminPassword(result.generatedPassword, config.dataDir));
    }
    return lines.join('\n');
  } finally {
    await app.close();
  }
}

async function purgeAudit(config: AppConfig): Promise<string> {
  const cutoff = retentionCutoff(config.audit.retentionDays);
  const results = await withDataSource(config, (dataSource) =>
    purgeAuditEvents(dataSource, { cutoff }),
  );
  const lines = results.map(describePurge);
  const removed = results.reduce((sum, result) => sum + result.removed, 0);
  lines.push(
    `Removed ${removed} audit events older than ${cutoff.toISOString()} ` +
      `(${config.audit.retentionDays} days) from ${results.length} chains`,
  );

  return lines.join('\n');
}

async function rotateEncryption(config: AppConfig): Promise<string> {
  const cipher = new SecretCipher(resolveEncryptionKeys(config));
  const [totp, sso] = await withDataSource(config, async (dataSource) => [
    await reencryptTotpSecrets(dataSource, cipher),
    await reencryptSsoSecrets(dataSource, cipher),
  ]);

  const lines = [
    `TOTP secrets: ${totp.reencrypted} of ${totp.checked} re-encrypted ` +
      `with key ${cipher.currentKeyId}`,
    `SSO connections with secrets: ${sso.reencrypted} of ${sso.checked} re-encrypted ` +
      `with key ${cipher.currentKeyId}`,
  ];
  const undecryptable = totp.undecryptable + sso.undecryptable;
  if (undecryptable > 0) {
    lines.push(
      `${undecryptable} could not be decrypted with any configured key and were left ` +
        'as they are: keep the key that made them in ENCRYPTION_KEYS',
    );
  }

  return lines.join('\n');
}

function describePurge(result: AuditChainPurge): string {
  if (result.skippedReason) {
    return `${result.organizationId}: skipped, the events to remove do not verify (${result.skippedReason})`;
  }

  return `${result.organizationId}: removed ${result.removed} events, anchor at sequence ${result.anchorSequence}`;
}

async function main(argv: string[]): Promise<number> {
  const [command, argument] = argv;
  loadDotenvForDevelopment();
  // The CLI is run on purpose: it never migrates or seeds as a side effect of starting.
  const config = { ...loadAppConfig() };
  config.startup = { runMigrations: command === 'seed' && !config.isProduction, seed: false };

  let output: string;
  switch (command) {
    case 'migration:run':
      output = await withDataSource(config, runMigrations);
      break;
    case 'migration:revert':
      output = await withDataSource(config, revertMigration);
      break;
    case 'migration:show':
      output = await withDataSource(config, showMigrations);
      break;
    case 'migration:generate':
      if (!argument) {
        process.stderr.write('migration:generate needs a name, e.g. AddUserLocale\n');
        return 2;
      }
      output = await withDataSource(config, (dataSource) =>
        generateMigration(dataSource, argument),
      );
      break;
    case 'seed':
      output = await seed(config);
      break;
    case 'audit:purge':
      output = await purgeAudit(config);
      break;
    case 'keys:rotate-encryption':
      output = await rotateEncryption(config);
      break;
    default:
      process.stderr.write(USAGE);
      return command ? 2 : 0;
  }
  process.stdout.write(`${output}\n`);

  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message =
      error instanceof ConfigValidationError || error instanceof Error
        ? error.message
        : String(error);
    process.stderr.write(`${message}\n`);
    process.exit(1);
  },
);
