#!/bin/bash
# Daily backup of the auth database, as the deployment guide's /opt/scripts/backup-auth-db.sh:
# pg_dump | gzip into $BACKUP_DIR/auth_<timestamp>.sql.gz, upload to S3, keep 30 days locally.
# Cron: 0 2 * * * /opt/scripts/backup-auth-db.sh
#
# Differences from the guide (docs/OPERATIONS.md, "Backup and restore"): it stops on the first
# error, including a failing pg_dump inside the pipe (the guide's version keeps a truncated file
# and uploads it); it writes to a temporary name and renames only a dump that gzip verifies;
# and the settings below can be overridden from the environment.
#
#   POSTGRES_HOST, POSTGRES_USER   required, as for the service
#   POSTGRES_PORT                  default 5432
#   POSTGRES_PASSWORD              optional; passed to pg_dump as PGPASSWORD
#   DB_NAME                        default $POSTGRES_DB, else faultmaven_auth
#   BACKUP_DIR                     default /backups/postgres
#   S3_URI                         default s3://faultmaven-backups/auth/; empty: no upload
#   RETENTION_DAYS                 default 30
set -euo pipefail

BACKUP_DIR="${BACKUP_DIR:-/backups/postgres}"
TIMESTAMP=$(date +"%Y%m%d_%H%M%S")
DB_NAME="${DB_NAME:-${POSTGRES_DB:-faultmaven_auth}}"
S3_URI="${S3_URI-s3://faultmaven-backups/auth/}"
RETENTION_DAYS="${RETENTION_DAYS:-30}"
: "${POSTGRES_HOST:?POSTGRES_HOST is not set}"
: "${POSTGRES_USER:?POSTGRES_USER is not set}"
if [ -n "${POSTGRES_PASSWORD:-}" ]; then export PGPASSWORD="$POSTGRES_PASSWORD"; fi

BACKUP_FILE="$BACKUP_DIR/auth_${TIMESTAMP}.sql.gz"
PARTIAL="$BACKUP_FILE.partial"
trap 'rm -f "$PARTIAL"' EXIT

mkdir -p "$BACKUP_DIR"
# --no-owner --no-privileges: the dump restores into a database owned by any role.
pg_dump -h "$POSTGRES_HOST" -p "${POSTGRES_PORT:-5432}" -U "$POSTGRES_USER" \
  --no-owner --no-privileges "$DB_NAME" | gzip > "$PARTIAL"
gzip -t "$PARTIAL"
mv "$PARTIAL" "$BACKUP_FILE"
echo "Backup written: $BACKUP_FILE"

# Upload to S3
if [ -n "$S3_URI" ]; then
  aws s3 cp "$BACKUP_FILE" "$S3_URI"
fi

# Retain the last RETENTION_DAYS days locally
find "$BACKUP_DIR" -name "auth_*.sql.gz" -mtime +"$RETENTION_DAYS" -delete
