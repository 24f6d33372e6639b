"""The health endpoints: ok while the database answers and has every migration (and, on /health/worker/,
while no task waits for a worker too long); `unavailable` and 503 otherwise, saying nothing else; no login,
never cached."""

import datetime
import logging
import socket

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from hotline.tasks import deliver_update
from portal import health

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _migrations_not_yet_checked(monkeypatch):
    """Each test starts as a new process would, before its first probe found the migrations complete."""
    monkeypatch.setattr(health, "_migrations_complete", False)


def _closed_port() -> int:
    """A port on this machine nothing listens on (taken from the system, then let go)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def database_down(transactional_db):
    """The default database is unreachable: its connection is closed and points at a closed port, so the
    next query fails to connect as it would with the server stopped. Restored before the test's tables
    are emptied."""
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT=str(_closed_port()))
    yield
    connection.close()
    connection.settings_dict.clear()
    connection.settings_dict.update(saved)


def test_health_answers_ok_without_login_and_is_never_cached(client):
    response = client.get(reverse("health"))

    assert (response.status_code, response.content) == (200, b"ok")
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "no-store" in response["Cache-Control"]
    assert "Set-Cookie" not in response.headers


def test_health_worker_answers_ok_when_no_task_waits(client):
    response = client.get(reverse("health_worker"))

    assert (response.status_code, response.content) == (200, b"ok")
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", ["health", "health_worker"])
def test_health_answers_503_and_nothing_else_when_the_database_is_down(client, database_down, caplog, name):
    port = connection.settings_dict["PORT"]
    with caplog.at_level(logging.WARNING, logger="portal.health"):
        response = client.get(reverse(name))

    assert (response.status_code, response.content) == (503, b"unavailable")
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "no-store" in response["Cache-Control"]
    # The operator's log says what failed, by the error's type alone: no host, port or message (and
    # Django's own line for any 5xx: "Service Unavailable: <path>").
    assert [r.getMessage() for r in caplog.records if r.name == "portal.health"] == [
        "health: database unreachable (OperationalError)"
    ]
    assert port not in caplog.text


def test_health_answers_503_while_a_migration_is_not_applied(client):
    MigrationRecorder.Migration.objects.filter(app="hotline").order_by("-applied").first().delete()

    response = client.get(reverse("health"))

    assert (response.status_code, response.content) == (503, b"unavailable")


def test_health_reads_the_migrations_once_found_complete(client, django_assert_num_queries):
    assert client.get(reverse("health")).status_code == 200
    MigrationRecorder.Migration.objects.filter(app="hotline").order_by("-applied").first().delete()

    # Queries: SELECT 1. The migrations are not read again in this process: they were all applied, and
    # a release's migrations are applied before its servers start.
    with django_assert_num_queries(1):
        response = client.get(reverse("health"))

    assert response.status_code == 200


def test_health_is_not_redirected_to_https(client, settings):
    """The load balancer probes the app servers over plain HTTP, behind the TLS proxy."""
    settings.SECURE_SSL_REDIRECT = True

    assert client.get(reverse("login")).status_code == 301
    assert client.get(reverse("health")).status_code == 200
    assert client.get(reverse("health_worker")).status_code == 200


def _queue(*, waited: datetime.timedelta, run_after: datetime.datetime | None = None, status: str = "READY"):
    """A delivery task queued `waited` ago (to run at once, or after `run_after`), in `status`."""
    task = deliver_update.using(run_after=run_after) if run_after else deliver_update
    result = task.enqueue(0)
    DBTaskResult.objects.filter(pk=result.id).update(enqueued_at=timezone.now() - waited, status=status)


@pytest.mark.parametrize(
    ("task", "expected"),
    [
        pytest.param({"waited": datetime.timedelta(seconds=301)}, 503, id="ready-for-over-the-limit"),
        pytest.param({"waited": datetime.timedelta(seconds=290)}, 200, id="ready-within-the-limit"),
        pytest.param(
            {
                "waited": datetime.timedelta(hours=2),
                "run_after": timezone.now() - datetime.timedelta(minutes=6),
            },
            503,
            id="retry-due-for-over-the-limit",
        ),
        pytest.param(
            {
                "waited": datetime.timedelta(hours=2),
                "run_after": timezone.now() + datetime.timedelta(hours=1),
            },
            200,
            id="retry-not-yet-due",
        ),
        pytest.param(
            {"waited": datetime.timedelta(hours=2), "status": "RUNNING"}, 200, id="taken-by-a-worker"
        ),
        pytest.param({"waited": datetime.timedelta(hours=2), "status": "SUCCESSFUL"}, 200, id="done"),
    ],
)
def test_health_worker_answers_503_once_a_task_waits_longer_than_allowed(client, settings, task, expected):
    settings.PORTAL_HEALTH_WORKER_MAX_AGE = 300
    _queue(**task)

    response = client.get(reverse("health_worker"))

    assert response.status_code == expected
    assert response.content == (b"ok" if expected == 200 else b"unavailable")


def test_a_stalled_worker_does_not_take_the_app_servers_out_of_rotation(client, settings):
    settings.PORTAL_HEALTH_WORKER_MAX_AGE = 300
    _queue(waited=datetime.timedelta(hours=1))

    assert client.get(reverse("health_worker")).status_code == 503
    assert client.get(reverse("health")).status_code == 200
