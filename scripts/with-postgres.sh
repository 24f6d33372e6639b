#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster on a free port, runs the given command with DATABASE_URL
# pointing at it, and removes the cluster afterwards, also when the command fails.
# PORTAL_PG_DIR=/some/dir keeps the cluster there instead: made on first use, started again with its data on
# later runs (`make load` then reuses the district it generated), stopped but not removed at exit.
# The command also gets PORTAL_PG_DATA, the cluster's data directory (the load run restarts it with pg_ctl).
set -euo pipefail

PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
KEEP="${PORTAL_PG_DIR:-}"
if [ -n "$KEEP" ]; then
    D=$(realpath -m "$KEEP")
    mkdir -p "$D"
else
    D=$(mktemp -d /tmp/portal-pg.XXXXXX)
fi
chmod 755 "$D"

as_postgres() {
    if [ "$(id -u)" -eq 0 ]; then
        (cd / && runuser -u postgres -- "$@")
    else
        (cd / && "$@")
    fi
}
[ "$(id -u)" -eq 0 ] && chown postgres: "$D"

cleanup() {
    if [ -n "$KEEP" ]; then
        as_postgres "$PGBIN/pg_ctl" -D "$D/data" -m fast stop >/dev/null 2>&1 || true
    else
        as_postgres "$PGBIN/pg_ctl" -D "$D/data" -m immediate stop >/dev/null 2>&1 || true
        rm -rf "$D"
    fi
}
if [ -n "$KEEP" ] && as_postgres "$PGBIN/pg_ctl" -D "$D/data" status >/dev/null 2>&1; then
    # Another command is using the kept cluster: stopping it on the way out would break that command.
    echo "The PostgreSQL cluster in $D is already running (another command uses it); try again when it ends." >&2
    exit 1
fi
trap cleanup EXIT

FRESH=
if [ ! -f "$D/data/PG_VERSION" ]; then
    FRESH=1
    # C.UTF-8 character classes let pg_trgm treat Chinese characters as word characters.
    as_postgres "$PGBIN/initdb" -D "$D/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
        -E UTF8 --locale=C.UTF-8 --lc-collate=C >/dev/null
fi
as_postgres "$PGBIN/pg_ctl" -D "$D/data" -l "$D/pg.log" -w \
    -o "-p $PORT -k $D -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=512MB -c work_mem=32MB -c maintenance_work_mem=512MB" \
    start >/dev/null
if [ -n "$FRESH" ]; then
    psql -q -h "$D" -p "$PORT" -U postgres -c "CREATE ROLE app LOGIN PASSWORD 'app' CREATEDB" \
        -c "CREATE DATABASE app OWNER app" >/dev/null
fi

export DATABASE_URL="postgres://app:app@127.0.0.1:$PORT/app"
export PGDATA_DIR="$D"
export PORTAL_PG_DATA="$D/data"
"$@"
