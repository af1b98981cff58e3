import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * TOTP factors and recovery codes. Secrets are stored only as AES-256-GCM ciphertexts (see
 * SecretCipher) and recovery codes only as SHA-256 hashes.
 */
export class AddMfa1764820000000 implements MigrationInterface {
  name = 'AddMfa1764820000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE user_totp_factors (
        user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
        secret_encrypted text,
        enabled_at timestamptz,
        pending_secret_encrypted text,
        pending_expires_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT user_totp_factors_enabled_has_secret
          CHECK (enabled_at IS NULL OR secret_encrypted IS NOT NULL)
      )`);
    await queryRunner.query(`
      CREATE TABLE mfa_recovery_codes (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        code_hash varchar(64) NOT NULL,
        used_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT mfa_recovery_codes_user_hash_key UNIQUE (user_id, code_hash)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE mfa_recovery_codes`);
    await queryRunner.query(`DROP TABLE user_totp_factors`);
  }
}
