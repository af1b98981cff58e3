import { MigrationInterface, QueryRunner } from 'typeorm';

/** Users, organizations, memberships with roles, sessions and refresh-token hashes. */
export class CreateIdentitySchema1764790000000 implements MigrationInterface {
  name = 'CreateIdentitySchema1764790000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE organizations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name varchar(200) NOT NULL,
        slug varchar(100) NOT NULL,
        plan varchar(20) NOT NULL DEFAULT 'trial'
          CHECK (plan IN ('trial', 'starter', 'professional', 'enterprise')),
        max_users integer CHECK (max_users IS NULL OR max_users >= 0),
        max_teams integer CHECK (max_teams IS NULL OR max_teams >= 0),
        registration_policy varchar(20) NOT NULL DEFAULT 'open'
          CHECK (registration_policy IN ('open', 'allowed_domains', 'invitation_only')),
        allowed_email_domains text[] NOT NULL DEFAULT '{}',
        require_mfa boolean NOT NULL DEFAULT false,
        require_sso boolean NOT NULL DEFAULT false,
        contact_email varchar(254),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        deleted_at timestamptz
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX organizations_slug_key ON organizations (slug) WHERE deleted_at IS NULL`,
    );

    await queryRunner.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email varchar(254) NOT NULL CHECK (email = lower(email)),
        email_verified_at timestamptz,
        password_hash varchar(255),
        first_name varchar(100) NOT NULL,
        last_name varchar(100) NOT NULL,
        is_platform_admin boolean NOT NULL DEFAULT false,
        is_active boolean NOT NULL DEFAULT true,
        last_login_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        deleted_at timestamptz
      )`);
    // A deleted user's email can be registered again.
    await queryRunner.query(
      `CREATE UNIQUE INDEX users_email_key ON users (email) WHERE deleted_at IS NULL`,
    );

    await queryRunner.query(`
      CREATE TABLE memberships (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
        roles text[] NOT NULL DEFAULT '{member}',
        status varchar(20) NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'deactivated')),
        last_used_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT memberships_user_organization_key UNIQUE (user_id, organization_id)
      )`);
    await queryRunner.query(
      `CREATE INDEX memberships_organization_id_idx ON memberships (organization_id)`,
    );

    await queryRunner.query(`
      CREATE TABLE sessions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz,
        revoked_reason varchar(50),
        ip_address varchar(45),
        user_agent varchar(512)
      )`);
    await queryRunner.query(`CREATE INDEX sessions_user_id_idx ON sessions (user_id)`);

    await queryRunner.query(`
      CREATE TABLE refresh_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        token_hash varchar(64) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        CONSTRAINT refresh_tokens_token_hash_key UNIQUE (token_hash)
      )`);
    await queryRunner.query(
      `CREATE INDEX refresh_tokens_session_id_idx ON refresh_tokens (session_id)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE refresh_tokens`);
    await queryRunner.query(`DROP TABLE sessions`);
    await queryRunner.query(`DROP TABLE memberships`);
    await queryRunner.query(`DROP TABLE users`);
    await queryRunner.query(`DROP TABLE organizations`);
  }
}
