import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Custom roles, invitations, teams and the hash-chained audit log. Audit rows are
 * append-only: a trigger refuses UPDATE always and DELETE unless the retention purge has
 * set `faultmaven.audit_purge` for its transaction.
 */
export class AddTenancyAndAudit1764800000000 implements MigrationInterface {
  name = 'AddTenancyAndAudit1764800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE organizations ADD COLUMN contact_name varchar(200)`);
    await queryRunner.query(
      `CREATE INDEX memberships_organization_status_idx ON memberships (organization_id, status)`,
    );
    await queryRunner.query(
      `CREATE INDEX sessions_organization_id_idx ON sessions (organization_id)`,
    );

    await queryRunner.query(`
      CREATE TABLE roles (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
        key varchar(50) NOT NULL,
        name varchar(100) NOT NULL,
        description varchar(500),
        permissions text[] NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT roles_organization_key_key UNIQUE (organization_id, key)
      )`);

    await queryRunner.query(`
      CREATE TABLE teams (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
        name varchar(100) NOT NULL,
        slug varchar(100) NOT NULL,
        description varchar(500),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        deleted_at timestamptz
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX teams_organization_slug_key ON teams (organization_id, slug) WHERE deleted_at IS NULL`,
    );

    await queryRunner.query(`
      CREATE TABLE team_members (
        team_id uuid NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        role varchar(20) NOT NULL DEFAULT 'member' CHECK (role IN ('maintainer', 'member')),
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (team_id, user_id)
      )`);
    await queryRunner.query(`CREATE INDEX team_members_user_id_idx ON team_members (user_id)`);

    await queryRunner.query(`
      CREATE TABLE invitations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
        email varchar(254) NOT NULL CHECK (email = lower(email)),
        roles text[] NOT NULL DEFAULT '{member}',
        team_ids uuid[] NOT NULL DEFAULT '{}',
        token_hash varchar(64) NOT NULL,
        invited_by uuid REFERENCES users (id) ON DELETE SET NULL,
        expires_at timestamptz NOT NULL,
        accepted_at timestamptz,
        accepted_by uuid REFERENCES users (id) ON DELETE SET NULL,
        revoked_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT invitations_token_hash_key UNIQUE (token_hash)
      )`);
    await queryRunner.query(
      `CREATE INDEX invitations_organization_id_idx ON invitations (organization_id, created_at)`,
    );

    // organization_id is not a foreign key: the log outlives what it describes. Events that
    // belong to no organization (a failed login for an unknown email) use the nil UUID.
    await queryRunner.query(`
      CREATE TABLE audit_events (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL,
        sequence bigint NOT NULL,
        occurred_at timestamptz NOT NULL,
        actor_user_id uuid,
        action varchar(100) NOT NULL,
        target_type varchar(50),
        target_id varchar(100),
        outcome varchar(20) NOT NULL CHECK (outcome IN ('success', 'failure', 'denied')),
        ip_address varchar(45),
        user_agent varchar(512),
        request_id varchar(128),
        details jsonb NOT NULL DEFAULT '{}',
        previous_hash varchar(64),
        hash varchar(64) NOT NULL,
        CONSTRAINT audit_events_organization_sequence_key UNIQUE (organization_id, sequence)
      )`);
    await queryRunner.query(
      `CREATE INDEX audit_events_organization_time_idx ON audit_events (organization_id, occurred_at, sequence)`,
    );

    // One row per organization: the end of its chain, and where a purge left its start.
    await queryRunner.query(`
      CREATE TABLE audit_chain_heads (
        organization_id uuid PRIMARY KEY,
        last_sequence bigint NOT NULL DEFAULT 0,
        last_hash varchar(64),
        anchor_sequence bigint NOT NULL DEFAULT 0,
        anchor_hash varchar(64),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);

    await queryRunner.query(`
      CREATE FUNCTION audit_events_append_only() RETURNS trigger AS $$
      BEGIN
        IF TG_OP = 'DELETE' AND current_setting('faultmaven.audit_purge', true) = 'on' THEN
          RETURN OLD;
        END IF;
        RAISE EXCEPTION 'audit_events is append-only' USING ERRCODE = 'insufficient_privilege';
      END;
      $$ LANGUAGE plpgsql`);
    await queryRunner.query(`
      CREATE TRIGGER audit_events_append_only
        BEFORE UPDATE OR DELETE ON audit_events
        FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER audit_events_append_only ON audit_events`);
    await queryRunner.query(`DROP FUNCTION audit_events_append_only()`);
    await queryRunner.query(`DROP TABLE audit_chain_heads`);
    await queryRunner.query(`DROP TABLE audit_events`);
    await queryRunner.query(`DROP TABLE invitations`);
    await queryRunner.query(`DROP TABLE team_members`);
    await queryRunner.query(`DROP TABLE teams`);
    await queryRunner.query(`DROP TABLE roles`);
    await queryRunner.query(`DROP INDEX sessions_organization_id_idx`);
    await queryRunner.query(`DROP INDEX memberships_organization_status_idx`);
    await queryRunner.query(`ALTER TABLE organizations DROP COLUMN contact_name`);
  }
}
