import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Single sign-on: each organization's SAML and OIDC connections, the email domains each one
 * serves (a domain belongs to one connection on the whole platform, so discovery by email
 * is never ambiguous), the identities linked through them, the return URLs an
 * organization lets a finished login land on, and how each session was opened.
 */
export class AddSsoConnections1764850000000 implements MigrationInterface {
  name = 'AddSsoConnections1764850000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE sso_connections (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
        name varchar(200) NOT NULL,
        protocol varchar(10) NOT NULL CHECK (protocol IN ('saml', 'oidc')),
        enabled boolean NOT NULL DEFAULT true,
        default_role varchar(100) NOT NULL DEFAULT 'member',
        profile_mapping jsonb NOT NULL DEFAULT '{}',
        saml_idp_entity_id varchar(1024),
        saml_sso_url varchar(2048),
        saml_idp_certificates text[] NOT NULL DEFAULT '{}',
        saml_name_id_format varchar(255),
        saml_want_assertions_signed boolean NOT NULL DEFAULT true,
        saml_allow_idp_initiated boolean NOT NULL DEFAULT false,
        saml_sp_private_key text,
        saml_sp_certificate text,
        oidc_issuer varchar(2048),
        oidc_client_id varchar(255),
        oidc_client_secret text,
        oidc_scopes text[] NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `CREATE INDEX sso_connections_organization_idx ON sso_connections (organization_id)`,
    );
    await queryRunner.query(`
      CREATE TABLE sso_connection_domains (
        domain varchar(253) PRIMARY KEY,
        connection_id uuid NOT NULL REFERENCES sso_connections (id) ON DELETE CASCADE
      )`);
    await queryRunner.query(
      `CREATE INDEX sso_connection_domains_connection_idx ON sso_connection_domains (connection_id)`,
    );
    await queryRunner.query(`
      CREATE TABLE sso_identities (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        connection_id uuid NOT NULL REFERENCES sso_connections (id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        subject varchar(1024) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_login_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT sso_identities_connection_subject_key UNIQUE (connection_id, subject)
      )`);
    await queryRunner.query(`CREATE INDEX sso_identities_user_idx ON sso_identities (user_id)`);
    await queryRunner.query(
      `ALTER TABLE organizations ADD COLUMN sso_return_urls text[] NOT NULL DEFAULT '{}'`,
    );
    // How a session was opened: an organization that requires SSO refuses to refresh or
    // switch into sessions that began with a password.
    await queryRunner.query(
      `ALTER TABLE sessions ADD COLUMN auth_method varchar(20) NOT NULL DEFAULT 'password'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE sessions DROP COLUMN auth_method`);
    await queryRunner.query(`ALTER TABLE organizations DROP COLUMN sso_return_urls`);
    await queryRunner.query(`DROP TABLE sso_identities`);
    await queryRunner.query(`DROP TABLE sso_connection_domains`);
    await queryRunner.query(`DROP TABLE sso_connections`);
  }
}
