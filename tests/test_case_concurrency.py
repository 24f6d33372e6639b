"""Two grid workers press 接单 on the same case at the same moment, each in a thread with its own PostgreSQL
connection: the row lock lets exactly one take it, and the other is told who did."""

import threading
import time

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from cases import services
from cases.models import Case, CaseEvent, Category
from grids.models import Role
from tests.factories import UserFactory, assign, case_in

# Each thread commits through its own connection, so the test cannot run inside one rolled-back transaction.
pytestmark = pytest.mark.django_db(transaction=True)

WAIT = 15  # seconds; far more than a take needs, so only a hang reaches it


@pytest.fixture(autouse=True)
def _catalogue(transactional_db):
    # The flush after an earlier transactional test (the browser tests) removes the seeded 事项清单.
    Category.objects.get_or_create(
        name="环境卫生",
        defaults={
            "kind": "problem",
            "default_urgency": "general",
            "response_hours": 24,
            "resolution_hours": 168,
        },
    )


@pytest.fixture
def workers(grid, worker):
    worker.first_name = "张秀英"
    worker.save(update_fields=["first_name"])
    colleague = UserFactory(username="w2", first_name="马建国")
    assign(colleague, Role.PART_TIME_GRID_WORKER, grid)
    return [worker, colleague]


def _press_take(
    case_id: int, user_id: int, username: str, barrier: threading.Barrier, outcomes: dict
) -> None:
    """One worker's phone: the case page is drawn (waiting to be taken), then 接单 is pressed."""
    try:
        user = get_user_model().objects.get(pk=user_id)
        page = Case.objects.get(pk=case_id)
        barrier.wait()
        services.case_transition(case=page, action="take", actor=user, expected_status=page.status)
        outcomes[username] = "took"
    except services.CaseConflict as conflict:
        outcomes[username] = conflict
    except Exception as error:  # anything else is handed to the test, not lost with the thread
        outcomes[username] = error
    finally:
        connection.close()


def _start_race(case: Case, workers: list) -> tuple[list[threading.Thread], dict]:
    barrier = threading.Barrier(len(workers), timeout=WAIT)
    outcomes: dict = {}
    threads = [
        threading.Thread(target=_press_take, args=(case.pk, user.pk, user.username, barrier, outcomes))
        for user in workers
    ]
    for thread in threads:
        thread.start()
    return threads, outcomes


def _finish(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.join(timeout=WAIT)
    assert [thread.is_alive() for thread in threads] == [False] * len(threads)


def _waiting_on_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # inside a transaction the view is frozen
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def _assert_one_winner_named_to_the_loser(case: Case, workers: list, outcomes: dict) -> None:
    assert sorted(outcomes) == sorted(user.username for user in workers)
    winners = [user for user in workers if outcomes[user.username] == "took"]
    losers = [user for user in workers if isinstance(outcomes[user.username], services.CaseConflict)]
    assert (len(winners), len(losers)) == (1, 1), outcomes
    winner, loser = winners[0], losers[0]

    case = Case.objects.get(pk=case.pk)
    assert (case.status, case.handler, case.assigned_worker) == ("in_progress", winner, winner)
    taken = CaseEvent.objects.filter(case=case, action="take")
    assert [(event.actor, event.from_status, event.to_status) for event in taken] == [
        (winner, "dispatched", "in_progress")
    ]
    when = timezone.localtime(taken.get().at).strftime("%H:%M")
    assert str(outcomes[loser.username]) == f"{winner.first_name} 已于 {when} 接单，您无需再接。"


def test_case_take_race_has_one_winner_and_the_other_is_told_who(grid, staff, workers):
    # Several rounds, so the two presses really do meet at the lock in some of them.
    for _round in range(5):
        case = case_in("dispatched", grid, staff=staff, worker=workers[0])

        threads, outcomes = _start_race(case, workers)
        _finish(threads)

        _assert_one_winner_named_to_the_loser(case, workers, outcomes)


def test_case_take_race_queued_on_the_row_lock_has_one_winner(grid, staff, workers):
    case = case_in("dispatched", grid, staff=staff, worker=workers[0])

    # Hold the case's row lock until both presses are waiting on it, so both have read the case as
    # dispatched and both reach the lock before either can take it.
    with transaction.atomic():
        Case.objects.select_for_update().get(pk=case.pk)
        threads, outcomes = _start_race(case, workers)
        deadline = time.monotonic() + WAIT
        while _waiting_on_a_lock() < len(workers) and time.monotonic() < deadline:
            time.sleep(0.02)
        waiting = _waiting_on_a_lock()
    _finish(threads)

    assert waiting == len(workers)
    _assert_one_winner_named_to_the_loser(case, workers, outcomes)
