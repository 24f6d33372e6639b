#!/usr/bin/env bash
# The checks CI runs, in order; expects DATABASE_URL (scripts/with-postgres.sh sets it).
set -euo pipefail
cd "$(dirname "$0")/.."
export DJANGO_SETTINGS_MODULE=portal.settings
: "${DATABASE_URL:?run through scripts/with-postgres.sh}"
export DJANGO_SECRET_KEY="${DJANGO_SECRET_KEY:-test-only-secret-key-not-for-production}"
export PORTAL_FIELD_KEYS="${PORTAL_FIELD_KEYS:-dGVzdC1vbmx5LWZpZWxkLWtleS1ub3Qtc2VjcmV0ISE=}"
export PORTAL_BLIND_INDEX_KEY="${PORTAL_BLIND_INDEX_KEY:-test-only-blind-index-key-not-for-production}"
# SKIP_LINT=1 runs only the tests (a quick loop while working; CI and `make test` run everything).
if [ -z "${SKIP_LINT:-}" ]; then
    .venv/bin/ruff check .
    .venv/bin/ruff format --check .
    .venv/bin/mypy
    .venv/bin/python manage.py check --fail-level WARNING
    .venv/bin/python manage.py makemigrations --check --dry-run
fi
# The whole suite (no arguments, as `make test` and CI run it) runs on two workers (pytest-xdist, one
# database each) and names its slowest tests; arguments run just what they name, in one process.
if [ $# -eq 0 ]; then
    set -- -n "${PYTEST_WORKERS:-2}" --durations=30
fi
.venv/bin/python -m pytest "$@"
