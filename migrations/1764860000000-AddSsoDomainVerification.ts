import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Domains of SSO connections must be proven (a DNS TXT record) before they route logins:
 * several connections may claim a domain while unproven, and it belongs to the first one that
 * proves it. Claims made before this migration count as proven.
 */
export class AddSsoDomainVerification1764860000000 implements MigrationInterface {
  name = 'AddSsoDomainVerification1764860000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE sso_connection_domains
        ADD COLUMN verification_token varchar(64),
        ADD COLUMN verified_at timestamptz,
        ADD COLUMN created_at timestamptz NOT NULL DEFAULT now()`);
    await queryRunner.query(`
      UPDATE sso_connection_domains
         SET verification_token = replace(gen_random_uuid()::text, '-', ''), verified_at = now()`);
    await queryRunner.query(
      `ALTER TABLE sso_connection_domains ALTER COLUMN verification_token SET NOT NULL`,
    );
    await queryRunner.query(
      `ALTER TABLE sso_connection_domains DROP CONSTRAINT sso_connection_domains_pkey`,
    );
    await queryRunner.query(
      `ALTER TABLE sso_connection_domains ADD PRIMARY KEY (connection_id, domain)`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX sso_connection_domains_verified_key
         ON sso_connection_domains (domain) WHERE verified_at IS NOT NULL`,
    );
    await queryRunner.query(`DROP INDEX sso_connection_domains_connection_idx`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX sso_connection_domains_connection_idx ON sso_connection_domains (connection_id)`,
    );
    await queryRunner.query(`DROP INDEX sso_connection_domains_verified_key`);
    // Only one claim of a domain can survive the old primary key: keep the proven ones.
    await queryRunner.query(`DELETE FROM sso_connection_domains WHERE verified_at IS NULL`);
    await queryRunner.query(
      `ALTER TABLE sso_connection_domains DROP CONSTRAINT sso_connection_domains_pkey`,
    );
    await queryRunner.query(`ALTER TABLE sso_connection_domains ADD PRIMARY KEY (domain)`);
    await queryRunner.query(`
      ALTER TABLE sso_connection_domains
        DROP COLUMN verification_token,
        DROP COLUMN verified_at,
        DROP COLUMN created_at`);
  }
}
