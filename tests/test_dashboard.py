"""The leaders' dashboard: each measure against a hand-built October, scope, drill-down, queries, export.

The October below is walked through the workflow with explicit times (Asia/Shanghai). Grid A of
community C holds c1-c8, grid B of C holds b1, grid X of another community holds x1. Limits of 环境卫生
(general urgency): 24 h to take, 168 h to resolve.

  c1  accepted 10-02 09:10, taken 10:00, resolved 10-03 10:00, follow-up 10-04 resolved+满意, closed
  c2  accepted 10-05 09:00, taken late 10-06 12:00, resolved late 10-14 12:00, follow-up 10-15 unresolved
      +不满意, reopened 10-15 10:00, resolved 10-16 10:00 (still late), follow-up 10-17 resolved
      +基本满意, closed
  c3  accepted 10-10 09:00, taken 09:30, escalated 10:00, resolved by the street 10-12 09:00,
      follow-up 10-13 resolved+满意, closed
  c4  accepted 10-28 09:00, never taken (due 10-29 09:00)
  c5  registered 10-15, rejected
  c6  accepted 09-28 09:00, taken late 10-01 09:00, still in hand (resolution due 10-05 09:00)
  c7  accepted 10-31 20:00, not taken; due 11-01 20:00, after NOW
  c8  accepted 10-20 09:00, taken 10:00, resolved 10-21 09:00, follow-up 10-22 unresolved+不满意
  b1  accepted 10-03 09:00, taken 10:00, resolved 10-04 09:00, follow-up 10-05 resolved+满意
  x1  like b1, in another community
"""

import datetime
import io
import re
import zoneinfo

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.measures import MEASURES, Average, Rate
from cases.models import Category
from dashboard import selectors as dash
from dashboard.selectors import Period, Unit, UnitRow
from grids.models import Role
from residents.models import Household
from tests.factories import (
    CareEnrolmentFactory,
    CommunityFactory,
    GridFactory,
    HouseholdFactory,
    ResidentFactory,
    StreetFactory,
    UserFactory,
    assign,
    log_visit,
)

pytestmark = pytest.mark.django_db

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
OCTOBER = Period(datetime.date(2026, 10, 1), datetime.date(2026, 10, 31))
NOW = datetime.datetime(2026, 11, 1, 12, 0, tzinfo=TZ)


def at(month: int, day: int, hour: int = 9, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2026, month, day, hour, minute, tzinfo=TZ)


def story(grid, people: dict, registered: datetime.datetime, *steps):
    """Register a request at `registered`, then take each (action, who, when, params) step in turn."""
    category = Category.objects.get(name="环境卫生")
    intake = services.Intake(
        channel="walk_in",
        grid=grid,
        category=category,
        urgency=category.default_urgency,
        description="楼道堆放杂物，影响通行。",
        requester=services.Requester(name="李女士", phone="13800001234"),
    )
    case = services.case_register(intake=intake, actor=people["staff"], now=registered)
    for action, who, when, *params in steps:
        case = services.case_transition(
            case=case,
            action=action,
            actor=people[who],
            note="处理说明",
            now=when,
            **(params[0] if params else {}),
        )
    return case


@pytest.fixture
def october(db):
    grid_a = GridFactory(name="甲网格", code="C-01")
    grid_b = GridFactory(name="乙网格", code="C-02", community=grid_a.community)
    grid_x = GridFactory(name="外网格", code="X-01")
    people = {
        "staff": UserFactory(username="desk"),
        "worker": UserFactory(username="wa"),
        "worker_b": UserFactory(username="wb"),
        "street": UserFactory(username="street"),
        "leader": UserFactory(username="leader"),
        "staff_x": UserFactory(username="desk_x"),
        "worker_x": UserFactory(username="wx"),
        "leader_x": UserFactory(username="leader_x"),
    }
    assign(people["staff"], Role.COMMUNITY_STAFF, grid_a.community)
    assign(people["worker"], Role.GRID_WORKER, grid_a)
    assign(people["worker_b"], Role.GRID_WORKER, grid_b)
    assign(people["street"], Role.STREET_LEADER, grid_a.community.street)
    assign(people["leader"], Role.COMMUNITY_LEADER, grid_a.community)
    assign(people["staff_x"], Role.COMMUNITY_STAFF, grid_x.community)
    assign(people["worker_x"], Role.GRID_WORKER, grid_x)
    assign(people["leader_x"], Role.COMMUNITY_LEADER, grid_x.community)

    followed = {"resolved": True, "satisfaction": "satisfied"}
    cases = {}
    cases["c1"] = story(
        grid_a, people, at(10, 2),
        ("accept", "staff", at(10, 2, 9, 10)),
        ("take", "worker", at(10, 2, 10)),
        ("resolve", "worker", at(10, 3, 10)),
        ("follow_up", "staff", at(10, 4, 10), followed),
        ("close", "staff", at(10, 4, 10, 5)),
    )  # fmt: skip
    cases["c2"] = story(
        grid_a, people, at(10, 5),
        ("accept", "staff", at(10, 5)),
        ("take", "worker", at(10, 6, 12)),
        ("resolve", "worker", at(10, 14, 12)),
        ("follow_up", "staff", at(10, 15), {"resolved": False, "satisfaction": "unsatisfied"}),
        ("reopen", "staff", at(10, 15, 10)),
        ("resolve", "worker", at(10, 16, 10)),
        ("follow_up", "staff", at(10, 17), {"resolved": True, "satisfaction": "basically"}),
        ("close", "staff", at(10, 17, 10)),
    )  # fmt: skip
    cases["c3"] = story(
        grid_a, people, at(10, 10),
        ("accept", "staff", at(10, 10)),
        ("take", "worker", at(10, 10, 9, 30)),
        ("escalate", "worker", at(10, 10, 10)),
        ("resolve", "street", at(10, 12)),
        ("follow_up", "staff", at(10, 13), followed),
        ("close", "staff", at(10, 13, 10)),
    )  # fmt: skip
    cases["c4"] = story(grid_a, people, at(10, 28), ("accept", "staff", at(10, 28)))
    cases["c5"] = story(grid_a, people, at(10, 15), ("reject", "staff", at(10, 15, 10)))
    cases["c6"] = story(
        grid_a, people, at(9, 28), ("accept", "staff", at(9, 28)), ("take", "worker", at(10, 1))
    )
    cases["c7"] = story(grid_a, people, at(10, 31, 20), ("accept", "staff", at(10, 31, 20)))
    cases["c8"] = story(
        grid_a, people, at(10, 20),
        ("accept", "staff", at(10, 20)),
        ("take", "worker", at(10, 20, 10)),
        ("resolve", "worker", at(10, 21)),
        ("follow_up", "staff", at(10, 22), {"resolved": False, "satisfaction": "unsatisfied"}),
    )  # fmt: skip
    cases["b1"] = story(
        grid_b, people, at(10, 3),
        ("accept", "staff", at(10, 3)),
        ("take", "worker_b", at(10, 3, 10)),
        ("resolve", "worker_b", at(10, 4)),
        ("follow_up", "staff", at(10, 5), followed),
    )  # fmt: skip
    outsiders = {**people, "staff": people["staff_x"], "worker": people["worker_x"]}
    cases["x1"] = story(
        grid_x, outsiders, at(10, 3),
        ("accept", "staff", at(10, 3)),
        ("take", "worker", at(10, 3, 10)),
        ("resolve", "worker", at(10, 4)),
        ("follow_up", "staff", at(10, 5), followed),
    )  # fmt: skip
    return {"grids": {"A": grid_a, "B": grid_b, "X": grid_x}, "people": people, "cases": cases}


def board_for(user, period=OCTOBER, now=NOW, scope="", today=None):
    tree = dash.scope_tree(user)
    return dash.dashboard(tree, tree.parse(scope), period, now, today or now.date())


# ------------------------------------------------------------------------------------------ measures


def test_measures_of_the_hand_built_october(october):
    board = board_for(october["people"]["leader"])
    rates = board.totals.rates
    # response: c1 c3 c8 b1 on time; c2 taken late; c4 never taken past its due; c7 not yet due (out)
    assert (rates["response"].hit, rates["response"].n) == (4, 6)
    # resolution: followed up in October: c1 c2 (latest: resolved) c3 b1 resolved; c8 not
    assert (rates["resolution"].hit, rates["resolution"].n) == (4, 5)
    # satisfaction: c1 c3 b1 满意, c2 基本满意, c8 不满意
    assert (rates["satisfaction"].hit, rates["satisfaction"].n) == (4, 5)
    assert board.totals.parts["satisfaction"] == {"satisfied": 3, "basically": 1, "unsatisfied": 1}
    # on time: c1 c3 c8 b1 in time; c2's last resolution past its (reopen-shifted) due
    assert (rates["on_time"].hit, rates["on_time"].n) == (4, 5)
    # 小事不出社区: closed c1 c2 (local), c3 (escalated); c5 rejected is not counted
    assert (rates["local"].hit, rates["local"].n) == (2, 3)
    assert board.totals.counts == {"overdue_now": 2, "received": 8, "reopened": 1}
    # first taken in October: c1 50 min, c2 27 h, c3 30 min, c6 72 h, c8 60 min, b1 60 min
    assert board.totals.averages["take_time"] == Average(n=6, seconds=(50 + 1620 + 30 + 4320 + 60 + 60) * 60)
    # resolved in October: c1 24 h 50 min, c2 11 d 1 h, c3 48 h, c8 24 h, b1 24 h
    assert board.totals.averages["resolve_time"] == Average(
        n=5, seconds=(1490 + 15900 + 2880 + 1440 + 1440) * 60
    )
    assert round(rates["response"].value, 1) == 66.7


def test_measures_per_grid_and_the_unranked_grid(october):
    board = board_for(october["people"]["leader"], scope=f"community:{october['grids']['A'].community_id}")
    rows = {row.unit.name: row for row in board.grid_rows}
    a, b = rows["甲网格（C-01）"], rows["乙网格（C-02）"]
    assert (a.figures.rates["response"].hit, a.figures.rates["response"].n) == (3, 5)
    assert (b.figures.rates["response"].hit, b.figures.rates["response"].n) == (1, 1)
    assert (a.figures.rates["resolution"].hit, a.figures.rates["resolution"].n) == (3, 4)
    # ranked by resolution: A rests on 4 cases, B on 1: neither has the 5 a rank needs
    assert [row.rank for row in board.grid_rows] == [None, None]
    assert a.figures.counts["received"] == 7 and b.figures.counts["received"] == 1


def test_a_case_not_yet_due_joins_the_response_rate_once_its_time_runs_out(october):
    later = at(11, 2)  # c7's response was due 11-01 20:00
    board = board_for(october["people"]["leader"], now=later)
    assert (board.totals.rates["response"].hit, board.totals.rates["response"].n) == (4, 7)
    assert board.totals.counts["overdue_now"] == 3  # c4, c6 and now c7


def test_an_empty_period_shows_no_rate_and_no_division_error(october, client):
    november = Period(datetime.date(2026, 11, 2), datetime.date(2026, 11, 8))
    board = board_for(october["people"]["leader"], period=november, now=at(11, 9))
    for key in ("response", "resolution", "satisfaction", "on_time", "local"):
        assert board.totals.rates[key] == Rate(hit=0, n=0)
        assert board.totals.rates[key].value is None
    assert board.totals.averages["take_time"].hours is None
    assert board.totals.counts["received"] == 0
    client.force_login(october["people"]["leader"])
    response = client.get(
        reverse("dashboard:index"), {"period": "custom", "date_from": "2026-11-02", "date_to": "2026-11-08"}
    )
    assert response.status_code == 200
    assert 'data-measure="response">—<' in response.content.decode()
    assert "ZeroDivisionError" not in response.content.decode()


def test_a_grid_with_no_cases_is_listed_with_empty_figures(october):
    empty = GridFactory(name="丙网格", code="C-03", community=october["grids"]["A"].community)
    board = board_for(october["people"]["leader"])
    row = next(r for r in board.grid_rows if r.unit.pk == empty.pk)
    assert row.figures.counts["received"] == 0
    assert row.figures.rates["resolution"].value is None
    assert row.rank is None


def test_rank_skips_rates_resting_on_fewer_than_five_cases_and_ties_share_a_place():
    def row(name, hit, n):
        figures = dash.Figures.from_row({"resolution__hit": hit, "resolution__n": n})
        return UnitRow(Unit("grid", len(name), name), figures, Rate(0, 0))

    rows = dash.rank(
        [row("甲", 4, 4), row("乙", 5, 10), row("丙", 8, 10), row("丁", 4, 5), row("戊", 1, 1)], "resolution"
    )
    assert [(r.unit.name, r.rank) for r in rows] == [
        ("丁", 1),  # a tie: the same rank, in name order
        ("丙", 1),
        ("乙", 3),
        ("戊", None),
        ("甲", None),
    ]


def care_households(october) -> None:
    """Three care-group households enrolled 200 days ago: in grid A one visited yesterday and one never
    visited, in grid B one never visited. Coverage: A 1 of 2, B 0 of 1."""
    grid_a, grid_b = october["grids"]["A"], october["grids"]["B"]
    since = timezone.localdate() - datetime.timedelta(days=200)
    visited, never, other = (HouseholdFactory(dwelling__building__grid=g) for g in (grid_a, grid_a, grid_b))
    for household in (visited, never, other):
        CareEnrolmentFactory(household=household, resident=ResidentFactory(household=household), since=since)
    log_visit(visited, october["people"]["worker"], timezone.now() - datetime.timedelta(days=1))


def test_coverage_counts_care_households_not_overdue_today(october):
    grid_a, grid_b = october["grids"]["A"], october["grids"]["B"]
    care_households(october)
    board = board_for(october["people"]["leader"], today=timezone.localdate())
    assert board.coverage == Rate(hit=1, n=3)
    rows = {row.unit.pk: row.coverage for row in board.grid_rows}
    assert rows[grid_a.pk] == Rate(hit=1, n=2) and rows[grid_b.pk] == Rate(hit=0, n=1)


def test_a_knock_with_nobody_home_does_not_count_for_coverage(october):
    care_households(october)
    worker, yesterday = october["people"]["worker"], timezone.now() - datetime.timedelta(days=1)
    never = Household.objects.filter(
        grid=october["grids"]["A"], enrolments__isnull=False, visits__isnull=True
    )
    for household in never:
        log_visit(household, worker, yesterday, outcome="no_answer")  # the never-visited one: nobody home
    board = board_for(october["people"]["leader"], today=timezone.localdate())
    assert board.coverage == Rate(hit=1, n=3)
    assert {row.unit.pk: row.coverage for row in board.grid_rows}[october["grids"]["A"].pk] == Rate(1, 2)


def test_weekly_trend_counts_each_measure_in_the_week_of_its_own_date(october):
    board = board_for(october["people"]["leader"])
    trend = dict(board.trend)
    # October's weeks start 09-28 .. 10-26; the trend shows at least eight: 09-07 .. 10-26
    assert [week for week, _figures in board.trend][0::7] == [
        datetime.date(2026, 9, 7),
        datetime.date(2026, 10, 26),
    ]
    assert len(board.trend) == 8
    monday = datetime.date(2026, 10, 12)  # 10-12 .. 10-18
    assert trend[monday].counts["received"] == 1  # c5
    # c3 followed up 10-13; c2 twice (10-15, 10-17) but counted once, by its latest follow-up
    assert trend[monday].rates["resolution"] == Rate(hit=2, n=2)
    # accepted 09-28 .. 10-04: c1 and b1 taken in time, c6 (accepted Monday 09-28) late
    assert trend[datetime.date(2026, 9, 28)].rates["response"] == Rate(hit=2, n=3)
    assert sum(f.counts["received"] for f in trend.values()) == 9  # c6 in September too


# -------------------------------------------------------------------------------------- scope, views


def test_dashboard_requires_login(client):
    response = client.get(reverse("dashboard:index"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_community_leader_sees_only_their_community(october, client):
    people, grids = october["people"], october["grids"]
    client.force_login(people["leader"])
    response = client.get(reverse("dashboard:index"), {"period": "custom", "date_from": "2026-10-01",
                                                       "date_to": "2026-10-31"})  # fmt: skip
    board = response.context["board"]
    assert board.scope.param == f"community:{grids['A'].community_id}"
    assert board.totals.counts["received"] == 8
    assert "外网格" not in response.content.decode()
    for scope in (f"community:{grids['X'].community_id}", f"grid:{grids['X'].pk}",
                  f"street:{grids['A'].community.street_id}", "grid:abc", "planet:1"):  # fmt: skip
        assert client.get(reverse("dashboard:index"), {"scope": scope}).status_code == 404
        assert client.get(reverse("dashboard:export"), {"scope": scope}).status_code == 404
        assert client.get(reverse("dashboard:report"), {"scope": scope}).status_code == 404
        assert client.get(reverse("dashboard:households"), {"scope": scope}).status_code == 404


def test_the_other_community_leader_sees_only_theirs(october, client):
    client.force_login(october["people"]["leader_x"])
    board = client.get(reverse("dashboard:index"), {"period": "custom", "date_from": "2026-10-01",
                                                    "date_to": "2026-10-31"}).context["board"]  # fmt: skip
    assert board.totals.counts["received"] == 1
    assert board.totals.rates["resolution"] == Rate(hit=1, n=1)


def test_street_leader_sees_the_street_and_its_community_table(october, client):
    client.force_login(october["people"]["street"])
    response = client.get(reverse("dashboard:index"))
    board = response.context["board"]
    assert board.scope.level == "street"
    assert [row.unit.name for row in board.community_rows] == [october["grids"]["A"].community.name]
    grid_scope = client.get(reverse("dashboard:index"), {"scope": f"grid:{october['grids']['B'].pk}"})
    assert grid_scope.context["board"].scope.label == "乙网格（C-02）"


def test_a_worker_sees_their_grid_only(october, client):
    client.force_login(october["people"]["worker_b"])
    board = client.get(reverse("dashboard:index")).context["board"]
    assert board.scope.param == f"grid:{october['grids']['B'].pk}"
    assert (
        client.get(reverse("dashboard:index"), {"scope": f"grid:{october['grids']['A'].pk}"}).status_code
        == 404
    )


def test_bad_periods_are_explained_and_this_month_is_shown(october, client):
    client.force_login(october["people"]["leader"])
    for params, message in (
        ({"period": "custom"}, "自定义时段请填写起始日期。"),
        (
            {"period": "custom", "date_from": "2026-10-31", "date_to": "2026-10-01"},
            "截止日期不能早于起始日期。",
        ),
        ({"period": "custom", "date_from": "2024-01-01", "date_to": "2025-06-30"}, "时段最长 366 天"),
        ({"period": "custom", "date_from": "2026-13-01", "date_to": "2026-10-01"}, "有效的日期"),
        ({"period": "decade"}, "选择一个有效的选项"),
    ):
        response = client.get(reverse("dashboard:index"), params)
        assert response.status_code == 200
        assert message in response.content.decode()
        assert response.context["board"].period.first == timezone.localdate().replace(day=1)


def test_a_custom_period_ending_after_today_stops_today(october, client):
    client.force_login(october["people"]["leader"])
    today = timezone.localdate()
    response = client.get(
        reverse("dashboard:index"),
        {
            "period": "custom",
            "date_from": "2026-10-01",
            "date_to": (today + datetime.timedelta(days=30)).isoformat(),
        },
    )
    assert response.context["board"].period.last == today


# ---------------------------------------------------------------------------------------- drill-down

IN_RANKING_TABLE = {"received", "response", "resolution", "satisfaction", "on_time", "local", "overdue_now"}
DRILLS = [
    (key, part)
    for key, measure in MEASURES.items()
    for part in ("all", *(("hit", "miss") if measure.hit else ()), *measure.parts)
]


@pytest.mark.parametrize(("key", "part"), DRILLS)
def test_drill_down_lists_exactly_the_cases_a_figure_counts(october, client, key, part):
    people, grids = october["people"], october["grids"]
    client.force_login(people["leader"])
    dashboard = client.get(
        reverse("dashboard:index"), {"period": "custom", "date_from": "2026-10-01", "date_to": "2026-10-31"}
    )
    board = dashboard.context["board"]
    expected = _figure(board.totals, key, part)
    html = dashboard.content.decode()
    link = (
        f"{reverse('cases:list')}?community={grids['A'].community_id}&amp;date_from=2026-10-01"
        f"&amp;date_to=2026-10-31&amp;measure={key}&amp;part={part}"
    )
    if key in ("response", "resolution", "satisfaction", "on_time", "local") or part == "all":
        assert link in html, f"no drill-down link for {key}/{part}"
    listing = client.get(link.replace("&amp;", "&"))
    assert listing.status_code == 200
    assert listing.context["page"].paginator.count == expected
    # and per grid, from the ranking table
    for row in board.grid_rows:
        if part == "all" and key in IN_RANKING_TABLE and _figure(row.figures, key, part):
            assert f"measure={key}&amp;part=all&amp;grid={row.unit.pk}" in html
        per_grid = client.get(link.replace("&amp;", "&") + f"&grid={row.unit.pk}")
        assert per_grid.context["page"].paginator.count == _figure(row.figures, key, part)


def _figure(figures, key, part) -> int:
    measure = MEASURES[key]
    if measure.kind == "rate":
        rate = figures.rates[key]
        if part in measure.parts:
            return figures.parts[key][part]
        return {"all": rate.n, "hit": rate.hit, "miss": rate.miss}[part]
    if measure.kind == "duration":
        return figures.averages[key].n
    return figures.counts[key]


def test_drill_down_cannot_reach_another_community(october, client):
    client.force_login(october["people"]["leader"])
    response = client.get(
        reverse("cases:list"),
        {"community": october["grids"]["X"].community_id, "measure": "received", "date_from": "2026-10-01"},
    )
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 0
    assert "筛选条件有误" in response.content.decode()


def test_drill_down_list_says_what_it_counts(october, client):
    client.force_login(october["people"]["leader"])
    response = client.get(
        reverse("cases:list"),
        {"measure": "response", "part": "miss", "date_from": "2026-10-01", "date_to": "2026-10-31"},
    )
    html = response.content.decode()
    assert "统计口径" in html and "响应率 · 超时接单或未接单" in html
    assert str(MEASURES["response"].definition) in html


@pytest.mark.parametrize(("part", "expected"), [("all", 3), ("hit", 1), ("miss", 2)])
def test_coverage_drill_down_lists_the_households_behind_the_figure(october, client, part, expected):
    care_households(october)
    client.force_login(october["people"]["leader"])
    board = client.get(reverse("dashboard:index")).context["board"]
    figure = {"all": board.coverage.n, "hit": board.coverage.hit, "miss": board.coverage.miss}[part]
    response = client.get(reverse("dashboard:households"), {"part": part})
    assert response.context["page"].paginator.count == figure == expected


def test_overdue_page_on_time_rate_is_the_dashboards_coverage(october, client):
    """One measure under two names: the overdue page's 按时率, per grid and in total, is 走访覆盖率."""
    care_households(october)
    client.force_login(october["people"]["leader"])
    board = client.get(reverse("dashboard:index")).context["board"]
    overview = client.get(reverse("visits:overdue")).context
    on_time = {
        row["grid"].pk: (row["on_time"], row["enrolled"], row["on_time_rate"]) for row in overview["rows"]
    }
    coverage = {
        row.unit.pk: (row.coverage.hit, row.coverage.n, row.coverage.value) for row in board.grid_rows
    }
    assert (
        on_time == coverage == {october["grids"]["A"].pk: (1, 2, 50.0), october["grids"]["B"].pk: (0, 1, 0.0)}
    )
    totals = overview["totals"]
    assert (totals["on_time"], totals["enrolled"], totals["on_time_rate"]) == (1, 3, board.coverage.value)


# -------------------------------------------------------------------------------------- query count


def _more_of_october(october, extra: int):
    people, grid_a = october["people"], october["grids"]["A"]
    for i in range(extra):
        story(
            grid_a, people, at(10, 6 + i),
            ("accept", "staff", at(10, 6 + i)),
            ("take", "worker", at(10, 6 + i, 10)),
            ("resolve", "worker", at(10, 7 + i)),
            ("follow_up", "staff", at(10, 8 + i), {"resolved": True, "satisfaction": "satisfied"}),
            ("close", "staff", at(10, 8 + i, 10)),
        )  # fmt: skip
        GridFactory(community=grid_a.community)


def test_dashboard_issues_the_same_queries_whatever_the_data(october, client, django_assert_num_queries):
    client.force_login(october["people"]["leader"])
    params = {"period": "custom", "date_from": "2026-10-01", "date_to": "2026-10-31"}
    client.get(reverse("dashboard:index"), params)  # warm the session
    # session, user, the second factor's device; the user's assignments (the scope's streets and
    # communities, its grids, the roles for the links to the audit, to the workload and to the street
    # inbox, and the menu); the scope's visible grids; stale visit plans; the measures by grid: their days'
    # stored counts, what those cannot hold counted from the cases, reopen events; coverage by grid;
    # categories and states counted together, the categories' names; the trend's stored weekly counts, its
    # open cases never taken, and its last week, cut short by October's end on a Saturday, counted from
    # the cases in one query = 15 (the co-governance section is asked for apart: test_cogovernance_figures)
    with django_assert_num_queries(15):
        small = client.get(reverse("dashboard:index"), params)
    _more_of_october(october, 6)
    with django_assert_num_queries(15):
        large = client.get(reverse("dashboard:index"), params)
    assert (
        large.context["board"].totals.counts["received"]
        == small.context["board"].totals.counts["received"] + 6
    )
    assert len(large.context["board"].grid_rows) == len(small.context["board"].grid_rows) + 6


# ----------------------------------------------------------------------------------- export, report


def test_export_holds_the_figures_and_the_grid_table(october, client):
    client.force_login(october["people"]["leader"])
    response = client.get(
        reverse("dashboard:export"), {"period": "custom", "date_from": "2026-10-01", "date_to": "2026-10-31"}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith(
        'attachment; filename="dashboard-20261001-20261031.xlsx"'
    )
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["指标", "网格排名", "共建共治", "事项类别", "当前状态", "每周趋势"]
    figures = {row[0]: row for row in book["指标"].iter_rows(values_only=True)}
    assert figures["统计时段"][1] == "2026-10-01 至 2026-10-31"
    assert figures["响应率"][1:4] == (4 / 7, 4, 7)  # c7's time to be taken has run out by now
    assert figures["小事不出社区率"][1:4] == (2 / 3, 2, 3)
    assert figures["其中：不满意"][1] == 1
    assert figures["登记件数"][1] == 8
    grids = list(book["网格排名"].iter_rows(values_only=True))
    assert grids[0][:4] == ("排名", "名称", "登记", "响应率")
    assert {row[1]: row[2] for row in grids[1:]} == {"甲网格（C-01）": 7, "乙网格（C-02）": 1}


def test_monthly_report_prints_the_month(october, client):
    client.force_login(october["people"]["leader"])
    response = client.get(reverse("dashboard:report"), {"month": "2026-10"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "2026年10月网格化服务工作月报" in html
    assert "data-print" in html  # the print button (static/js/portal.js)
    assert response.context["board"].totals.rates["response"] == Rate(hit=4, n=7)  # c7's due has passed now
    assert "4/7" in html and "甲网格（C-01）" in html


@pytest.mark.parametrize(
    ("month", "message"), [("2026-1x", "请按“年-月”填写月份"), ("2999-01", "所选月份尚未开始。")]
)
def test_monthly_report_explains_a_bad_month_and_shows_last_month(october, client, month, message):
    client.force_login(october["people"]["leader"])
    response = client.get(reverse("dashboard:report"), {"month": month})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["board"].period == dash.last_month(timezone.localdate())


def test_each_week_of_the_trend_links_to_its_cases(october, client):
    client.force_login(october["people"]["leader"])
    params = {"period": "custom", "date_from": "2026-10-01", "date_to": "2026-10-31"}
    response = client.get(reverse("dashboard:index"), params)
    community = october["grids"]["A"].community_id
    checked = 0
    for week, last, figures in response.context["trend_rows"]:
        for key in ("received", "response", "resolution", "satisfaction"):
            dates = f"date_from={week:%Y-%m-%d}&date_to={last:%Y-%m-%d}"
            query = f"community={community}&{dates}&measure={key}&part=all"
            assert f"{reverse('cases:list')}?{query}".replace("&", "&amp;") in response.content.decode()
            listing = client.get(f"{reverse('cases:list')}?{query}")
            expected = figures.counts[key] if key == "received" else figures.rates[key].n
            assert listing.context["page"].paginator.count == expected
            checked += expected
    assert checked > 0


def test_monthly_report_of_the_current_month_runs_to_today(october, client):
    client.force_login(october["people"]["leader"])
    today = timezone.localdate()
    response = client.get(reverse("dashboard:report"), {"month": today.strftime("%Y-%m")})
    assert response.context["board"].period == Period(today.replace(day=1), today)


def test_a_user_serving_no_grid_is_told_there_is_nothing_to_count(client, db):
    client.force_login(UserFactory(username="nobody"))
    response = client.get(reverse("dashboard:index"))
    assert response.status_code == 200
    assert "您还没有负责的网格" in response.content.decode()
    assert response.context["board"].totals.counts["received"] == 0


# ------------------------------------------------------------------------------------ 大事不出街道率


@pytest.fixture
def escalations(october):
    """Four more October cases of grid A sent up to the street, archived or not:
    e1 handed back by the street, resolved by the worker, confirmed resolved, closed (not the street's);
    e2 resolved by the street, but the requester says unresolved: closed unresolved;
    e3 closed by the street as outside the community's power;
    e4 still 已上报街道 (not archived: not counted).
    With c3 (resolved by the street, confirmed, closed), the street's rate is 1 of 4."""
    grid, people = october["grids"]["A"], october["people"]
    unresolved = {"resolved": False, "satisfaction": "unsatisfied"}
    up = (
        ("accept", "staff", at(10, 6)),
        ("take", "worker", at(10, 6, 10)),
        ("escalate", "worker", at(10, 6, 11)),
    )
    story(
        grid, people, at(10, 6), *up,
        ("hand_back", "street", at(10, 7)),
        ("resolve", "worker", at(10, 8)),
        ("follow_up", "staff", at(10, 9), {"resolved": True, "satisfaction": "satisfied"}),
        ("close", "staff", at(10, 9, 10)),
    )  # fmt: skip
    story(
        grid, people, at(10, 6), *up,
        ("resolve", "street", at(10, 8)),
        ("follow_up", "staff", at(10, 9), unresolved),
        ("close", "staff", at(10, 9, 10), {"reason": "outside_power"}),
    )  # fmt: skip
    story(grid, people, at(10, 6), *up, ("close", "street", at(10, 8), {"reason": "outside_power"}))
    story(grid, people, at(10, 6), *up)


def test_street_rate_counts_the_escalated_cases_the_street_itself_resolved(october, escalations):
    rates = board_for(october["people"]["street"]).totals.rates
    assert rates["street"] == Rate(hit=1, n=4)  # c3 of c3 e1 e2 e3
    # Its base is exactly the archived cases 小事不出社区率 counts as 曾上报街道.
    assert rates["local"].miss == rates["street"].n


def test_street_rate_card_shows_for_the_street_with_its_drill_downs(october, escalations, client):
    people = october["people"]
    client.force_login(people["street"])
    params = {"period": "custom", "date_from": "2026-10-01", "date_to": "2026-10-31"}
    page = client.get(reverse("dashboard:index"), params)
    html = page.content.decode()
    street = october["grids"]["A"].community.street_id
    assert page.context["board"].scope.param == f"street:{street}"
    assert 'data-measure="street">25.0%<' in html
    for part, expected in (("all", 4), ("hit", 1), ("miss", 3)):
        link = (
            f"{reverse('cases:list')}?street={street}&amp;date_from=2026-10-01&amp;date_to=2026-10-31"
            f"&amp;measure=street&amp;part={part}"
        )
        assert link in html
        listing = client.get(link.replace("&amp;", "&"))
        assert listing.context["page"].paginator.count == expected
    hit = client.get(reverse("cases:list"), {**params, "measure": "street", "part": "hit"})
    assert [case.pk for case in hit.context["page"].object_list] == [october["cases"]["c3"].pk]
    assert "大事不出街道率 · 街道办结" in hit.content.decode()


def test_community_dashboard_does_not_show_the_street_card(october, client):
    client.force_login(october["people"]["leader"])
    assert 'data-measure="street"' not in client.get(reverse("dashboard:index")).content.decode()


def _scope_options(page) -> list[str]:
    select = page.content.decode().split('id="id_scope"')[1].split("</select>")[0]
    return re.findall(r'<option value="([a-z]+:\d+|all)"', select)


def test_a_wide_scope_offers_streets_and_communities_and_the_grids_of_the_community_in_view(
    october, client, monkeypatch
):
    """Past PICKER_ALL_GRIDS grids, the scope select lists a district's streets and communities, and only
    the grids of the community in view: every grid stays a choice of its community (or a ranking row) away."""
    monkeypatch.setattr(dash, "PICKER_ALL_GRIDS", 2)
    grids, people = october["grids"], october["people"]
    other = GridFactory(name="丙网格", code="D-01", community__street=grids["A"].community.street)
    client.force_login(people["street"])
    street = client.get(reverse("dashboard:index"))
    street_id, community_a = grids["A"].community.street_id, grids["A"].community_id
    options = _scope_options(street)
    assert options[:2] == ["all", f"street:{street_id}"]
    assert sorted(options[2:]) == sorted([f"community:{community_a}", f"community:{other.community_id}"])
    community = client.get(reverse("dashboard:index"), {"scope": f"community:{community_a}"})
    assert f"grid:{grids['A'].pk}" in _scope_options(community)
    assert f"grid:{grids['B'].pk}" in _scope_options(community)
    assert f"grid:{other.pk}" not in _scope_options(community)
    # A grid of another community is still the user's to choose, by URL or from its community's list.
    chosen = client.get(reverse("dashboard:index"), {"scope": f"grid:{other.pk}"})
    assert chosen.context["board"].scope.param == f"grid:{other.pk}"
    assert f"grid:{other.pk}" in _scope_options(chosen)
    assert f"grid:{grids['A'].pk}" not in _scope_options(chosen)
    workload = client.get(reverse("dashboard:workload"), {"scope": f"grid:{other.pk}"})
    assert f"grid:{other.pk}" in _scope_options(workload)
    assert f"grid:{grids['A'].pk}" not in _scope_options(workload)


def test_a_leader_of_streets_reads_the_grids_of_the_street_in_view_and_the_rest_only_when_asked():
    """Streets and communities are read at once, a whole street's grids when a scope or a lookup needs
    them; whatever is asked, the answers are those of the whole tree, in its order (street, community,
    grid code)."""
    from django.http import Http404

    north, south = StreetFactory(name="C街道"), StreetFactory(name="D街道")
    s2 = GridFactory(code="S-02", community__name="南二社区", community__street=south)
    s1 = GridFactory(code="S-01", community=s2.community)
    s3 = GridFactory(code="S-03", community__name="南一社区", community__street=south)
    n1 = GridFactory(code="N-01", community__name="北社区", community__street=north)
    CommunityFactory(name="空社区", street=north)  # no grid yet: not a unit
    # One grid of a community held elsewhere, and a community held as a whole.
    held = GridFactory(code="H-01", community__name="丙社区", community__street__name="A街道")
    whole = GridFactory(code="W-01", community__name="丁社区", community__street__name="B街道")
    GridFactory(code="Z-01")  # not the user's
    user = UserFactory()
    for street in (south, north):
        assign(user, Role.STREET_LEADER, street)
    assign(user, Role.GRID_WORKER, held)
    assign(user, Role.COMMUNITY_LEADER, whole.community)

    tree = dash.scope_tree(user)
    assert tree.grids.count_read() == 2  # the grids outside the whole streets
    scope = tree.parse(f"street:{south.pk}")
    assert scope.grid_ids == [s3.pk, s1.pk, s2.pk]  # 南一社区 before 南二社区, then by code
    assert tree.grids.count_read() == 5  # north's grid is not read
    assert dash.place_of(tree, scope).community_ids == [s3.community_id, s1.community_id]
    assert [unit.param for unit in tree.picker(scope)][:2] == [f"street:{north.pk}", f"street:{south.pk}"]

    assert tree.parse(f"grid:{n1.pk}").label == f"{n1.name}（N-01）"  # read when looked up
    with pytest.raises(Http404):
        tree.parse(f"grid:{GridFactory().pk}")
    fresh = dash.scope_tree(user)
    assert fresh.default().unit is None  # two streets and more: everything
    assert fresh.all_grid_ids == [held.pk, whole.pk, n1.pk, s3.pk, s1.pk, s2.pk]
    assert [unit.param for unit in fresh.units()] == [
        f"street:{north.pk}",
        f"street:{south.pk}",
        f"community:{whole.community_id}",
        f"community:{n1.community_id}",
        f"community:{s3.community_id}",
        f"community:{s1.community_id}",
        *[f"grid:{pk}" for pk in fresh.all_grid_ids],
    ]
    assert dash.place_of(fresh, fresh.everything()).community_ids == [
        whole.community_id,
        n1.community_id,
        s3.community_id,
        s1.community_id,
    ]

    leader = UserFactory()
    assign(leader, Role.STREET_LEADER, south)
    theirs = dash.scope_tree(leader)
    assert theirs.default().param == f"street:{south.pk}"  # their one street covers all they see
    assert theirs.grids.count_read() == 3


def test_a_narrow_scope_offers_every_grid(october, client):
    client.force_login(october["people"]["street"])
    options = _scope_options(client.get(reverse("dashboard:index")))
    assert f"grid:{october['grids']['A'].pk}" in options and f"grid:{october['grids']['B'].pk}" in options


def test_the_grid_ranking_is_shown_a_page_at_a_time(october, client, monkeypatch):
    """A street's hundreds of grids: the ranking pages through them, each line keeping its rank."""
    from dashboard import views

    monkeypatch.setattr(views, "GRID_RANKING_PAGE", 1)
    client.force_login(october["people"]["street"])
    params = {"period": "custom", "date_from": "2026-10-01", "date_to": "2026-10-31"}
    first = client.get(reverse("dashboard:index"), params)
    ranked = first.context["board"].grid_rows
    assert len(ranked) == 2
    assert list(first.context["grid_page"].object_list) == ranked[:1]
    html = first.content.decode()
    assert "1 / 2" in html and "page=2" in html
    second = client.get(reverse("dashboard:index"), {**params, "page": "2"})
    assert list(second.context["grid_page"].object_list) == second.context["board"].grid_rows[1:]
    assert second.context["board"].period == first.context["board"].period
    assert f"scope=grid%3A{ranked[1].unit.pk}" in second.content.decode()
