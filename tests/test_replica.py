"""The read replica (common.replica) against a real streaming replica: pg_basebackup of the cluster the
tests run on (scripts/with-postgres.sh), started on a free port and replaying the primary's WAL.

The dashboard reads from the replica and the case page from the primary: with the replica's replay paused
(what a leader sees during replica lag) the dashboard shows the figures as they were, and says as of when,
while the case page shows the case registered since; once replay resumes the dashboard catches up. Inside
a dashboard view the export's record is written to the primary, and a read after it comes from there.
"""

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from django.db import connections, router
from django.urls import reverse
from django.utils import timezone

from cases.models import Case
from common.replica import REPLICA, reads_from_replica
from residents.models import ExportRecord
from tests.factories import register_case

pytestmark = pytest.mark.django_db(transaction=True)

PGBIN = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))[-1:]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(*command: str) -> None:
    """Run a PostgreSQL program as the postgres user (it refuses to run as root)."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    # A base backup and the replica's first start take seconds alone, and over a minute on a machine
    # busy with the rest of the suite (seen once in a full run).
    subprocess.run([*prefix, *command], cwd="/", check=True, capture_output=True, timeout=240)


@dataclass
class Replica:
    port: int
    socket_dir: str

    def _superuser(self) -> psycopg.Connection:
        # Pausing replay is for superusers: postgres, trusted on the replica's own socket.
        return psycopg.connect(
            host=self.socket_dir, port=self.port, user="postgres", dbname="postgres", autocommit=True
        )

    # The replica follows the whole cluster, the other test worker's databases too: while that worker loads
    # a generated district or restores a backup, replay here fell more than 20 s behind on two cores.
    def _wait_for(self, position: str, timeout: float = 120) -> None:
        """Wait until the replica's `position` (its last WAL received or replayed) reaches everything the
        primary has written so far."""
        with connections["default"].cursor() as cursor:
            # The insert position, not pg_current_wal_lsn() (the written one): the tests' cluster commits
            # with synchronous_commit=off, so a commit returns before its record is written, and waiting for
            # the written position once let the dashboard read the replica without the case just registered.
            cursor.execute("SELECT pg_current_wal_insert_lsn()")
            lsn = cursor.fetchone()[0]
        with self._superuser() as conn:
            deadline = time.monotonic() + timeout
            while not conn.execute(f"SELECT pg_last_wal_{position}_lsn() >= %s::pg_lsn", [lsn]).fetchone()[0]:
                assert time.monotonic() < deadline, f"the replica's {position} did not reach the primary"
                time.sleep(0.05)

    def catch_up(self) -> None:
        self._wait_for("replay")

    def receive(self) -> None:
        """Wait until the primary's writes have reached the replica (while paused: received, not applied)."""
        self._wait_for("receive")

    @contextlib.contextmanager
    def paused(self):
        """Replay paused: the replica keeps receiving the primary's WAL but applies none of it (lag)."""
        with self._superuser() as conn:
            conn.execute("SELECT pg_wal_replay_pause()")
            try:
                yield
            finally:
                conn.execute("SELECT pg_wal_replay_resume()")


@pytest.fixture(scope="session")
def streaming_replica(django_db_setup, django_db_blocker):
    """A hot standby of the tests' PostgreSQL, cloned with pg_basebackup -R (which also writes how to
    follow the primary), for the whole session; a second or two to start."""
    primary_socket = os.environ.get("PGDATA_DIR")
    if not primary_socket or not PGBIN:
        pytest.skip("needs the PostgreSQL cluster of scripts/with-postgres.sh (PGDATA_DIR)")
    with django_db_blocker.unblock():
        primary_port = str(connections["default"].settings_dict["PORT"])
    directory = tempfile.mkdtemp(prefix="portal-replica.")
    os.chmod(directory, 0o755)
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    data = f"{directory}/data"
    port = _free_port()
    bin_dir = PGBIN[0]
    try:
        # Over the primary's socket, where initdb's pg_hba trusts local replication connections.
        _as_postgres(
            f"{bin_dir}/pg_basebackup", "-h", primary_socket, "-p", primary_port, "-U", "postgres",
            "-D", data, "-R", "-X", "stream", "--checkpoint=fast",
        )  # fmt: skip
        _as_postgres(
            f"{bin_dir}/pg_ctl", "-D", data, "-l", f"{directory}/pg.log", "-w", "start",
            "-o", f"-p {port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off",
        )  # fmt: skip
        yield Replica(port=port, socket_dir=directory)
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            _as_postgres(f"{bin_dir}/pg_ctl", "-D", data, "-m", "immediate", "stop")
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def replica(streaming_replica, transactional_db, settings):
    """The replica as settings make it from DATABASE_REPLICA_URL: the `replica` database and the router.

    Added after the test database is set up, so Django neither creates nor flushes a database on the
    standby (which refuses writes)."""
    default = connections["default"].settings_dict
    replica_settings = {**default, "HOST": "127.0.0.1", "PORT": str(streaming_replica.port)}
    connections.settings[REPLICA] = replica_settings
    # Connected here, past the test case's guard against connecting to a database it does not list (listing
    # it would have the test case flush it); the test client keeps the connection open between requests.
    connections[REPLICA].connect()
    settings.DATABASE_ROUTERS = ["common.replica.ReplicaRouter"]
    yield streaming_replica
    connections[REPLICA].close()
    del connections[REPLICA]
    del connections.settings[REPLICA]


def _cases_on_dashboard(client) -> tuple[int, object]:
    """The month's cases the leader's dashboard counts (by state), and the time its data is as of."""
    response = client.get(reverse("dashboard:index"))
    assert response.status_code == 200
    return sum(n for _value, _label, n in response.context["board"].states), response.context["as_of"]


def test_the_dashboard_reads_from_the_replica_and_the_case_page_from_the_primary(
    replica, client, grid, staff, street_leader
):
    register_case(grid, staff)
    replica.catch_up()
    client.force_login(street_leader)
    assert _cases_on_dashboard(client)[0] == 1

    with replica.paused():
        late = register_case(grid, staff, description="楼道灯不亮。")
        # Committed by now. Not `late.created_at`, taken as the service starts, before it commits: the
        # replica's time once fell between the two (0.16 s after it, with the late case not yet visible).
        written = timezone.now()
        replica.receive()
        # During the lag the leader sees the figures as of the pause, and the page says as of when.
        count, as_of = _cases_on_dashboard(client)
        assert count == 1
        assert as_of < written
        assert "数据截至" in client.get(reverse("dashboard:index")).content.decode()
        # The case page reads from the primary: the new case is there.
        page = client.get(reverse("cases:detail", args=[late.pk]))
        assert (page.status_code, late.number in page.content.decode()) == (200, True)
        # The replica indeed lacks it (read there directly).
        assert not Case.objects.using(REPLICA).filter(pk=late.pk).exists()

    replica.catch_up()
    count, as_of = _cases_on_dashboard(client)
    assert count == 2
    assert as_of >= late.created_at


def test_an_export_during_lag_is_recorded_on_the_primary(replica, client, grid, staff, street_leader):
    register_case(grid, staff)
    replica.catch_up()
    client.force_login(street_leader)
    with replica.paused():
        response = client.get(reverse("dashboard:export"))
        report = client.get(reverse("dashboard:report"))
        assert (response.status_code, report.status_code) == (200, 200)
        # Written to the primary (the replica refuses writes), not yet replayed on the replica.
        assert sorted(ExportRecord.objects.values_list("kind", flat=True)) == sorted(
            [ExportRecord.Kind.DASHBOARD, ExportRecord.Kind.MONTHLY_REPORT]
        )
        assert not ExportRecord.objects.using(REPLICA).exists()


def test_inside_a_replica_view_reads_after_a_write_and_in_a_transaction_go_to_the_primary(replica):
    from django.db import transaction

    seen = []

    @reads_from_replica
    def view(request):
        seen.append(router.db_for_read(Case))
        with transaction.atomic():
            seen.append(router.db_for_read(Case))  # e.g. a throttle counted under a lock
        seen.append(router.db_for_write(ExportRecord))
        seen.append(router.db_for_read(Case))  # the request reads its own write

    view(None)
    seen.append(router.db_for_read(Case))  # outside a marked view
    assert seen == ["replica", "default", "default", "default", "default"]


def test_without_a_replica_the_marked_views_read_from_the_primary(client, grid, staff, street_leader):
    register_case(grid, staff)
    client.force_login(street_leader)
    assert _cases_on_dashboard(client) == (1, None)  # no replica: read from the primary, no "as of"
