"""The measures' stored counts (cases.tallies.CaseDayTally per day, CaseWeekTally per week for the trend),
kept by database triggers, always give what counting the cases themselves gives (cases.measures
counted_by_grid and counted_weekly, the measures' own conditions):
through the workflow's writes, a reopen and a second follow-up, a case merged untaken after its time to
be taken ran out, a case moved to another grid, many cases changed by one statement, a case deleted; and
the open cases never taken join the response rate once their time runs out.

The cases are the dashboard's hand-built October (tests/test_dashboard.py), its `october` fixture.
"""

# ruff: noqa: F811 (each test takes the imported `october` fixture by its name)

import datetime

import pytest
from django.db.models import F

from cases import measures
from cases.measures import Figures, Rate, counted_by_grid, counted_weekly, figures_by_grid, weekly
from cases.models import Case
from cases.tallies import CaseDayTally, CaseWeekTally
from common.dates import day_end, day_start
from tests.test_dashboard import NOW, at, october, story  # noqa: F401 (october: the fixture)

pytestmark = pytest.mark.django_db

FIRST = datetime.date(2026, 9, 7)  # the October dashboard's first trend week
EMPTY = Figures.from_row({})


def nonzero(by_week: dict) -> dict:
    return {week: figures for week, figures in by_week.items() if figures != EMPTY}


def assert_days_are_counted(grid_ids, first: datetime.date, last: datetime.date, now) -> dict:
    """Every measure per grid over the days `first` to `last`, from the stored days, equals counting the
    cases."""
    stored = nonzero(figures_by_grid(grid_ids, first, last, now))
    assert stored == nonzero(counted_by_grid(grid_ids, day_start(first), day_end(last), now)), (first, last)
    return stored


def assert_trend_is_counted(grid_ids, last: datetime.date, now: datetime.datetime) -> dict:
    """The trend from FIRST to the end of `last`, from the stored counts, equals counting the cases; and so
    do the measures per grid over those days."""
    end = day_end(last)
    stored = nonzero(weekly(grid_ids, FIRST, end, now))
    counted = nonzero(counted_weekly(Case.objects.filter(grid_id__any=grid_ids), day_start(FIRST), end, now))
    assert stored == counted
    assert_days_are_counted(grid_ids, FIRST, last, now)
    return stored


def all_grids(october) -> list[int]:
    return [grid.pk for grid in october["grids"].values()]


def test_stored_weeks_equal_counting_the_cases_grid_by_grid(october):
    for grid_id in all_grids(october):
        assert_trend_is_counted([grid_id], datetime.date(2026, 11, 1), NOW)
    trend = assert_trend_is_counted(all_grids(october), datetime.date(2026, 11, 1), NOW)
    # c2 followed up twice (10-15 unresolved, 10-17 resolved): counted once, in the week of the latest
    assert trend[datetime.date(2026, 10, 12)].rates["resolution"] == Rate(hit=2, n=2)
    assert trend[datetime.date(2026, 9, 28)].rates["response"] == Rate(
        hit=3, n=4
    )  # c1, b1 and x1 in time, c6 late


def test_stored_days_equal_counting_the_cases_day_by_day(october):
    grid_ids = all_grids(october)
    day, last = FIRST, datetime.date(2026, 11, 1)
    while day <= last:
        assert_days_are_counted(grid_ids, day, day, NOW)
        day += datetime.timedelta(days=1)
    community = [october["grids"]["A"].pk, october["grids"]["B"].pk]
    october_days = assert_days_are_counted(
        community, datetime.date(2026, 10, 1), datetime.date(2026, 10, 31), NOW
    )
    totals = Figures.total(october_days.values())
    # what test_dashboard.py's story of the same October gives the community's grids
    assert totals.rates["street"] == Rate(hit=1, n=1)  # c3, resolved by the street
    assert (totals.averages["take_time"].n, totals.averages["resolve_time"].n) == (6, 5)  # lines 192, 194
    # each (grid, day) row holds something: a case's counts taken away leave no row of zeros behind
    assert CaseDayTally.objects.exists()


def test_the_stored_days_are_three_queries_whatever_the_period(october, django_assert_num_queries):
    grid_ids = all_grids(october)
    for first in (datetime.date(2026, 10, 1), datetime.date(2025, 11, 1)):
        with django_assert_num_queries(3):
            figures_by_grid(grid_ids, first, datetime.date(2026, 10, 31), NOW)


def test_each_week_is_what_the_drill_down_lists(october):
    grid_ids = all_grids(october)
    cases = Case.objects.filter(grid_id__any=grid_ids)
    for week, figures in weekly(grid_ids, FIRST, day_end(datetime.date(2026, 11, 1)), NOW).items():
        start, end = day_start(week), day_start(week + datetime.timedelta(weeks=1))
        assert figures.counts["received"] == measures.drill(cases, "received", "all", start, end, NOW).count()
        for key in ("response", "resolution", "satisfaction"):
            assert figures.rates[key] == Rate(
                hit=measures.drill(cases, key, "hit", start, end, NOW).count(),
                n=measures.drill(cases, key, "all", start, end, NOW).count(),
            ), (week, key)


def test_an_open_case_never_taken_joins_its_week_once_its_time_runs_out(october):
    grid_ids = [october["grids"]["A"].pk]
    week = datetime.date(
        2026, 10, 26
    )  # c4 accepted 10-28, due 10-29; c7 accepted 10-31 20:00, due 11-01 20:00
    before = assert_trend_is_counted(grid_ids, datetime.date(2026, 11, 1), at(11, 1, 12))
    after = assert_trend_is_counted(grid_ids, datetime.date(2026, 11, 1), at(11, 1, 21))
    assert before[week].rates["response"] == Rate(hit=0, n=1)  # c4 only
    assert after[week].rates["response"] == Rate(hit=0, n=2)  # and c7
    stored = CaseWeekTally.objects.get(grid_id=grid_ids[0], week=week)
    assert (stored.taken, stored.lapsed_closed) == (0, 0)  # neither is stored: both depend on the hour


def test_a_case_merged_untaken_after_its_time_ran_out_counts_as_late(october):
    people, grid = october["people"], october["grids"]["A"]
    target = october["cases"]["c8"]
    story(
        grid, people, at(10, 19),
        ("accept", "staff", at(10, 19)),
        ("merge", "staff", at(10, 21), {"target": target}),
    )  # fmt: skip
    story(
        grid, people, at(10, 19, 10),
        ("accept", "staff", at(10, 19, 10)),
        ("merge", "staff", at(10, 19, 11), {"target": target}),
    )  # fmt: skip
    trend = assert_trend_is_counted([grid.pk], datetime.date(2026, 11, 1), NOW)
    # accepted 10-19 .. 10-25: c8 taken in time; the first merged case's time ran out before it was merged
    # (a response owed and missed); the second was merged within its time and never owed one
    assert trend[datetime.date(2026, 10, 19)].rates["response"] == Rate(hit=1, n=2)
    assert CaseWeekTally.objects.get(grid=grid, week=datetime.date(2026, 10, 19)).lapsed_closed == 1


def test_a_case_moved_to_another_grid_takes_its_counts_along(october):
    grids = october["grids"]
    Case.objects.filter(pk=october["cases"]["c1"].pk).update(grid=grids["B"])
    for grid in grids.values():
        assert_trend_is_counted([grid.pk], datetime.date(2026, 11, 1), NOW)


def test_many_cases_changed_by_one_statement_and_a_case_deleted(october):
    grid_ids = all_grids(october)
    # one UPDATE over every case: each accepted case accepted a day earlier, every follow-up two hours later
    Case.objects.filter(accepted_at__isnull=False).update(
        accepted_at=F("accepted_at") - datetime.timedelta(days=1)
    )
    Case.objects.filter(followed_up_at__isnull=False).update(
        followed_up_at=F("followed_up_at") + datetime.timedelta(hours=2), satisfaction=""
    )
    assert_trend_is_counted(grid_ids, datetime.date(2026, 11, 1), NOW)
    october["cases"]["c3"].events.all().delete()
    Case.objects.filter(pk=october["cases"]["c3"].pk).delete()
    for grid_id in grid_ids:
        assert_trend_is_counted([grid_id], datetime.date(2026, 11, 1), NOW)


def test_a_last_week_cut_short_in_the_past_is_counted_from_its_cases(october):
    # a custom period ending Wednesday 10-28: c4 (accepted that day) counts, c7 (10-31) does not
    trend = assert_trend_is_counted(all_grids(october), datetime.date(2026, 10, 28), NOW)
    assert trend[datetime.date(2026, 10, 26)].counts["received"] == 1


def test_the_stored_trend_is_two_queries_whatever_the_weeks(october, django_assert_num_queries):
    grid_ids = all_grids(october)
    with django_assert_num_queries(2):
        weekly(grid_ids, FIRST, day_end(datetime.date(2026, 11, 1)), NOW)
    with django_assert_num_queries(2):
        weekly(grid_ids, datetime.date(2026, 1, 5), day_end(datetime.date(2026, 11, 1)), NOW)


def test_a_week_cut_short_on_any_day_counts_what_its_cases_give_in_one_query_more(
    october, django_assert_num_queries
):
    # every day of the weeks of c2's two follow-ups (10-15, 10-17) and of c4 and c7 (10-28, 10-31)
    for monday in (datetime.date(2026, 10, 12), datetime.date(2026, 10, 26)):
        for day in range(6):
            last = monday + datetime.timedelta(days=day)
            for grid_ids in [[grid_id] for grid_id in all_grids(october)] + [all_grids(october)]:
                assert_trend_is_counted(grid_ids, last, NOW)
    with django_assert_num_queries(3):
        weekly(all_grids(october), FIRST, day_end(datetime.date(2026, 10, 28)), NOW)
