#!/usr/bin/env bash
# README's production section on one machine, on loopback: a PostgreSQL primary and a streaming replica
# (pg_basebackup), S3-compatible object storage (moto's server), two gunicorn app servers and one task
# worker, each with the environment of its role; then checks with curl that both servers answer, that a
# session signed in on one is signed in on the other, that the dashboard reads from the replica, and that a
# photo uploaded through one server is in the bucket and served by the other. Everything it started is
# stopped and removed on exit, also when a step fails. Run from a fresh clone: scripts/production-loopback.sh
# (KEEP=1 keeps it all running until Ctrl-C, to look around with a browser).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/bootstrap.sh test  # moto's server is in the test extra; a deployment uses a real object store
scripts/system-deps.sh postgresql curl
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
PY=.venv/bin/python
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
step() { printf '\n== %s\n' "$*"; }

D=$(mktemp -d /tmp/portal-loopback.XXXXXX)
chmod 755 "$D"
as_postgres() {
    if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else (cd / && "$@"); fi
}
[ "$(id -u)" -eq 0 ] && chown postgres: "$D"

PIDS=()
cleanup() {
    status=$?
    set +e
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    for cluster in replica primary; do
        [ -d "$D/$cluster" ] && as_postgres "$PGBIN/pg_ctl" -D "$D/$cluster" -m immediate stop >/dev/null 2>&1
    done
    if [ "$status" -ne 0 ]; then
        echo "FAILED (exit $status); the last lines of each log:" >&2
        for log in "$D"/*.log; do [ -f "$log" ] && { echo "--- $log" >&2; tail -n 15 "$log" >&2; }; done
    fi
    rm -rf "$D"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PRIMARY=$(free_port) REPLICA=$(free_port) S3=$(free_port) APP_A=$(free_port) APP_B=$(free_port)

step "PostgreSQL primary on 127.0.0.1:$PRIMARY"
as_postgres "$PGBIN/initdb" -D "$D/primary" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
    -E UTF8 --locale=C.UTF-8 --lc-collate=C >/dev/null
as_postgres "$PGBIN/pg_ctl" -D "$D/primary" -l "$D/primary.log" -w \
    -o "-p $PRIMARY -k $D -c listen_addresses=127.0.0.1" start >/dev/null
# The portal's role, and a role that may only stream the WAL (initdb's pg_hba lets it in on 127.0.0.1).
psql -q -h "$D" -p "$PRIMARY" -U postgres \
    -c "CREATE ROLE portal LOGIN PASSWORD 'portal-loopback'" -c "CREATE DATABASE portal OWNER portal" \
    -c "CREATE ROLE replicator REPLICATION LOGIN PASSWORD 'replicator-loopback'" >/dev/null

step "Streaming replica on 127.0.0.1:$REPLICA (pg_basebackup -R)"
as_postgres env PGPASSWORD=replicator-loopback "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY" \
    -U replicator -D "$D/replica" -R -X stream --checkpoint=fast
as_postgres "$PGBIN/pg_ctl" -D "$D/replica" -l "$D/replica.log" -w \
    -o "-p $REPLICA -k $D -c listen_addresses=127.0.0.1" start >/dev/null
psql -At -h "$D" -p "$REPLICA" -U postgres -c "SELECT 'in recovery: ' || pg_is_in_recovery()"

step "S3-compatible object storage on 127.0.0.1:$S3 (moto)"
.venv/bin/moto_server -H 127.0.0.1 -p "$S3" >"$D/s3.log" 2>&1 &
PIDS+=($!)

# --- the environment every app server and worker gets (README: "Running a city") ----------------------
export DATABASE_URL="postgres://portal:portal-loopback@127.0.0.1:$PRIMARY/portal?CONN_MAX_AGE=600"
export DATABASE_REPLICA_URL="postgres://portal:portal-loopback@127.0.0.1:$REPLICA/portal?CONN_MAX_AGE=600"
DJANGO_SECRET_KEY=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')
PORTAL_FIELD_KEYS=$("$PY" -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())')
PORTAL_BLIND_INDEX_KEY=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(48))')
export DJANGO_SECRET_KEY PORTAL_FIELD_KEYS PORTAL_BLIND_INDEX_KEY
export DJANGO_ALLOWED_HOSTS=127.0.0.1
export PORTAL_S3_BUCKET=portal-photos PORTAL_S3_ENDPOINT_URL="http://127.0.0.1:$S3"
export PORTAL_S3_ACCESS_KEY_ID=loopback PORTAL_S3_SECRET_ACCESS_KEY=loopback-secret PORTAL_S3_REGION=cn-north-1
export PORTAL_S3_ADDRESSING_STYLE=path
# Where photos would go without a bucket: nothing may be written there.
export DJANGO_MEDIA_ROOT="$D/media"
# Plain HTTP on loopback: no secure cookies or HTTPS redirect here (a deployment sets them, README), and
# the demo's accounts sign in with the password alone.
export PORTAL_OTP_REQUIRED=false

for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$S3/" && break; sleep 0.2; done
"$PY" - <<'EOF'
import os, boto3
s3 = boto3.client("s3", endpoint_url=os.environ["PORTAL_S3_ENDPOINT_URL"], region_name=os.environ["PORTAL_S3_REGION"],
                  aws_access_key_id=os.environ["PORTAL_S3_ACCESS_KEY_ID"],
                  aws_secret_access_key=os.environ["PORTAL_S3_SECRET_ACCESS_KEY"])
s3.create_bucket(Bucket=os.environ["PORTAL_S3_BUCKET"],
                 CreateBucketConfiguration={"LocationConstraint": os.environ["PORTAL_S3_REGION"]})
print("bucket", os.environ["PORTAL_S3_BUCKET"], "created")
EOF

step "Release: check, migrate (on the primary), collectstatic, the demo community"
"$PY" manage.py check
"$PY" manage.py migrate --noinput -v0
"$PY" manage.py collectstatic --noinput -v0
"$PY" manage.py load_demo >"$D/load_demo.log"
head -n 1 "$D/load_demo.log"

step "Two app servers (127.0.0.1:$APP_A and 127.0.0.1:$APP_B) and one task worker"
for port in "$APP_A" "$APP_B"; do
    .venv/bin/gunicorn portal.wsgi -b "127.0.0.1:$port" -w 2 >"$D/app-$port.log" 2>&1 &
    PIDS+=($!)
done
"$PY" manage.py db_worker >"$D/worker.log" 2>&1 &
PIDS+=($!)
for port in "$APP_A" "$APP_B"; do
    for _ in $(seq 150); do curl -s -o /dev/null "http://127.0.0.1:$port/health/" && break; sleep 0.2; done
done

# --- checks ------------------------------------------------------------------------------------------
fail() { echo "FAIL: $*" >&2; exit 1; }
JAR="$D/cookies.txt"
code() { curl -s -o /dev/null -w '%{http_code}' -b "$JAR" -c "$JAR" "$@"; }
sign_in() {  # sign_in PORT USERNAME: the session goes into the cookie jar
    rm -f "$JAR"
    code "http://127.0.0.1:$1/accounts/login/" >/dev/null
    local token
    token=$(awk '$6 == "csrftoken" { print $7 }' "$JAR")
    [ "$(code --data-urlencode "csrfmiddlewaretoken=$token" --data-urlencode "username=$2" \
        --data-urlencode "password=demo12345" "http://127.0.0.1:$1/accounts/login/")" = 302 ] \
        || fail "signing in as $2 on :$1"
}

step "Checks"
for port in "$APP_A" "$APP_B"; do
    [ "$(curl -s "http://127.0.0.1:$port/health/")" = ok ] || fail "health check on :$port"
    [ "$(code "http://127.0.0.1:$port/accounts/login/")" = 200 ] || fail "login page on :$port"
    echo "ok: :$port answers its health check (ok) and the login page"
done

sign_in "$APP_A" street
curl -s -b "$JAR" "http://127.0.0.1:$APP_B/dashboard/" >"$D/dashboard.html"
grep -q "杨志刚" "$D/dashboard.html" || fail "the session signed in on :$APP_A is not signed in on :$APP_B"
echo "ok: signed in on :$APP_A, the same cookie is signed in on :$APP_B"
grep -q "数据截至" "$D/dashboard.html" || fail "the dashboard on :$APP_B did not read from the replica"
echo "ok: the dashboard on :$APP_B reads from the replica ($(grep -o '数据截至 [0-9:]*' "$D/dashboard.html"))"

sign_in "$APP_A" worker
CASE=$("$PY" manage.py shell -v0 -c "
from django.contrib.auth import get_user_model
from cases.models import Status
from cases.selectors import cases_for_user
print(cases_for_user(get_user_model().objects.get(username='worker')).exclude(status=Status.CLOSED).order_by('pk')[0].pk)")
"$PY" -c 'from PIL import Image; Image.new("RGB", (64, 48), "teal").save("'"$D"'/photo.jpg")'
token=$(awk '$6 == "csrftoken" { print $7 }' "$JAR")
[ "$(code -F "csrfmiddlewaretoken=$token" -F "files=@$D/photo.jpg;type=image/jpeg" \
    "http://127.0.0.1:$APP_A/cases/$CASE/photos/")" = 302 ] || fail "uploading a photo on :$APP_A"
PHOTO=$(curl -s -b "$JAR" "http://127.0.0.1:$APP_B/cases/$CASE/" | grep -o '/cases/photos/[0-9]*/' | tail -n 1)
[ -n "$PHOTO" ] || fail "the case page on :$APP_B shows no photo"
[ "$(curl -s -b "$JAR" -o "$D/back.jpg" -w '%{http_code} %{content_type}' "http://127.0.0.1:$APP_B$PHOTO")" \
    = "200 image/jpeg" ] || fail "the photo uploaded on :$APP_A is not served by :$APP_B"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$APP_B$PHOTO")" = 302 ] \
    || fail "the photo is served without signing in"
"$PY" - "$D/back.jpg" <<'EOF'
import os, sys, boto3
s3 = boto3.client("s3", endpoint_url=os.environ["PORTAL_S3_ENDPOINT_URL"], region_name=os.environ["PORTAL_S3_REGION"],
                  aws_access_key_id=os.environ["PORTAL_S3_ACCESS_KEY_ID"],
                  aws_secret_access_key=os.environ["PORTAL_S3_SECRET_ACCESS_KEY"])
keys = [o["Key"] for o in s3.list_objects_v2(Bucket=os.environ["PORTAL_S3_BUCKET"]).get("Contents", [])]
served = open(sys.argv[1], "rb").read()
assert any(s3.get_object(Bucket=os.environ["PORTAL_S3_BUCKET"], Key=k)["Body"].read() == served for k in keys), keys
print("ok: the photo is in the bucket:", ", ".join(keys))
EOF
[ ! -e "$DJANGO_MEDIA_ROOT" ] || fail "files were written to the local disk: $(find "$DJANGO_MEDIA_ROOT" -type f)"
echo "ok: uploaded on :$APP_A, served by :$APP_B from the bucket, nothing on the local disk"

kill -0 "${PIDS[-1]}" 2>/dev/null || fail "the task worker stopped"
echo "ok: the task worker is running"

step "All checks passed"
if [ -n "${KEEP:-}" ]; then
    echo "Serving on http://127.0.0.1:$APP_A and http://127.0.0.1:$APP_B (accounts of the demo, password demo12345); Ctrl-C stops everything."
    wait
fi
