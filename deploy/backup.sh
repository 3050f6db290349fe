#!/usr/bin/env bash
# Consistent online backup of the SQLite database (safe while claude-server runs), keeping 7 days,
# plus a copy of the credential encryption key (without it the backed-up tokens cannot be read).
# Cron example (daily at 03:00):  0 3 * * * /opt/claude-api/backup.sh
# MySQL/PostgreSQL deployments back up with their own tools (mysqldump, pg_dump) instead.
set -euo pipefail
APP_DIR=${APP_DIR:-/opt/claude-api}
DATA_DIR=${DATA_DIR:-$APP_DIR}
BACKUP_DIR=${BACKUP_DIR:-$APP_DIR/backups}
KEEP_DAYS=${KEEP_DAYS:-7}
mkdir -p "$BACKUP_DIR"
chmod 700 "$BACKUP_DIR"
stamp=$(date +%Y%m%d-%H%M%S)
DATA_DIR="$DATA_DIR" "$APP_DIR/claude-server" --config "$APP_DIR/config.yaml" backup --to "$BACKUP_DIR/data-$stamp.sqlite3"
if [ -f "$DATA_DIR/encryption.key" ]; then
  install -m 600 "$DATA_DIR/encryption.key" "$BACKUP_DIR/encryption.key"
fi
find "$BACKUP_DIR" -name 'data-*.sqlite3' -mtime +"$KEEP_DAYS" -delete
