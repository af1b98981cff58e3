import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The members listing pages through an organization in (created_at, user_id) order. With this
 * index a page reads its rows in order and stops, where the old index on organization_id alone
 * made PostgreSQL join and sort every member of the organization for each page. It also serves
 * every lookup by organization_id, so that index goes.
 */
export class AddMembershipListingIndex1764870000000 implements MigrationInterface {
  name = 'AddMembershipListingIndex1764870000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX memberships_organization_created_idx
         ON memberships (organization_id, created_at, user_id)`,
    );
    await queryRunner.query(`DROP INDEX memberships_organization_id_idx`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX memberships_organization_id_idx ON memberships (organization_id)`,
    );
    await queryRunner.query(`DROP INDEX memberships_organization_created_idx`);
  }
}
