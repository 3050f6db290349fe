#!/usr/bin/env bash
# Consistent online backup of the SQLite database, keeping 7 days.
# Cron example (daily at 03:00):  0 3 * * * /opt/claude-api/backup.sh
set -euo pipefail
APP_DIR=${APP_DIR:-/opt/claude-api}
BACKUP_DIR=${BACKUP_DIR:-$APP_DIR/backups}
KEEP_DAYS=${KEEP_DAYS:-7}
mkdir -p "$BACKUP_DIR"
stamp=$(date +%Y%m%d-%H%M%S)
"$APP_DIR/claude-server" --config "$APP_DIR/config.yaml" backup --to "$BACKUP_DIR/data-$stamp.sqlite3"
find "$BACKUP_DIR" -name 'data-*.sqlite3' -mtime +"$KEEP_DAYS" -delete
