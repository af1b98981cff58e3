-- The login role the service runs as in production: it reads and writes rows, and nothing else.
-- Migrations run as the database owner (npm run migration:run with the owner's credentials);
-- this role can neither create nor drop nor alter anything.
--
-- Run as the owner of the schema (the role that runs the migrations) or as a superuser, in the
-- service's database, after the first migration:
--
--   psql "host=... dbname=faultmaven_auth user=<owner>" -v ON_ERROR_STOP=1 \
--     -v app_role=auth_service -v app_password="$AUTH_DB_PASSWORD" \
--     -f scripts/db/create-app-role.sql
--
-- Optional: -v owner_role=<role that runs the migrations> when a superuser runs the script
-- (default: the connected user). Running it again is safe: it updates the password and
-- re-applies the grants.
--
-- What the service needs beyond the guide's grants, and why none of it is a grant:
--   * The audit_events trigger (append-only unless a purge is running) is a plain, non-SECURITY
--     DEFINER function; triggers run without an EXECUTE check for the role firing them.
--   * The audit purge sets `SET LOCAL faultmaven.audit_purge = 'on'`: any role may set a custom
--     (dotted) setting, and the trigger only lets DELETE through when it is on.
--   * pg_advisory_lock / pg_advisory_unlock (start-up migrations) are executable by PUBLIC.
--   * SELECT ... FOR UPDATE needs UPDATE on the table, which the role has.
--   * The service never creates extensions (installExtensions is off); gen_random_uuid() is
--     built in since PostgreSQL 13.

\set ON_ERROR_STOP on
\if :{?app_role}
\else
  \echo 'Set the role name: -v app_role=auth_service'
  \quit 3
\endif
\if :{?app_password}
\else
  \echo 'Set the password: -v app_password=...'
  \quit 3
\endif
\if :{?owner_role}
\else
  \set owner_role :USER
\endif

SELECT NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app_role') AS create_role \gset
\if :create_role
  CREATE ROLE :"app_role" LOGIN PASSWORD :'app_password'
    NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
\else
  ALTER ROLE :"app_role" LOGIN PASSWORD :'app_password'
    NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
\endif

SELECT current_database() AS app_database \gset
GRANT CONNECT ON DATABASE :"app_database" TO :"app_role";

-- PostgreSQL 14 and older let every role create objects in `public`; 15 no longer does.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"app_role";

GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"app_role";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"app_role";

-- Tables and sequences that later migrations create, as the owner, get the same grants.
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner_role" IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app_role";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner_role" IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO :"app_role";
