"""Visit records for staff and leaders: the visits list and export, the overdue overview, patrols, admin."""

import datetime
import io
import zoneinfo
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from grids.models import Role
from residents.models import CareCategory, ExportRecord
from tests.factories import (
    CareEnrolmentFactory,
    GridFactory,
    HouseholdFactory,
    ResidentFactory,
    UserFactory,
    assign,
    log_visit,
)
from visits import exports, selectors, services
from visits.models import Patrol, PatrolFinding, VisitRevision

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def days_ago(n: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=n)


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def _listed(response) -> list:
    return list(response.context["page"].object_list)


@pytest.fixture
def household(grid):
    return HouseholdFactory(dwelling__building__grid=grid, dwelling__building__address="靖远路9号")


@pytest.fixture
def sibling_grid(grid):
    """A second grid of the same community."""
    return GridFactory(community=grid.community)


@pytest.fixture
def other_worker(other_grid):
    user = UserFactory(username="ow")
    assign(user, Role.GRID_WORKER, other_grid)
    return user


# --- Access -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["list", "export", "overdue", "patrols", "patrol_new"])
def test_records_pages_send_anonymous_users_to_login(client, name):
    response = client.get(reverse(f"visits:{name}"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- Visits list --------------------------------------------------------------------------------


def test_visit_list_shows_only_visits_in_the_users_grids(client, worker, household, other_grid, other_worker):
    mine = log_visit(household, worker, at(days_ago(1), 10))
    log_visit(HouseholdFactory(dwelling__building__grid=other_grid), other_worker, at(days_ago(1), 10))
    client.force_login(worker)
    response = client.get(reverse("visits:list"))
    assert response.status_code == 200
    assert _listed(response) == [mine]
    html = response.content.decode()
    assert "靖远路9号" in html
    assert reverse("visits:detail", args=[mine.pk]) in html


def test_visit_list_filters_by_grid(client, staff, worker, household, sibling_grid):
    sibling_worker = UserFactory()
    assign(sibling_worker, Role.GRID_WORKER, sibling_grid)
    log_visit(household, worker, at(days_ago(2), 10))
    there = log_visit(
        HouseholdFactory(dwelling__building__grid=sibling_grid), sibling_worker, at(days_ago(1), 9)
    )
    client.force_login(staff)
    assert len(_listed(client.get(reverse("visits:list")))) == 2
    response = client.get(reverse("visits:list"), {"grid": sibling_grid.pk})
    assert _listed(response) == [there]


def test_visit_list_filters_by_kind(client, worker, household):
    log_visit(household, worker, at(days_ago(2), 10), kind="wellbeing")
    outreach = log_visit(household, worker, at(days_ago(1), 10), kind="policy_outreach")
    client.force_login(worker)
    assert _listed(client.get(reverse("visits:list"), {"kind": "policy_outreach"})) == [outreach]


def test_visit_list_filters_by_visitor(client, worker, grid, household):
    colleague = UserFactory(username="colleague", first_name="李建国")
    assign(colleague, Role.PART_TIME_GRID_WORKER, grid)
    log_visit(household, worker, at(days_ago(3), 10))
    together = log_visit(household, worker, at(days_ago(2), 10), visitors=[worker, colleague])
    alone = log_visit(household, colleague, at(days_ago(1), 10))
    client.force_login(worker)
    response = client.get(reverse("visits:list"), {"visitor": colleague.pk})
    assert _listed(response) == [alone, together]
    assert "李建国" in response.content.decode()


def test_visitor_choices_are_the_users_serving_the_users_grids(client, worker, staff, other_worker):
    client.force_login(worker)
    choices = client.get(reverse("visits:list")).context["form"].fields["visitor"].queryset
    assert set(choices) == {worker, staff}


def test_visit_list_dates_are_shanghai_days_with_both_ends_included(client, worker, household):
    day = days_ago(5)
    log_visit(household, worker, at(day - datetime.timedelta(days=1), 23, 59))
    early = log_visit(household, worker, at(day, 0, 10))
    late = log_visit(household, worker, at(day, 23, 30))
    log_visit(household, worker, at(day + datetime.timedelta(days=1), 0, 10))
    client.force_login(worker)
    response = client.get(reverse("visits:list"), {"date_from": day.isoformat(), "date_to": day.isoformat()})
    assert _listed(response) == [late, early]


def test_visit_list_finds_a_household_by_address_or_resident_name(client, worker, grid, household):
    ResidentFactory(household=household, name="苏秀兰")
    visit = log_visit(household, worker, at(days_ago(1), 10))
    elsewhere = HouseholdFactory(dwelling__building__grid=grid, dwelling__building__address="草场街3号")
    log_visit(elsewhere, worker, at(days_ago(1), 11))
    client.force_login(worker)
    assert _listed(client.get(reverse("visits:list"), {"q": "苏秀兰"})) == [visit]
    assert _listed(client.get(reverse("visits:list"), {"q": "靖远路"})) == [visit]


def test_visit_list_invalid_date_shows_an_error_not_a_500(client, worker, household):
    log_visit(household, worker, at(days_ago(1), 10))
    client.force_login(worker)
    response = client.get(reverse("visits:list"), {"date_from": "2026-13-40"})
    assert response.status_code == 200
    assert "date_from" in response.context["form"].errors
    assert _listed(response) == []
    assert "筛选条件有误" in response.content.decode()


def test_visit_list_grid_outside_scope_is_a_form_error(client, worker, household, other_grid):
    log_visit(household, worker, at(days_ago(1), 10))
    client.force_login(worker)
    response = client.get(reverse("visits:list"), {"grid": other_grid.pk})
    assert response.status_code == 200
    assert "grid" in response.context["form"].errors
    assert _listed(response) == []


def test_visit_list_from_after_to_is_a_form_error(client, worker):
    client.force_login(worker)
    response = client.get(reverse("visits:list"), {"date_from": "2026-11-20", "date_to": "2026-11-19"})
    assert response.status_code == 200
    assert "date_to" in response.context["form"].errors


def test_visit_list_htmx_request_gets_the_results_only(client, worker, household):
    log_visit(household, worker, at(days_ago(1), 10))
    client.force_login(worker)
    html = client.get(reverse("visits:list"), headers={"HX-Request": "true"}).content.decode()
    # The results, and the place selects swapped out of band; not the page around them.
    assert html.lstrip().startswith('<div id="place-fields"')
    assert '<div id="results">' in html and "<html" not in html
    assert "靖远路9号" in html


def _fill_visits(grid, worker, colleague, n: int) -> None:
    for index in range(n):
        household = HouseholdFactory(dwelling__building__grid=grid)
        resident = ResidentFactory(household=household)
        log_visit(
            household,
            worker,
            at(days_ago(1 + index % 20), 10),
            kind="condolence",
            visitors=[worker, colleague],
            residents_met=[resident],
            gifts=[services.Gift(item="米面油", quantity=1, value=Decimal("200"))],
        )


def test_visit_list_issues_the_same_queries_for_3_and_30_visits(client, worker, grid):
    # session, user, the second factor's device, the grid filter (scoped), the user's grid ids, count
    # (capped), the place selects' communities (with their streets) and grids, the visitor options, page of
    # visits, their visitors, their gifts = 12 at any size
    colleague = UserFactory()
    assign(colleague, Role.GRID_WORKER, grid)
    client.force_login(worker)
    url = reverse("visits:list") + f"?grid={grid.pk}&kind=condolence"
    _fill_visits(grid, worker, colleague, 3)
    small = _count(client, url)
    assert small == 13  # the menu's roles included (the bell loads its count by a request of its own)
    _fill_visits(grid, worker, colleague, 27)
    assert len(_listed(client.get(url))) == 20
    assert _count(client, url) == small


# --- Export -------------------------------------------------------------------------------------


def _sheet_rows(response) -> list[tuple]:
    workbook = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    return [tuple(row) for row in workbook["走访记录"].iter_rows(values_only=True)]


def test_export_holds_the_filtered_list_and_is_recorded(client, worker, grid, household):
    worker.first_name = "张伟"
    worker.save()
    resident = ResidentFactory(household=household, name="苏秀兰", phone="13893215678")
    day = days_ago(3)
    log_visit(household, worker, at(day, 9, 30), kind="wellbeing")
    condolence = log_visit(
        household,
        worker,
        at(day, 15, 5),
        kind="condolence",
        condition="attention",
        residents_met=[resident],
        notes="老人腿脚不便",
        needs_found="需要上门理发",
        gifts=[services.Gift(item="米面油", quantity=2, value=Decimal("150.00"))],
    )
    client.force_login(worker)
    params = {"kind": "condolence", "date_from": day.isoformat(), "date_to": day.isoformat()}
    listed = _listed(client.get(reverse("visits:list"), params))
    response = client.get(reverse("visits:export"), params)

    assert response.status_code == 200
    assert response["Content-Type"] == exports_content_type()
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    rows = _sheet_rows(response)
    assert rows[0] == exports.COLUMNS
    assert listed == [condolence]
    address = household.dwelling.label("靖远路9号")
    assert rows[1:] == [
        (
            datetime.datetime.combine(day, datetime.time(15, 5)),
            grid.name,
            address,
            "慰问",
            "有人应答",
            "张伟",
            "苏秀兰",
            "需关注",
            "老人腿脚不便",
            "需要上门理发",
            "米面油 × 2（150.00元）",
            "张伟",
        )
    ]
    cells = " ".join(str(value) for row in rows for value in row)
    assert resident.id_number not in cells
    assert "13893215678" not in cells
    record = ExportRecord.objects.get()
    assert (record.user, record.kind, record.row_count, record.unmasked) == (
        worker,
        ExportRecord.Kind.VISITS,
        1,
        False,
    )
    assert record.filters == {
        "street": "",
        "community": "",
        "grid": "",
        "kind": "condolence",
        "condition": "",
        "visitor": "",
        "from": day.isoformat(),
        "to": day.isoformat(),
        "q": "",
    }


def exports_content_type() -> str:
    return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_export_stays_in_the_users_scope(client, worker, household, other_grid, other_worker):
    log_visit(household, worker, at(days_ago(1), 10))
    log_visit(HouseholdFactory(dwelling__building__grid=other_grid), other_worker, at(days_ago(1), 10))
    client.force_login(worker)
    rows = _sheet_rows(client.get(reverse("visits:export")))
    assert len(rows) == 2


def test_export_with_a_wrong_filter_goes_back_to_the_list_with_the_error(client, worker):
    client.force_login(worker)
    response = client.get(reverse("visits:export"), {"date_to": "2026-13-40"})
    assert response.status_code == 302
    assert response["Location"] == reverse("visits:list") + "?date_to=2026-13-40"
    assert not ExportRecord.objects.exists()


def test_export_over_the_cap_asks_to_narrow_the_filter(client, worker, household, monkeypatch):
    monkeypatch.setattr(exports, "MAX_EXPORT_ROWS", 1)
    log_visit(household, worker, at(days_ago(2), 10))
    log_visit(household, worker, at(days_ago(1), 10))
    client.force_login(worker)
    response = client.get(reverse("visits:export"), follow=True)
    assert response.redirect_chain == [(reverse("visits:list"), 302)]
    assert "符合条件的走访记录有 2 条" in response.content.decode()
    assert not ExportRecord.objects.exists()


# --- Overdue overview ---------------------------------------------------------------------------


def _enrolled(grid, visited_days_ago: int | None, visitor=None, category=CareCategory.ELDERLY_LIVING_ALONE):
    """A care-group household visited weekly; never visited when visited_days_ago is None."""
    household = HouseholdFactory(dwelling__building__grid=grid)
    ResidentFactory.create_batch(2, household=household)
    CareEnrolmentFactory(household=household, category=category, since=datetime.date(2024, 1, 1))
    if visited_days_ago is not None:
        log_visit(household, visitor, timezone.now() - datetime.timedelta(days=visited_days_ago))
    return household


def _counts(response) -> list[tuple]:
    return [
        (r["grid"], r["enrolled"], r["on_time"], r["overdue"], r["on_time_rate"])
        for r in response.context["rows"]
    ]


def test_overdue_overview_counts_each_grid_of_the_community(client, staff, grid, sibling_grid, other_grid):
    # grid: 3 weekly households, 2 never visited (overdue), 1 visited yesterday;
    # sibling: 2 weekly households both visited this week; a third grid with no care households.
    _enrolled(grid, None)
    _enrolled(grid, 10, staff)
    _enrolled(grid, 1, staff)
    _enrolled(sibling_grid, 2, staff)
    _enrolled(sibling_grid, 6, staff)
    empty = GridFactory(community=grid.community)
    _enrolled(other_grid, None)
    client.force_login(staff)
    response = client.get(reverse("visits:overdue"))
    assert response.status_code == 200
    assert _counts(response) == [
        (grid, 3, 1, 2, pytest.approx(100 / 3)),
        (sibling_grid, 2, 2, 0, 100.0),
        (empty, 0, 0, 0, None),
    ]
    assert response.context["totals"] == {"enrolled": 5, "overdue": 2, "on_time": 3, "on_time_rate": 60.0}
    html = response.content.decode()
    assert "33.3%" in html
    assert "—" in html
    assert reverse("visits:overdue") + f"?grid={grid.pk}" in html


def test_overdue_overview_by_community_adds_whole_communities_and_single_grids(client, grid, other_grid):
    """A user holding one community whole and one grid of another (and, needlessly, a grid of the first):
    the first community's row is its stored per-community count, the second's is the one grid's alone,
    and the grid inside the whole community is not counted twice."""
    second_grid_there = GridFactory(community=other_grid.community)
    user = UserFactory()
    assign(user, Role.COMMUNITY_STAFF, grid.community)
    assign(user, Role.GRID_WORKER, grid)
    assign(user, Role.GRID_WORKER, other_grid)
    _enrolled(grid, None)
    _enrolled(grid, 1, user)
    _enrolled(other_grid, None)
    _enrolled(second_grid_there, None)
    client.force_login(user)
    response = client.get(reverse("visits:overdue"))
    assert response.context["by_community"]
    rows = {row["community"]: (row["enrolled"], row["overdue"]) for row in response.context["rows"]}
    assert rows == {grid.community: (2, 1), other_grid.community: (1, 1)}
    # Two streets' communities: each row says its street, as two streets may have a community of one name.
    assert grid.community.street != other_grid.community.street
    html = response.content.decode()
    street = f'<span class="text-muted small">{grid.community.street.name}</span>'
    assert f"{grid.community.name}</a> {street}" in html
    assert response.context["totals"]["overdue"] == 2
    # The list behind the figures: the same two overdue households, counted the same way for its pager.
    listing = client.get(reverse("visits:overdue"), {"all": "1"})
    assert listing.context["page"].paginator.count == 2
    assert len(listing.context["page"].object_list) == 2


def test_community_leader_never_sees_another_communitys_grid(client, grid, other_grid, other_worker):
    leader = UserFactory()
    assign(leader, Role.COMMUNITY_LEADER, grid.community)
    _enrolled(grid, None)
    _enrolled(other_grid, None)
    client.force_login(leader)
    response = client.get(reverse("visits:overdue"))
    assert [row["grid"] for row in response.context["rows"]] == [grid]
    assert other_grid.name not in response.content.decode()
    assert client.get(reverse("visits:overdue"), {"grid": other_grid.pk}).status_code == 404
    assert client.get(reverse("visits:overdue"), {"grid": "x"}).status_code == 404


def test_overdue_households_of_a_grid_outside_the_scope_are_none(grid, other_grid, other_worker):
    """The selector checks the grid against the user's scope itself, whatever its caller did."""
    _enrolled(grid, None)
    _enrolled(other_grid, None)
    assert list(selectors.overdue_households(other_worker, grid)) == []
    assert len(selectors.overdue_households(other_worker, other_grid)) == 1


def test_overdue_households_of_a_grid_most_overdue_first(client, staff, grid, sibling_grid):
    never = _enrolled(grid, None)
    late = _enrolled(grid, 10, staff)
    _enrolled(grid, 1, staff)
    _enrolled(sibling_grid, None)
    client.force_login(staff)
    response = client.get(reverse("visits:overdue"), {"grid": grid.pk})
    assert response.status_code == 200
    listed = _listed(response)
    assert listed == [never, late]
    today = timezone.localdate()
    assert [h.days_overdue for h in listed] == [(today - datetime.date(2024, 1, 1)).days, 3]
    assert listed[0].care_groups == ["独居老人"]
    html = response.content.decode()
    assert reverse("household_file", args=[late.pk]) in html
    assert reverse("visits:new") + f"?household={late.pk}" in html
    assert "逾期 3 天" in html


def test_overdue_list_issues_the_same_queries_for_3_and_30_households(client, street_leader, grid):
    # session, user, the user's assignments (the scope, the menu's roles), grid (scoped), stale schedules,
    # the count (stale schedules again, then the stored counts of the grid: visits.models.DueTally), page
    # of households (the grid's scope checked in it, not through the ids of every grid the user sees),
    # their current members, their active enrolments = 10 at any size (the bell loads its count by a
    # request of its own)
    client.force_login(street_leader)
    url = reverse("visits:overdue") + f"?grid={grid.pk}"
    for _ in range(3):
        _enrolled(grid, None)
    small = _count(client, url)
    assert small == 10
    for _ in range(27):
        _enrolled(grid, None)
    assert len(_listed(client.get(url))) == 20
    assert _count(client, url) == small


def test_overdue_overview_issues_the_same_queries_for_1_and_6_grids(client, street_leader, grid, worker):
    # session, user, stale schedules, the communities of the scope, the user's grid ids, enrolled and
    # overdue by grid, those grids, the grids without any care household = 8 however many grids
    client.force_login(street_leader)
    url = reverse("visits:overdue")
    _enrolled(grid, None)
    _enrolled(grid, 1, worker)
    small = _count(client, url)
    assert small == 9  # the menu's roles included (the bell loads its count by a request of its own)
    for _ in range(5):
        other = GridFactory(community=grid.community)
        _enrolled(other, None)
        GridFactory(community=grid.community)  # a grid with nobody to visit
    assert len(client.get(url).context["rows"]) == 11
    assert _count(client, url) == small


def test_street_overview_issues_the_same_queries_for_2_and_6_communities(client, street_leader, grid, worker):
    # session, user, stale schedules, the number of communities in scope, enrolled and overdue by
    # community (from the communities' stored counts, the scope's communities a subquery of it), those
    # communities = 6 however many communities
    client.force_login(street_leader)
    url = reverse("visits:overdue")
    _enrolled(grid, None)
    _enrolled(GridFactory(community__street=grid.community.street), 1, street_leader)
    small = _count(client, url)
    assert small == 7  # the menu's roles included (the bell loads its count by a request of its own)
    for _ in range(4):
        _enrolled(GridFactory(community__street=grid.community.street), None)
    response = client.get(url)
    assert len(response.context["rows"]) == 6
    assert not response.context["several_streets"]  # one street: its communities need no street name
    assert _count(client, url) == small


def test_overview_lines_link_each_place_and_escape_its_name(client, street_leader, grid):
    # the lines are drawn in Python (visits/templatetags/visit_tags.py): names escaped, links and labels
    grid.community.name = "<b>东岗</b>社区"
    grid.community.save()
    grid.name = "<i>一</i>网格"
    grid.save()
    _enrolled(grid, None)
    _enrolled(grid, 1, street_leader)
    GridFactory(community__street=grid.community.street)  # two communities: a line for each
    client.force_login(street_leader)
    html = client.get(reverse("visits:overdue")).content.decode()
    assert "<b>东岗</b>" not in html
    assert (
        f'<a class="fw-semibold" href="{reverse("visits:overdue")}?community={grid.community.pk}">'
        "&lt;b&gt;东岗&lt;/b&gt;社区</a>" in html
    )
    assert '<span class="d-sm-none text-muted">按时率：</span>50.0%</td>' in html
    html = client.get(reverse("visits:overdue"), {"community": grid.community.pk}).content.decode()
    assert f'href="{reverse("visits:overdue")}?grid={grid.pk}">&lt;i&gt;一&lt;/i&gt;网格</a>' in html
    assert '<span class="text-danger fw-semibold">1</span>' in html


# --- Patrols ------------------------------------------------------------------------------------


def _local(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def _patrol_post(grid, started_at, ended_at=None, findings=(), route="靖远路9号—草场街口", rows=3) -> dict:
    data = {
        "grid": grid.pk,
        "started_at": _local(started_at),
        "ended_at": _local(ended_at) if ended_at else "",
        "route": route,
        "notes": "路面积水",
        "findings-TOTAL_FORMS": str(rows),
        "findings-INITIAL_FORMS": "0",
        "findings-MIN_NUM_FORMS": "0",
        "findings-MAX_NUM_FORMS": "30",
    }
    for index in range(rows):
        location, description = findings[index] if index < len(findings) else ("", "")
        data[f"findings-{index}-location"] = location
        data[f"findings-{index}-description"] = description
    return data


def test_patrol_create_saves_the_filled_findings_and_ignores_the_blank_row(client, worker, grid):
    client.force_login(worker)
    form = client.get(reverse("visits:patrol_new"))
    assert form.status_code == 200
    assert form.context["formset"].total_form_count() == 3
    start = timezone.now() - datetime.timedelta(hours=2)
    end = timezone.now() - datetime.timedelta(hours=1)
    response = client.post(
        reverse("visits:patrol_new"),
        _patrol_post(grid, start, end, [("靖远路9号东侧", "下水道堵塞"), ("草场街口", "电动车乱停放")]),
    )
    patrol = Patrol.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("visits:patrol_detail", args=[patrol.pk])
    assert (patrol.grid, patrol.worker, patrol.route) == (grid, worker, "靖远路9号—草场街口")
    assert patrol.started_at == start.replace(second=0, microsecond=0)
    assert patrol.ended_at == end.replace(second=0, microsecond=0)
    assert list(patrol.findings.values_list("location", "description")) == [
        ("靖远路9号东侧", "下水道堵塞"),
        ("草场街口", "电动车乱停放"),
    ]


def test_patrol_starting_in_the_future_is_refused_and_nothing_saved(client, worker, grid):
    client.force_login(worker)
    data = _patrol_post(grid, timezone.now() + datetime.timedelta(hours=3), findings=[("靖远路", "井盖缺失")])
    response = client.post(reverse("visits:patrol_new"), data)
    assert response.status_code == 200
    assert response.context["form"].errors["started_at"] == ["开始时间不能晚于现在。"]
    assert "靖远路9号—草场街口" in response.content.decode()  # the input is kept
    assert not Patrol.objects.exists()
    assert not PatrolFinding.objects.exists()


def test_patrol_ending_before_it_starts_is_refused(client, worker, grid):
    client.force_login(worker)
    start = timezone.now() - datetime.timedelta(hours=1)
    response = client.post(
        reverse("visits:patrol_new"), _patrol_post(grid, start, start - datetime.timedelta(hours=1))
    )
    assert response.status_code == 200
    assert response.context["form"].errors["ended_at"] == ["结束时间不能早于开始时间。"]
    assert not Patrol.objects.exists()


def test_patrol_finding_without_a_description_is_refused(client, worker, grid):
    client.force_login(worker)
    data = _patrol_post(grid, timezone.now() - datetime.timedelta(hours=1), findings=[("靖远路9号", "")])
    response = client.post(reverse("visits:patrol_new"), data)
    assert response.status_code == 200
    assert response.context["formset"].errors[0] == {"description": ["这个字段是必填项。"]}
    assert not Patrol.objects.exists()


@pytest.mark.parametrize("role_holder", ["building_head", "staff", "street_leader"])
def test_patrol_create_is_403_for_roles_that_do_not_patrol(client, request, grid, role_holder):
    user = request.getfixturevalue(role_holder)
    client.force_login(user)
    assert client.get(reverse("visits:patrol_new")).status_code == 403
    data = _patrol_post(grid, timezone.now() - datetime.timedelta(hours=1))
    assert client.post(reverse("visits:patrol_new"), data).status_code == 403
    assert not Patrol.objects.exists()


def test_patrol_in_a_grid_outside_the_users_is_a_form_error(client, worker, other_grid):
    client.force_login(worker)
    response = client.post(
        reverse("visits:patrol_new"), _patrol_post(other_grid, timezone.now() - datetime.timedelta(hours=1))
    )
    assert response.status_code == 200
    assert "grid" in response.context["form"].errors
    assert not Patrol.objects.exists()


def _patrol(grid, worker, hours_ago: int, findings: int = 0) -> Patrol:
    return services.patrol_log(
        grid=grid,
        worker=worker,
        started_at=timezone.now() - datetime.timedelta(hours=hours_ago),
        ended_at=None,
        route="靖远路",
        notes="",
        findings=[services.Finding(location=f"{n + 1}号楼", description="垃圾堆放") for n in range(findings)],
    )


def test_patrol_list_shows_the_users_grids_latest_first_with_finding_counts(
    client, staff, worker, grid, other_grid, other_worker
):
    older = _patrol(grid, worker, 30, findings=2)
    newer = _patrol(grid, worker, 3)
    _patrol(other_grid, other_worker, 1, findings=1)
    client.force_login(staff)
    response = client.get(reverse("visits:patrols"))
    listed = _listed(response)
    assert listed == [newer, older]
    assert [p.finding_count for p in listed] == [0, 2]
    assert response.context["can_log"] is False
    client.force_login(worker)
    assert client.get(reverse("visits:patrols")).context["can_log"] is True


def test_patrol_list_issues_the_same_queries_for_3_and_30_patrols(client, worker, grid):
    # session, user, the second factor's device, count (capped), whether the user may record a patrol,
    # page with finding counts = 6
    client.force_login(worker)
    url = reverse("visits:patrols")
    for n in range(3):
        _patrol(grid, worker, n + 1, findings=2)
    small = _count(client, url)
    assert small == 7  # the menu's roles included (the bell loads its count by a request of its own)
    for n in range(27):
        _patrol(grid, worker, n + 5, findings=1)
    assert _count(client, url) == small


def test_patrol_detail_shows_the_findings_and_is_404_outside_scope(client, worker, grid, other_worker):
    patrol = _patrol(grid, worker, 2, findings=2)
    client.force_login(worker)
    response = client.get(reverse("visits:patrol_detail", args=[patrol.pk]))
    assert response.status_code == 200
    assert [f.location for f in response.context["findings"]] == ["1号楼", "2号楼"]
    assert "垃圾堆放" in response.content.decode()
    client.force_login(other_worker)
    assert client.get(reverse("visits:patrol_detail", args=[patrol.pk])).status_code == 404


def test_patrol_detail_sends_anonymous_users_to_login(client, worker, grid):
    patrol = _patrol(grid, worker, 2)
    response = client.get(reverse("visits:patrol_detail", args=[patrol.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- Admin --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["visits_visitinterval", "visits_visitplan", "visits_visit", "visits_patrol"]
)
def test_visit_admin_changelists_open_for_superusers(client, worker, household, grid, name):
    log_visit(household, worker, at(days_ago(1), 10))
    _patrol(grid, worker, 2, findings=1)
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    assert client.get(reverse(f"admin:{name}_changelist")).status_code == 200


def test_visit_admin_shows_gifts_and_revisions_but_cannot_change_the_visit(client, worker, household):
    visit = log_visit(
        household,
        worker,
        at(days_ago(1), 10),
        kind="condolence",
        gifts=[services.Gift(item="米面油", quantity=1, value=Decimal("100"))],
    )
    services.visit_correct(visit=visit, by=worker, note="走访时间应为上午九点")
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    page = client.get(reverse("admin:visits_visit_change", args=[visit.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "米面油" in html
    assert "走访时间应为上午九点" in html
    response = client.post(reverse("admin:visits_visit_change", args=[visit.pk]), {"kind": "needs"})
    assert response.status_code == 403
    assert VisitRevision.objects.count() == 1


def test_visit_interval_is_editable_in_admin(client):
    from visits.models import VisitInterval

    # Rows seeded by migration may have been flushed by a transactional test; make sure it exists.
    interval, _ = VisitInterval.objects.get_or_create(rule="elderly_living_alone", defaults={"days": 7})
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    response = client.post(
        reverse("admin:visits_visitinterval_change", args=[interval.pk]),
        {"rule": "elderly_living_alone", "days": "5"},
    )
    assert response.status_code == 302
    interval.refresh_from_db()
    assert interval.days == 5


def test_district_overdue_list_spans_every_grid_of_the_scope(client, street_leader, grid, worker):
    from tests.factories import GridFactory

    sibling = GridFactory(community=grid.community)
    late_here = _enrolled(grid, None)
    late_there = _enrolled(sibling, None)
    client.force_login(street_leader)
    response = client.get(reverse("visits:overdue"), {"all": "1"})
    assert response.status_code == 200
    assert {h.pk for h in response.context["page"].object_list} == {late_here.pk, late_there.pk}


def test_street_overview_sums_each_community_and_opens_its_grids(client, street_leader, grid, worker):
    from tests.factories import CommunityFactory, GridFactory

    second = GridFactory(community=CommunityFactory(street=grid.community.street))
    _enrolled(grid, None)
    _enrolled(grid, 1, worker)
    _enrolled(second, None)
    client.force_login(street_leader)
    rows = client.get(reverse("visits:overdue")).context["rows"]
    assert sorted((r["community"].pk, r["enrolled"], r["overdue"], r["on_time"]) for r in rows) == sorted(
        [(grid.community_id, 2, 1, 1), (second.community_id, 1, 1, 0)]
    )
    drilled = client.get(reverse("visits:overdue"), {"community": grid.community_id}).context["rows"]
    assert [(r["grid"], r["enrolled"], r["overdue"]) for r in drilled] == [(grid, 2, 1)]


def test_overview_of_a_community_outside_the_scope_is_404(client, staff, other_grid):
    client.force_login(staff)
    response = client.get(reverse("visits:overdue"), {"community": other_grid.community_id})
    assert response.status_code == 404
