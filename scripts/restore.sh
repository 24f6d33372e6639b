#!/usr/bin/env bash
# Restores a backup directory (scripts/backup.sh) into the database DATABASE_URL names, which must be new
# and empty (createdb), and its media into DJANGO_MEDIA_ROOT (default media/), which must be empty; then
# checks every table's row count against the backup's manifest and finds every attachment's file. The
# database is restored in one transaction: all of it or nothing. README, Backups; portal/backups.py.
set -euo pipefail
: "${1:?usage: scripts/restore.sh BACKUP_DIRECTORY (DATABASE_URL: the new, empty database)}"
dir=$(realpath -m "$1")
cd "$(dirname "$0")/.."
: "${DATABASE_URL:?set DATABASE_URL to the new, empty database to restore into}"
exec "${PORTAL_PYTHON:-.venv/bin/python}" manage.py backup restore "$dir" ${PG_BIN:+--pg-bin "$PG_BIN"}
