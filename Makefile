# The two commands a newcomer needs: `make demo` and `make test`. Both install what they need.
SHELL := /bin/bash
PY := .venv/bin/python
SYSTEM_TEST_PACKAGES := postgresql chromium chromium-driver fonts-noto-cjk
N ?= 50000
# Settings refuse to start without a secret key outside debug. The demo and the translation commands run
# on this machine only, on made-up people, so they use this key, which is public because it is written
# here; a deployment sets its own DJANGO_SECRET_KEY (README). A key already in the environment wins.
LOCAL_SECRET_KEY := local-demo-only-key-published-in-the-makefile
demo messages: export DJANGO_SECRET_KEY ?= $(LOCAL_SECRET_KEY)
# The same for the keys that encrypt ID numbers and phones (a Fernet key, and the blind-index key).
demo messages: export PORTAL_FIELD_KEYS ?= bG9jYWwtZGVtby1maWVsZC1rZXktbm90LXNlY3JldCE=
demo messages: export PORTAL_BLIND_INDEX_KEY ?= local-demo-blind-index-key-published-not-secret
# The demo's accounts sign in with the password alone: nobody has to set up an authenticator app to look
# around (anyone may still enrol from 账户安全). A deployment keeps the second factor required (README).
demo: export PORTAL_OTP_REQUIRED ?= false

.PHONY: demo test bench load venv lint format messages clean backup restore

venv:
	@scripts/bootstrap.sh test

## Serve the portal with the demo community at http://127.0.0.1:8000 (SQLite, keeps existing data).
demo: venv
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	@# Beside the server, the worker that delivers the updates owed to the 12345 platform (hotline/tasks.py);
	@# it is stopped when the server stops (Ctrl-C reaches both; the trap covers any other exit).
	$(PY) manage.py db_worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT; \
	$(PY) manage.py runserver 127.0.0.1:8000

## Lint, checks and the whole pytest suite (browser tests included) against a throwaway PostgreSQL.
test: venv
	@scripts/system-deps.sh $(SYSTEM_TEST_PACKAGES)
	scripts/with-postgres.sh scripts/run-tests.sh

## Times the main pages at N households (default 50,000) and at N/10 on a throwaway PostgreSQL.
bench: venv
	@scripts/system-deps.sh postgresql
	scripts/with-postgres.sh $(PY) -m tooling.bench --households $(N)

## Back up the database (DATABASE_URL) and the media into backups/<UTC date and time>/ (README, Backups).
# No venv step: on a server the portal's own .venv is used as it is.
backup:
	scripts/backup.sh

## Restore BACKUP=backups/<date> into the new, empty database DATABASE_URL names, and check it.
restore:
	@test -n "$(BACKUP)" || { echo "usage: make restore BACKUP=backups/<date> (DATABASE_URL: an empty database)" >&2; exit 2; }
	scripts/restore.sh "$(BACKUP)"

## A Monday morning's load through gunicorn on loopback (tooling/load; README "Load and faults"):
## N households (default 500,000), USERS users (200) for DURATION seconds (300); MODE=step|restart|kill.
## PORTAL_PG_DIR=/var/tmp/portal-load keeps the database there and reuses its district on the next run.
load: N = 500000
USERS ?= 200
DURATION ?= 300
MODE ?= steady
LOAD_ARGS ?=
load:
	@VENV=.venv-load scripts/bootstrap.sh load
	@scripts/system-deps.sh postgresql
	scripts/with-postgres.sh .venv-load/bin/python -m tooling.load --households $(N) --users $(USERS) \
		--duration $(DURATION) --mode $(MODE) $(LOAD_ARGS)

lint: venv
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

format: venv
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .

## Recompile translations after editing locale/*/LC_MESSAGES/django.po.
messages: venv
	@scripts/system-deps.sh gettext
	$(PY) manage.py makemessages -l en --ignore '.venv/*' --ignore 'tests/*' --ignore 'staticfiles/*'
	$(PY) manage.py compilemessages --ignore '.venv/*'

clean:
	rm -rf .venv .venv-load db.sqlite3 staticfiles test-artifacts
