#!/bin/bash
# Restores a backup of scripts/backup-auth-db.sh into an empty database, in one transaction:
# either all of it is restored or nothing is.
#   scripts/restore-auth-db.sh /backups/postgres/auth_20250101_020000.sql.gz [TARGET_DB]
#
#   POSTGRES_HOST, POSTGRES_USER   required
#   POSTGRES_PORT                  default 5432
#   POSTGRES_PASSWORD              optional; passed to psql as PGPASSWORD
#   TARGET_DB                      second argument, else $POSTGRES_DB, else faultmaven_auth
#
# The target database must exist and have no tables: create it (createdb, or CREATE DATABASE)
# and stop the service (or scale it to 0) before restoring; then run `alembic current` /
# `npm run migration:show` to see the schema version the backup carries.
set -euo pipefail

BACKUP_FILE="${1:?usage: restore-auth-db.sh BACKUP.sql.gz [TARGET_DB]}"
TARGET_DB="${2:-${POSTGRES_DB:-faultmaven_auth}}"
: "${POSTGRES_HOST:?POSTGRES_HOST is not set}"
: "${POSTGRES_USER:?POSTGRES_USER is not set}"
if [ -n "${POSTGRES_PASSWORD:-}" ]; then export PGPASSWORD="$POSTGRES_PASSWORD"; fi

psql_target() {
  psql -h "$POSTGRES_HOST" -p "${POSTGRES_PORT:-5432}" -U "$POSTGRES_USER" -d "$TARGET_DB" \
    -v ON_ERROR_STOP=1 -X -q "$@"
}

gzip -t "$BACKUP_FILE"
tables=$(psql_target -At -c \
  "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")
if [ "$tables" != "0" ]; then
  echo "Refusing to restore: database $TARGET_DB already has $tables table(s)." >&2
  echo "Restore into a new, empty database (createdb), then point the service at it." >&2
  exit 1
fi

gunzip -c "$BACKUP_FILE" | psql_target --single-transaction
echo "Restored $BACKUP_FILE into $TARGET_DB"
