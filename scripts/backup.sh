#!/usr/bin/env bash
# Backs up the database DATABASE_URL names and the media directory (DJANGO_MEDIA_ROOT, default media/) into
# a new directory: the one given, or backups/<UTC date and time>/. Safe while the portal runs (README,
# Backups); portal/backups.py does the work. PG_BIN names the PostgreSQL client programs if they are not
# Debian's newest under /usr/lib/postgresql (nor on PATH).
set -euo pipefail
dir=$(realpath -m "${1:-$(dirname "$0")/../backups/$(date -u +%Y-%m-%dT%H%MZ)}")
cd "$(dirname "$0")/.."
: "${DATABASE_URL:?set DATABASE_URL to the database to back up}"
umask 077  # the backup holds every resident's record: readable by this user alone
exec "${PORTAL_PYTHON:-.venv/bin/python}" manage.py backup create "$dir" ${PG_BIN:+--pg-bin "$PG_BIN"}
