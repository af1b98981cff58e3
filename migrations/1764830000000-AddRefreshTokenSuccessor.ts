import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The successor of a rotated refresh token, sealed with a key derived from the rotated token
 * itself: a second refresh with the same token inside the grace window gets the same
 * successor back, and nobody who can only read the database can unseal it.
 */
export class AddRefreshTokenSuccessor1764830000000 implements MigrationInterface {
  name = 'AddRefreshTokenSuccessor1764830000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE refresh_tokens ADD COLUMN sealed_successor text`);
    // The sessions list and logout-all look up a user's live sessions.
    await queryRunner.query(
      `CREATE INDEX sessions_user_id_live_idx ON sessions (user_id) WHERE revoked_at IS NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX sessions_user_id_live_idx`);
    await queryRunner.query(`ALTER TABLE refresh_tokens DROP COLUMN sealed_successor`);
  }
}
