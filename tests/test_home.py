"""The home page by role: leaders to the dashboard, staff to the desk, grid roles to their workbench."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from grids.models import Role
from portal.views_home import WORKBENCH_CASES, WORKBENCH_HOUSEHOLDS
from residents.models import CareCategory
from tests.factories import (
    CareEnrolmentFactory,
    HouseholdFactory,
    ResidentFactory,
    UserFactory,
    assign,
    case_in,
    log_visit,
)

pytestmark = pytest.mark.django_db


def local(days_ago: int, hour: int = 10) -> datetime.datetime:
    """A moment `days_ago` days before today, at `hour` o'clock in the portal's time zone."""
    day = timezone.localdate() - datetime.timedelta(days=days_ago)
    return timezone.make_aware(datetime.datetime(day.year, day.month, day.day, hour))


def care_household(grid, *, name="苏秀兰"):
    """A household with one member living alone (visited weekly), enrolled 60 days ago."""
    household = HouseholdFactory(dwelling__building__grid=grid)
    resident = ResidentFactory(household=household, name=name)
    CareEnrolmentFactory(
        household=household,
        resident=resident,
        category=CareCategory.ELDERLY_LIVING_ALONE,
        since=timezone.localdate() - datetime.timedelta(days=60),
    )
    return household


@pytest.fixture
def other_staff(other_grid):
    user = UserFactory(username="s2")
    assign(user, Role.COMMUNITY_STAFF, other_grid.community)
    return user


@pytest.fixture
def other_worker(other_grid):
    user = UserFactory(username="w2")
    assign(user, Role.GRID_WORKER, other_grid)
    return user


# --- where each role lands ----------------------------------------------------------------------------


def test_home_sends_anonymous_users_to_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_home_sends_community_staff_to_the_desk(client, staff):
    client.force_login(staff)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:desk")


def test_home_sends_a_community_leader_to_the_dashboard(client, grid):
    leader = UserFactory(username="cl")
    assign(leader, Role.COMMUNITY_LEADER, grid.community)
    client.force_login(leader)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:index")


def test_home_sends_a_street_leader_to_the_dashboard(client, street_leader):
    client.force_login(street_leader)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:index")


def test_home_sends_a_superuser_to_the_dashboard(client, db):
    admin = UserFactory(username="admin", is_superuser=True, is_staff=True)
    client.force_login(admin)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:index")


def test_home_prefers_the_desk_for_a_user_who_is_both_staff_and_worker(client, grid):
    """Precedence: leader (dashboard) > community staff (desk) > grid role (workbench).

    The desk covers every case of the community, the worker's grid included, so it is the wider view.
    """
    user = UserFactory(username="both")
    assign(user, Role.COMMUNITY_STAFF, grid.community)
    assign(user, Role.GRID_WORKER, grid)
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:desk")


def test_home_sends_a_user_without_assignments_to_the_grid_list(client, db):
    client.force_login(UserFactory(username="nobody"))
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("grids:list")


def test_home_refuses_post(client, worker):
    client.force_login(worker)
    assert client.post(reverse("home")).status_code == 405


# --- the workbench --------------------------------------------------------------------------------------


def test_home_shows_a_worker_the_cases_and_due_households_of_their_grid_only(
    client, grid, other_grid, staff, worker, other_staff, other_worker
):
    waiting = case_in("dispatched", grid, staff=staff, worker=worker)
    mine = case_in("in_progress", grid, staff=staff, worker=worker)
    foreign_case = case_in("dispatched", other_grid, staff=other_staff, worker=other_worker)
    due = care_household(grid, name="苏秀兰")
    foreign_household = care_household(other_grid, name="韩建国")
    client.force_login(worker)

    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "portal/workbench.html"
    context = response.context
    assert [c.pk for c in context["waiting"]] == [waiting.pk]
    assert [c.pk for c in context["mine"]] == [mine.pk]
    assert (context["waiting_count"], context["mine_count"]) == (1, 1)
    assert [h.pk for h in context["households"]] == [due.pk]
    assert context["due_counts"] == {"overdue": 1, "today": 0, "soon": 0}
    html = response.content.decode()
    assert waiting.number in html and mine.number in html
    assert foreign_case.number not in html
    assert "苏秀兰" in html and "韩建国" not in html
    assert f'data-household="{foreign_household.pk}"' not in html
    assert f'href="{reverse("household_file", args=[due.pk])}"' in html
    assert f'href="{reverse("visits:new")}?household={due.pk}"' in html
    assert f'href="{reverse("cases:queue")}"' in html
    assert f'href="{reverse("visits:due")}"' in html
    assert "逾期 60 天" in html


def test_home_counts_due_households_by_section(client, grid, worker):
    overdue, today, soon, later = (care_household(grid) for _ in range(4))
    log_visit(overdue, worker, local(days_ago=10))  # weekly: due 3 days ago
    log_visit(today, worker, local(days_ago=7))  # due today
    log_visit(soon, worker, local(days_ago=3))  # due in 4 days
    log_visit(later, worker, local(days_ago=0, hour=0))  # due in 7 days: beyond this week
    client.force_login(worker)

    response = client.get(reverse("home"))

    assert response.context["due_counts"] == {"overdue": 1, "today": 1, "soon": 1}
    rows = [(h.pk, h.due_status) for h in response.context["households"]]
    assert rows == [(overdue.pk, "overdue"), (today.pk, "today"), (soon.pk, "soon")]


def test_home_counts_every_case_and_household_but_lists_only_the_first_few(client, grid, staff, worker):
    now = timezone.now()
    for _ in range(WORKBENCH_CASES + 1):
        case_in("dispatched", grid, staff=staff, worker=worker)
    overdue = case_in("dispatched", grid, staff=staff, worker=worker, now=now - datetime.timedelta(hours=30))
    for _ in range(WORKBENCH_HOUSEHOLDS + 2):
        care_household(grid)
    client.force_login(worker)

    response = client.get(reverse("home"))

    context = response.context
    assert context["waiting_count"] == WORKBENCH_CASES + 2
    assert len(context["waiting"]) == WORKBENCH_CASES
    assert context["waiting"][0].pk == overdue.pk  # the queue's order: overdue first
    assert context["due_counts"]["overdue"] == WORKBENCH_HOUSEHOLDS + 2
    assert len(context["households"]) == WORKBENCH_HOUSEHOLDS
    html = response.content.decode()
    assert f"共 {WORKBENCH_CASES + 2} 件" in html
    assert f"共 {WORKBENCH_HOUSEHOLDS + 2} 户" in html


def test_home_workbench_says_when_there_is_nothing_to_do(client, grid, worker):
    on_time = care_household(grid)
    log_visit(on_time, worker, local(days_ago=0, hour=0))  # next due in 7 days
    client.force_login(worker)

    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert (response.context["waiting_count"], response.context["mine_count"]) == (0, 0)
    assert response.context["due_counts"] == {"overdue": 0, "today": 0, "soon": 0}
    html = response.content.decode()
    assert "暂无待接单的工单" in html
    assert "暂无在办的工单" in html
    assert "本周没有应访的关爱对象户" in html


def test_home_shows_a_building_head_the_visits_panel_only(client, grid, staff, worker, building_head):
    case_in("dispatched", grid, staff=staff, worker=worker)
    due = care_household(grid)
    client.force_login(building_head)

    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert response.context["works_cases"] is False
    assert [h.pk for h in response.context["households"]] == [due.pk]
    html = response.content.decode()
    assert 'data-panel="visits"' in html
    assert 'data-panel="cases"' not in html


def test_home_workbench_issues_the_same_queries_at_two_sizes(
    client, grid, staff, worker, django_assert_num_queries
):
    # session, user, the second factor's device, the user's roles, the worker's grids, waiting cases
    # (first 5) and the workers they were sent to, their count, cases in hand (first 5) and their handlers,
    # their count, stale schedules, the user's grid ids, due counts by section (one aggregate), due
    # households (first 6), current members of those households = 16 (the menu reuses the user's roles;
    # the bell loads its count by a request of its own)
    def fill(n):
        for _ in range(n):
            case_in("dispatched", grid, staff=staff, worker=worker)
            case_in("in_progress", grid, staff=staff, worker=worker)
            care_household(grid)

    client.force_login(worker)
    fill(1)
    with django_assert_num_queries(16):
        assert client.get(reverse("home")).status_code == 200
    fill(5)
    with django_assert_num_queries(16):
        response = client.get(reverse("home"))
    assert (response.context["waiting_count"], response.context["mine_count"]) == (6, 6)
    assert response.context["due_counts"]["overdue"] == 6
