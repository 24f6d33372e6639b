"""The co-governance figures of the dashboard (projects/measures.py): what each counts, where a record
counts (its grid, or its whole community), that each figure's drill-down lists exactly what it counts,
scoping, and a fixed number of queries."""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import DeliberationStatus
from dashboard import selectors as dash
from grids.models import Role
from projects import measures
from projects.models import Need, NeedClosure, NeedStatus
from tests.factories import GridFactory, UserFactory, assign
from tests.test_deliberations import walk
from tests.volunteer_factories import activity_in, attended, volunteer_in
from volunteers.models import ActivitySignUp, ReportingMember

pytestmark = pytest.mark.django_db


def _ago(days: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


def _need(community, actor, status, *, grid=None, closure="", reason="", days_ago=3) -> Need:
    need = Need.objects.create(
        community=community,
        grid=grid,
        title="独居老人助餐",
        status=status,
        closure=closure,
        close_reason=reason,
        closed_at=timezone.now() if status == NeedStatus.CLOSED else None,
        created_by=actor,
    )
    Need.objects.filter(pk=need.pk).update(created_at=_ago(days_ago))
    return need


@pytest.fixture
def world(grid, staff):
    """A community with two grids: records of this month for each figure, and some that must not count
    (last year's, not yet held, without attendance, another community's)."""
    community = grid.community
    second = GridFactory(community=community)
    other = GridFactory()  # another community
    now = timezone.now()
    # Activities: two held this period (one community-wide, one for the second grid), one coming up,
    # one ended without attendance taken, one a year ago, one in another community.
    wide = activity_in(community, staff, start=_ago(2), hours=3, attendance_taken_at=now)
    local = activity_in(community, staff, start=_ago(1), hours=2, grid=second, attendance_taken_at=now)
    activity_in(community, staff, start=now + datetime.timedelta(days=2))
    activity_in(community, staff, start=_ago(1.5), hours=2)
    activity_in(community, staff, start=_ago(400), hours=2, attendance_taken_at=_ago(399))
    activity_in(other.community, staff, start=_ago(1), hours=2, attendance_taken_at=now)
    member = ReportingMember.objects.create(name="赵党员", grid=grid, reported_on=_ago(100).date())
    ReportingMember.objects.create(name="钱党员", grid=second, reported_on=_ago(100).date())
    ReportingMember.objects.create(name="孙党员", grid=other, reported_on=_ago(100).date())
    as_volunteer = volunteer_in(community, "赵党员", reporting_member=member)
    resident_volunteer = volunteer_in(community, "李居民")
    attended(wide, as_volunteer, Decimal("2.5"))
    attended(wide, resident_volunteer, Decimal("3"))
    attended(local, resident_volunteer, Decimal("1.5"))
    ActivitySignUp.objects.create(activity=local, volunteer=as_volunteer, attended=False)
    # Deliberations: one decided this period (with its meeting), one only deliberated.
    decided = walk(DeliberationStatus.DECIDED, community, staff)
    walk(DeliberationStatus.DELIBERATED, community, staff)
    # Needs of this period: matched, open, closed unmatched, closed done; and one of last year.
    _need(community, staff, NeedStatus.MATCHED, grid=grid)
    _need(community, staff, NeedStatus.OPEN)
    _need(community, staff, NeedStatus.CLOSED, closure=NeedClosure.UNMATCHED, reason="物业已解决")
    _need(community, staff, NeedStatus.CLOSED, grid=second, closure=NeedClosure.DONE)
    _need(community, staff, NeedStatus.OPEN, days_ago=400)
    return {"community": community, "second": second, "other": other, "decided": decided}


def _board(user, scope_param: str):
    tree = dash.scope_tree(user)
    scope = tree.parse(scope_param)
    today = timezone.localdate()
    period = dash.Period(today - datetime.timedelta(days=30), today)
    return tree, scope, period, dash.cogovernance(tree, scope, period, timezone.now())


EXPECTED_COMMUNITY = {
    "activities": 2,
    "hours": Decimal("7.00"),
    "members": 2,
    "members_active": 1,
    "meetings": 2,
    "settled": 1,
    "needs": 4,
    "needs_matched": 2,
    "needs_open": 1,
    "needs_unmatched": 1,
}


def test_each_figure_counts_what_its_definition_says(world, staff):
    _tree, _scope, _period, co = _board(staff, f"community:{world['community'].pk}")
    assert {key: co.totals.value(key) for key in measures.FIGURES} == EXPECTED_COMMUNITY


def test_a_grid_counts_only_its_own_records_and_a_community_its_community_wide_ones(world, staff, grid):
    _tree, _scope, _period, co = _board(staff, f"grid:{world['second'].pk}")
    values = {key: co.totals.value(key) for key in measures.FIGURES}
    # The second grid: its activity (1.5 hours), its member (not active), its need closed done.
    assert values == {
        "activities": 1,
        "hours": Decimal("1.50"),
        "members": 1,
        "members_active": 0,
        "meetings": 0,
        "settled": 0,
        "needs": 1,
        "needs_matched": 1,
        "needs_open": 0,
        "needs_unmatched": 0,
    }
    # The community's table: a line per grid and one for the community-wide records; together the total.
    _tree, _scope, _period, co = _board(staff, f"community:{world['community'].pk}")
    labels = [row.label for row in co.rows]
    assert labels[-1] == "全社区"
    assert {f"{g.name}（{g.code}）" for g in (grid, world["second"])} == set(labels[:-1])
    assert sum((row.figures for row in co.rows), measures.CoFigures.empty()) == co.totals


def test_a_street_or_everything_has_a_line_per_community_with_its_grids_and_community_wide_records(world):
    """Over a street or everything the figures are counted per community (not per grid): a community's line
    holds its grids' records and its community-wide ones; a community the user holds only a grid of is
    a line of its grids' records alone."""
    community = world["community"]
    street_leader = assign(UserFactory(), Role.STREET_LEADER, community.street).user
    _tree, _scope, _period, co = _board(street_leader, f"street:{community.street_id}")
    assert [(row.label, row.scope_param) for row in co.rows] == [
        (community.name, f"community:{community.pk}")
    ]
    assert {key: co.rows[0].figures.value(key) for key in measures.FIGURES} == EXPECTED_COMMUNITY
    assert co.rows[0].figures == co.totals
    # The community as a whole and, elsewhere, one grid (孙党员's): everything is two lines.
    both = assign(UserFactory(), Role.COMMUNITY_STAFF, community).user
    assign(both, Role.GRID_WORKER, world["other"])
    _tree, _scope, _period, co = _board(both, "all")
    lines = {row.label: {key: row.figures.value(key) for key in measures.FIGURES} for row in co.rows}
    assert lines[community.name] == EXPECTED_COMMUNITY
    # The other community's community-wide activity is not theirs; the member of their grid is.
    assert lines["其他网格"] == {**dict.fromkeys(EXPECTED_COMMUNITY, 0), "hours": Decimal(0), "members": 1}
    assert [row.scope_param for row in co.rows] == [f"community:{community.pk}", ""]


def test_each_figures_drill_down_lists_exactly_what_it_counts(world, staff):
    tree, scope, period, co = _board(staff, f"community:{world['community'].pk}")
    place = dash.place_of(tree, scope)
    now = timezone.now()
    for key in measures.FIGURES:
        rows = measures.drill(place, key, period.start, period.end, now)
        if key == "hours":
            credited = ActivitySignUp.objects.filter(activity__in=rows, attended=True)
            assert sum(s.hours for s in credited) == co.totals.hours
        else:
            assert rows.count() == co.totals.value(key), key


def test_the_dashboard_shows_the_figures_and_their_records(client, world, staff):
    client.force_login(staff)
    today = timezone.localdate()
    scope = {
        "scope": f"community:{world['community'].pk}",
        "period": "custom",
        "date_from": (today - datetime.timedelta(days=30)).isoformat(),
        "date_to": today.isoformat(),
    }
    # The dashboard asks for its co-governance section as it loads, with its own scope and period.
    dashboard = client.get(reverse("dashboard:index"), scope).text
    panel_url = reverse("dashboard:cogovernance_panel")
    assert f'hx-get="{panel_url}?scope=community%3A{world["community"].pk}&amp;period=custom' in dashboard
    assert 'id="cogovernance"' in dashboard and 'data-co="settled"' not in dashboard
    page = client.get(panel_url, scope).text
    assert 'id="cogovernance"' in page and 'data-co="settled"' in page
    url = reverse("dashboard:cogovernance")
    # The figure links to its records with the dashboard's scope and period.
    assert f"{url}?scope=community%3A{world['community'].pk}&amp;period=custom" in page
    listed = client.get(url, {**scope, "figure": "settled"})
    assert listed.status_code == 200
    assert list(listed.context["page"].object_list) == [world["decided"]]
    assert reverse("cases:deliberation_detail", args=[world["decided"].pk]) in listed.text
    activities = client.get(url, {**scope, "figure": "hours"})
    assert activities.context["page"].paginator.count == 2 and "记 5.50 小时" in activities.text
    assert client.get(url, {**scope, "figure": "nonsense"}).status_code == 404


def _this_month_query(world) -> dict:
    today = timezone.localdate()
    return {
        "scope": f"community:{world['community'].pk}",
        "period": "custom",
        "date_from": (today - datetime.timedelta(days=30)).isoformat(),
        "date_to": today.isoformat(),
    }


def test_the_workbook_has_a_sheet_of_the_figures(client, world, staff):
    client.force_login(staff)
    response = client.get(reverse("dashboard:export"), _this_month_query(world))
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content))["共建共治"].iter_rows(values_only=True))
    assert rows[0] == ("指标", "数值", "单位", "口径")
    values = {label: (value, unit) for label, value, unit, _definition in rows[1:]}
    assert values["志愿服务时长"] == (7, "小时")
    assert values["参与服务的在职党员"] == (1, "人")
    assert values["议事会议"] == (2, "次")
    assert values["未匹配关闭"] == (1, "件")


def test_the_monthly_report_prints_the_figures(client, world, staff):
    client.force_login(staff)
    month = timezone.localdate().strftime("%Y-%m")
    page = client.get(
        reverse("dashboard:report"), {"scope": f"community:{world['community'].pk}", "month": month}
    )
    co = page.context["co"]
    assert 'data-report="cogovernance"' in page.text
    for figure, value in co.cards:
        assert f'data-co="{figure.key}">{value} {figure.unit}</td>' in page.text


def test_another_communitys_figures_are_not_found(client, world, staff):
    client.force_login(staff)
    other = world["other"].community
    url = reverse("dashboard:cogovernance")
    assert client.get(url, {"scope": f"community:{other.pk}", "figure": "activities"}).status_code == 404
    leader = UserFactory(username="other_leader")
    assign(leader, Role.COMMUNITY_LEADER, other)
    _tree, _scope, _period, co = _board(leader, f"community:{other.pk}")
    assert co.totals.value("activities") == 1 and co.totals.value("needs") == 0


def test_the_figures_take_six_queries_whatever_the_data(world, staff, django_assert_num_queries):
    tree = dash.scope_tree(staff)
    scope = tree.parse(f"community:{world['community'].pk}")
    today = timezone.localdate()
    period = dash.Period(today - datetime.timedelta(days=30), today)
    with django_assert_num_queries(6):
        dash.cogovernance(tree, scope, period, timezone.now())
    for n in range(5):
        activity_in(world["community"], staff, start=_ago(3 + n), attendance_taken_at=timezone.now())
        _need(world["community"], staff, NeedStatus.OPEN)
    with django_assert_num_queries(6):
        dash.cogovernance(tree, scope, period, timezone.now())
