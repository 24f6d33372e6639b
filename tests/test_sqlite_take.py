"""Two workers press 接单 together on the demo's SQLite database: one takes the case, the other is told it
is taken (issue 14, finding 6). With SQLite's default deferred transactions the second got "database is
locked" instead, as each held a read lock the other's write needed.

The tests run on PostgreSQL, so this one runs the portal's own settings against a file SQLite database
in a child process: migrate, make a dispatched case, then two threads press 接单 at the same moment.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

RACE = """
import json, threading
import django
django.setup()
from django.db import connection
from cases import services
from cases.models import Case
from grids.models import Role
from tests.factories import GridFactory, UserFactory, assign, case_in

grid = GridFactory()
staff = UserFactory(username="staff")
assign(staff, Role.COMMUNITY_STAFF, grid.community)
workers = [UserFactory(username=f"w{n}") for n in range(2)]
for worker in workers:
    assign(worker, Role.GRID_WORKER, grid)
case = case_in("dispatched", grid, staff=staff, worker=workers[0])
barrier = threading.Barrier(2, timeout=15)
outcomes = {}

def press(worker):
    try:
        page = Case.objects.get(pk=case.pk)
        barrier.wait()
        services.case_transition(case=page, action="take", actor=worker, expected_status=page.status)
        outcomes[worker.username] = "took"
    except services.CaseConflict:
        outcomes[worker.username] = "told"
    except Exception as error:
        outcomes[worker.username] = f"{type(error).__name__}: {error}"
    finally:
        connection.close()

threads = [threading.Thread(target=press, args=(w,)) for w in workers]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join(30)
print(json.dumps(sorted(outcomes.values())))
"""


def test_two_workers_taking_one_case_on_sqlite_one_takes_it_and_the_other_is_told(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "DJANGO_DEBUG": "true",
        "DJANGO_SETTINGS_MODULE": "portal.settings",
    }
    run = {"cwd": ROOT, "env": env, "capture_output": True, "text": True, "timeout": 600}
    migrated = subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], check=False, **run)
    assert migrated.returncode == 0, migrated.stderr

    raced = subprocess.run([sys.executable, "-c", RACE], check=False, **run)

    assert raced.returncode == 0, raced.stderr
    assert json.loads(raced.stdout.strip().splitlines()[-1]) == ["told", "took"]
