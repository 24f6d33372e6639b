#!/usr/bin/env bash
# Creates .venv with Python >= 3.12 and installs the project with the extras named (default: test);
# re-runs only when pyproject.toml changed. VENV=.venv-load puts it elsewhere: `make load` keeps locust out
# of the test environment (its pytest plugin and gevent's monkey-patching have no place in the tests).
set -euo pipefail
cd "$(dirname "$0")/.."

find_python() {
    local candidate
    for candidate in python3.13 python3.12 python3; do
        if command -v "$candidate" >/dev/null 2>&1 \
            && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
            command -v "$candidate"
            return
        fi
    done
    # The image's python3 is 3.11 and its python3.12 shim fails; pyenv keeps real builds here.
    for candidate in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]*/bin/python3; do
        if [ -x "$candidate" ] && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then
            echo "$candidate"
            return
        fi
    done
    echo "No Python >= 3.12 found; install one (Django 6 needs it)." >&2
    exit 1
}

extras="${1:-test}"
venv="${VENV:-.venv}"
stamp="$venv/.installed-$extras"
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$stamp" -nt pyproject.toml ]; then
    exit 0
fi
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then
    rm -rf "$venv"
    "$(find_python)" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip 2>&1 | grep -v "is ignored" || true
"$venv/bin/python" -m pip install --quiet -e ".[$extras]" 2>&1 | grep -v "is ignored" || true
"$venv/bin/python" -c 'import django, environ, psycopg, stdnum, phonenumbers, openpyxl, PIL'
touch "$stamp"
