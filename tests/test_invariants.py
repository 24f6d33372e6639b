"""`manage.py check_invariants` (portal.invariants): a database written through the services passes; each
invariant broken on purpose with raw SQL, as a half-written action or a bad restore would leave it, is found
and names the row."""

import contextlib
import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from cases import services as case_services
from cases.models import Case, CaseEvent, Category, Status
from cases.tallies import CaseDayTally, CaseWeekTally
from grids.models import Role
from hotline import services as hotline_services
from hotline.models import Update
from notifications.models import Notification, VisitAlert
from residents.models import CareCategory, Household
from tests.factories import (
    CareEnrolmentFactory,
    GridFactory,
    HouseholdFactory,
    UserFactory,
    assign,
    case_in,
    log_visit,
)
from visits import services as visit_services
from visits.measures import SCHEDULED
from visits.models import CommunityDueTally, DueTally, Visit, VisitTally

pytestmark = pytest.mark.django_db


@pytest.fixture
def actions():
    """One of each kind of committed action the invariants pair up: cases in every state (the desk's and the
    worker's notifications with them), an urgent visit with its alert, and a 12345 work order taken and
    resolved (its two updates)."""
    grid = GridFactory()
    staff, worker = UserFactory(), UserFactory()
    assign(staff, Role.COMMUNITY_STAFF, grid.community)
    assign(worker, Role.GRID_WORKER, grid)
    cases = {
        state: case_in(state, grid, staff=staff, worker=worker)
        for state in ("submitted", "dispatched", "in_progress", "resolved", "closed")
    }
    visit = log_visit(
        HouseholdFactory(dwelling__building__grid=grid), worker, timezone.now(), condition="urgent"
    )
    client, _key = hotline_services.client_create(name="12345", street=grid.community.street)
    order, _created = hotline_services.work_order_receive(
        client=client,
        order=hotline_services.OrderRequest(
            order_id="GD-1",
            service_code=str(Category.objects.get(name="环境卫生").pk),
            address_id=grid.code,
            description="楼下垃圾三天未清运。",
        ),
    )
    hotline_case = order.case
    for action, actor in [("accept", staff), ("take", worker), ("resolve", worker)]:
        hotline_case = case_services.case_transition(
            case=hotline_case, action=action, actor=actor, note="已清运"
        )
    return {"cases": cases, "visit": visit, "hotline_case": hotline_case, "staff": staff}


def run_check() -> str:
    out = StringIO()
    call_command("check_invariants", stdout=out)
    return out.getvalue()


def broken_report() -> str:
    out = StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("check_invariants", stdout=out)
    assert raised.value.returncode == 1
    return out.getvalue()


def line_of(report: str, start: str) -> str:
    return next(line for line in report.splitlines() if line.startswith(start))


@contextlib.contextmanager
def raw(sql: str, params: list, undo: str = "", undo_params: list | None = None):
    """Break the database with raw SQL; `undo` puts a foreign key back before the test's end, where Django
    checks the deferred keys of the transaction it rolls back."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    yield
    if undo:
        with connection.cursor() as cursor:
            cursor.execute(undo, undo_params or [])


def test_check_invariants_passes_on_a_generated_district_and_actions_through_the_services(actions):
    call_command("generate_district", households=600, seed=7, stdout=StringIO())
    assert Notification.objects.filter(case__isnull=False).exists()
    assert Notification.objects.filter(visit__isnull=False).exists()
    assert Update.objects.count() == 2

    report = run_check()

    assert report.splitlines()[-1].startswith("All 14 invariants hold")
    assert all(line.rstrip().endswith(" 0") for line in report.splitlines()[:-1])


def test_check_invariants_finds_a_case_whose_state_is_not_its_last_line(actions):
    case = actions["cases"]["dispatched"]
    last = CaseEvent.objects.filter(case=case).order_by("-at", "-id").first()
    table = CaseEvent._meta.db_table
    with raw(f"UPDATE {table} SET to_status = %s WHERE id = %s", [Status.SUBMITTED, last.pk]):
        report = broken_report()

    line = line_of(report, "every case's state")
    assert line.split()[-4:] == ["1", "e.g.", "case", str(case.pk)]


def test_check_invariants_finds_a_case_without_any_line(actions):
    case = actions["cases"]["submitted"]
    with raw(f"DELETE FROM {CaseEvent._meta.db_table} WHERE case_id = %s", [case.pk]):
        report = broken_report()

    assert line_of(report, "every case's state").endswith(f"e.g. case {case.pk}")


def test_check_invariants_finds_a_closed_case_without_outcome(actions):
    case = actions["cases"]["closed"]
    table = Case._meta.db_table
    # The database's own constraint refuses it; a restore or a bulk load may have gone around it. (ALTER TABLE
    # refuses a table with foreign-key checks pending in the transaction: they are run first.)
    with (
        raw("SET CONSTRAINTS ALL IMMEDIATE", []),
        raw(f"ALTER TABLE {table} DROP CONSTRAINT case_closed_has_outcome", []),
        raw("SET CONSTRAINTS ALL DEFERRED", []),
        raw(f"UPDATE {table} SET outcome = '' WHERE id = %s", [case.pk]),
    ):
        report = broken_report()

    assert line_of(report, "every closed case").endswith(f"1  e.g. case {case.pk}")


def test_check_invariants_finds_a_visit_without_its_household(actions):
    visit = actions["visit"]
    missing = Household.objects.order_by("-pk").values_list("pk", flat=True).first() + 1000
    table = Visit._meta.db_table
    with raw(
        f"UPDATE {table} SET household_id = %s WHERE id = %s",
        [missing, visit.pk],
        undo=f"UPDATE {table} SET household_id = %s WHERE id = %s",
        undo_params=[visit.household_id, visit.pk],
    ):
        report = broken_report()

    assert line_of(report, "every visit's household").endswith(f"1  e.g. visit {visit.pk}")


def test_check_invariants_finds_a_case_notification_without_its_line(actions):
    notification = Notification.objects.filter(case__isnull=False).order_by("pk").first()
    with raw(
        f"UPDATE {Notification._meta.db_table} SET created_at = created_at - %s WHERE id = %s",
        [datetime.timedelta(minutes=5), notification.pk],
    ):
        report = broken_report()

    assert line_of(report, "every notification").endswith(f"1  e.g. notification {notification.pk}")


def test_check_invariants_finds_a_visit_notification_without_its_alert(actions):
    told = list(
        Notification.objects.filter(visit=actions["visit"]).order_by("pk").values_list("pk", flat=True)
    )
    assert told  # the desk was told of the urgent visit
    with raw(f"DELETE FROM {VisitAlert._meta.db_table} WHERE visit_id = %s", [actions["visit"].pk]):
        report = broken_report()

    ids = ", ".join(str(pk) for pk in told)
    assert line_of(report, "every notification").endswith(f"{len(told)}  e.g. notification {ids}")


def test_check_invariants_finds_an_update_naming_another_case_line(actions):
    update = Update.objects.order_by("pk").first()
    other = CaseEvent.objects.filter(case=actions["cases"]["submitted"]).get()
    with raw(f"UPDATE {Update._meta.db_table} SET event_id = %s WHERE id = %s", [other.pk, update.pk]):
        report = broken_report()

    assert line_of(report, "every 12345 update").endswith(f"1  e.g. hotline update {update.pk}")
    # ... and the line it was moved off now lacks its update.
    assert line_of(report, "every taken").endswith(f"1  e.g. case event {update.event_id}")


def test_check_invariants_finds_a_12345_line_whose_update_was_lost(actions):
    update = Update.objects.filter(kind=Update.Kind.RESOLVED).get()
    with raw(f"DELETE FROM {Update._meta.db_table} WHERE id = %s", [update.pk]):
        report = broken_report()

    assert line_of(report, "every taken").endswith(f"1  e.g. case event {update.event_id}")
    assert line_of(report, "every 12345 update").endswith(" 0")


def test_check_invariants_finds_a_stored_due_count_that_drifted(actions):
    household = actions["visit"].household
    CareEnrolmentFactory(household=household, category=CareCategory.ELDERLY_LIVING_ALONE)
    visit_services.schedule_refresh(households=Household.objects.filter(pk=household.pk))
    due = Household.objects.filter(SCHEDULED, pk=household.pk).values_list("visit_plan__next_due", flat=True)
    tally = DueTally.objects.get(grid_id=household.grid_id, next_due=due.get())
    table = DueTally._meta.db_table
    with raw(f"UPDATE {table} SET households = households + 1 WHERE id = %s", [tally.pk]):
        report = broken_report()
    assert line_of(report, "every stored count").endswith(f"1  e.g. due count {tally.pk}")
    with raw(f"DELETE FROM {table} WHERE id = %s", [tally.pk]):
        report = broken_report()
    assert f"household {household.pk}" in line_of(report, "every care household is in")


def test_check_invariants_finds_a_community_due_count_that_drifted(actions):
    household = actions["visit"].household
    CareEnrolmentFactory(household=household, category=CareCategory.ELDERLY_LIVING_ALONE)
    visit_services.schedule_refresh(households=Household.objects.filter(pk=household.pk))
    due = Household.objects.filter(SCHEDULED, pk=household.pk).values_list("visit_plan__next_due", flat=True)
    tally = CommunityDueTally.objects.get(community_id=household.grid.community_id, next_due=due.get())
    grid_tally = DueTally.objects.get(grid_id=household.grid_id, next_due=due.get())
    assert line_of(run_check(), "every stored count of a community").endswith(" 0")
    table = CommunityDueTally._meta.db_table
    with raw(f"UPDATE {table} SET households = households - 1 WHERE id = %s", [tally.pk]):
        report = broken_report()
    assert line_of(report, "every stored count of a community").endswith(
        f"1  e.g. community due count {tally.pk}"
    )
    with raw(f"DELETE FROM {table} WHERE id = %s", [tally.pk]):
        report = broken_report()
    assert line_of(report, "every grid's stored due count").endswith(f"1  e.g. due count {grid_tally.pk}")


def test_check_invariants_finds_a_stored_visit_count_that_drifted(actions):
    visit = actions["visit"]
    tally = VisitTally.objects.get(grid_id=visit.household.grid_id, visitor=visit.author)
    table = VisitTally._meta.db_table
    assert line_of(run_check(), "every stored count of visits").endswith(" 0")
    with raw(f"UPDATE {table} SET visits = visits + 1 WHERE id = %s", [tally.pk]):
        report = broken_report()
    assert line_of(report, "every stored count of visits").endswith(f"1  e.g. visit count {tally.pk}")
    with raw(f"DELETE FROM {table} WHERE id = %s", [tally.pk]):
        report = broken_report()
    through = Visit.visitors.through.objects.get(visit=visit)
    assert line_of(report, "every visitor of a visit").endswith(f"1  e.g. visit visitor {through.pk}")
    # A count on a day its visitor went on no visit in the grid; a count of none that day is right.
    insert = f"INSERT INTO {table} (grid_id, visitor_id, day, visits) VALUES (%s, %s, %s, %s)"
    stray_day, empty_day = datetime.date(2001, 1, 1), datetime.date(2001, 1, 2)
    with (
        raw(insert, [tally.grid_id, tally.visitor_id, empty_day, 0]),
        raw(insert, [tally.grid_id, tally.visitor_id, stray_day, 2]),
    ):
        report = broken_report()
    stray = VisitTally.objects.get(day=stray_day)
    assert line_of(report, "every stored count of visits").endswith(f"1  e.g. visit count {stray.pk}")


def test_check_invariants_finds_a_grid_whose_stored_weekly_case_counts_drifted(actions):
    case = actions["cases"]["closed"]
    tally = CaseWeekTally.objects.filter(grid_id=case.grid_id, taken__gt=0).first()
    table = CaseWeekTally._meta.db_table
    label = "every grid's stored weekly case counts"
    assert line_of(run_check(), label).endswith(" 0")
    with raw(f"UPDATE {table} SET taken = taken - 1 WHERE id = %s", [tally.pk]):
        report = broken_report()
    assert line_of(report, label).endswith(f"1  e.g. grid {case.grid_id}")
    # a restore that left the table out: every grid with cases is off
    with raw(f"DELETE FROM {table}", []):
        report = broken_report()
    assert line_of(report, label).endswith(f"1  e.g. grid {case.grid_id}")


def test_check_invariants_finds_a_grid_whose_stored_daily_case_counts_drifted(actions):
    case = actions["cases"]["closed"]
    tally = CaseDayTally.objects.filter(grid_id=case.grid_id, received__gt=0).first()
    table = CaseDayTally._meta.db_table
    label = "every grid's stored daily case counts"
    assert line_of(run_check(), label).endswith(" 0")
    with raw(f"UPDATE {table} SET received = received + 1 WHERE id = %s", [tally.pk]):
        report = broken_report()
    assert line_of(report, label).endswith(f"1  e.g. grid {case.grid_id}")
    with raw(f"DELETE FROM {table}", []):
        report = broken_report()
    assert line_of(report, label).endswith(f"1  e.g. grid {case.grid_id}")
