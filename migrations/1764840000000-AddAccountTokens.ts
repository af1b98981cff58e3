import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Single-use tokens mailed to a user: password resets and email verifications. Only the
 * SHA-256 of a token is stored; `used_at` marks it spent.
 */
export class AddAccountTokens1764840000000 implements MigrationInterface {
  name = 'AddAccountTokens1764840000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE account_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        purpose varchar(30) NOT NULL
          CHECK (purpose IN ('password_reset', 'email_verification')),
        token_hash varchar(64) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        CONSTRAINT account_tokens_token_hash_key UNIQUE (token_hash)
      )`);
    await queryRunner.query(
      `CREATE INDEX account_tokens_user_purpose_idx ON account_tokens (user_id, purpose)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE account_tokens`);
  }
}
