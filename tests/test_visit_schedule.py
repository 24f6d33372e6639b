"""The visit schedule: intervals by care group, overrides, ended enrolments, Asia/Shanghai days."""

import datetime
import zoneinfo

import pytest
from django.utils import timezone

from residents.models import CareCategory
from tests.factories import CareEnrolmentFactory, HouseholdFactory, ResidentFactory, log_visit
from visits import selectors, services
from visits.measures import coverage_by
from visits.models import VisitInterval

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
TODAY = datetime.date(2026, 11, 25)


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def schedule_of(household, today=TODAY):
    from residents.models import Household

    return selectors.care_schedule(Household.objects.filter(pk=household.pk), today).get()


@pytest.fixture
def household(grid):
    return HouseholdFactory(dwelling__building__grid=grid)


def enrol(household, category, since=datetime.date(2026, 1, 1), **extra):
    return CareEnrolmentFactory(household=household, category=category, since=since, **extra)


def test_default_intervals_follow_domain_md():
    assert selectors.interval_by_rule() == {
        "disabled_severe": 14,
        "elderly_living_alone": 7,
        "empty_nest_elderly": 14,
        "very_old": 7,
        "bereaved_parents": 14,
        "disabled": 30,
        "minimum_allowance": 30,
        "extreme_poverty_support": 30,
        "party_member_in_hardship": 30,
    }


def test_shortest_interval_of_several_enrolments_applies(household, worker):
    enrol(household, CareCategory.MINIMUM_ALLOWANCE)
    enrol(household, CareCategory.EMPTY_NEST_ELDERLY)
    log_visit(household, worker, at(datetime.date(2026, 11, 1), 10))
    row = schedule_of(household)
    assert (row.interval_days, row.next_due) == (14, datetime.date(2026, 11, 15))


def test_severe_disability_is_visited_more_often_than_mild(household, grid, worker):
    person = ResidentFactory(household=household)
    enrol(household, CareCategory.DISABLED, resident=person, disability_type="physical", disability_grade=2)
    mild = HouseholdFactory(dwelling__building__grid=grid)
    other = ResidentFactory(household=mild)
    enrol(mild, CareCategory.DISABLED, resident=other, disability_type="physical", disability_grade=4)
    assert schedule_of(household).interval_days == 14
    assert schedule_of(mild).interval_days == 30


def test_household_override_wins_even_over_a_shorter_group_interval(household, worker):
    enrol(household, CareCategory.ELDERLY_LIVING_ALONE)  # weekly
    services.visit_plan_set(household=household, interval_override_days=2, override_reason="每周三次送物资")
    log_visit(household, worker, at(datetime.date(2026, 11, 24), 9))
    row = schedule_of(household)
    assert (row.interval_days, row.next_due) == (2, datetime.date(2026, 11, 26))


def test_configured_interval_changes_the_schedule(household, worker):
    enrol(household, CareCategory.PARTY_MEMBER_IN_HARDSHIP)
    VisitInterval.objects.update_or_create(rule="party_member_in_hardship", defaults={"days": 10})
    log_visit(household, worker, at(datetime.date(2026, 11, 1), 9))
    assert schedule_of(household).next_due == datetime.date(2026, 11, 11)


def test_ended_enrolment_is_no_longer_due(household, worker):
    enrol(household, CareCategory.ELDERLY_LIVING_ALONE, until=datetime.date(2026, 11, 20))
    assert not selectors.care_schedule(type(household).objects.filter(pk=household.pk), TODAY).exists()
    # ...while another, still active, enrolment keeps the household on the schedule with its own interval
    enrol(household, CareCategory.MINIMUM_ALLOWANCE)
    assert schedule_of(household).interval_days == 30


def test_never_visited_household_is_due_from_its_enrolment(household):
    enrol(household, CareCategory.VERY_OLD, since=datetime.date(2026, 11, 10))
    row = schedule_of(household)
    assert (row.last_visited_at, row.next_due) == (None, datetime.date(2026, 11, 10))


def test_a_visit_late_in_the_evening_counts_for_that_shanghai_day(household, worker):
    # 23:30 in Shanghai is 15:30 UTC the same day; 00:30 is 16:30 UTC the day before.
    enrol(household, CareCategory.ELDERLY_LIVING_ALONE)
    log_visit(household, worker, at(datetime.date(2026, 11, 18), 23, 30))
    assert schedule_of(household).next_due == datetime.date(2026, 11, 25)
    log_visit(household, worker, at(datetime.date(2026, 11, 19), 0, 30))
    assert schedule_of(household).next_due == datetime.date(2026, 11, 26)


def test_due_today_is_not_yet_overdue_and_overdue_begins_next_day(household, worker):
    enrol(household, CareCategory.ELDERLY_LIVING_ALONE)
    log_visit(household, worker, at(datetime.date(2026, 11, 18), 10))
    due_on_25th = selectors.overdue_households(worker, today=datetime.date(2026, 11, 25))
    overdue_on_26th = selectors.overdue_households(worker, today=datetime.date(2026, 11, 26))
    assert list(due_on_25th) == []
    assert list(overdue_on_26th) == [household]
    assert selectors.DueWindow(datetime.date(2026, 11, 25)).status(datetime.date(2026, 11, 25)) == "today"


def test_due_list_holds_the_week_and_the_overdue_in_order(grid, worker):
    weekly = [HouseholdFactory(dwelling__building__grid=grid) for _ in range(3)]
    for household in weekly:
        enrol(household, CareCategory.ELDERLY_LIVING_ALONE)
    log_visit(weekly[0], worker, at(datetime.date(2026, 11, 10), 10))  # due 17th: overdue
    log_visit(weekly[1], worker, at(datetime.date(2026, 11, 20), 10))  # due 27th: this week
    log_visit(weekly[2], worker, at(datetime.date(2026, 11, 24), 10))  # due 1 Dec: this week (7 days)
    not_due = HouseholdFactory(dwelling__building__grid=grid)
    enrol(not_due, CareCategory.MINIMUM_ALLOWANCE)
    log_visit(not_due, worker, at(datetime.date(2026, 11, 20), 10))  # due 20 Dec
    due = list(selectors.due_households(worker, today=TODAY))
    assert [(h.pk, h.next_due) for h in due] == [
        (weekly[0].pk, datetime.date(2026, 11, 17)),
        (weekly[1].pk, datetime.date(2026, 11, 27)),
        (weekly[2].pk, datetime.date(2026, 12, 1)),
    ]


def test_moved_out_household_leaves_the_schedule(household, worker):
    enrol(household, CareCategory.ELDERLY_LIVING_ALONE)
    from residents import services as resident_services

    resident_services.household_move_out(household=household, on=datetime.date(2026, 11, 1))
    assert list(selectors.overdue_households(worker, today=TODAY)) == []


def test_overdue_by_grid_counts_enrolled_and_overdue(grid, worker):
    late = HouseholdFactory(dwelling__building__grid=grid)
    fresh = HouseholdFactory(dwelling__building__grid=grid)
    enrol(late, CareCategory.VERY_OLD)
    enrol(fresh, CareCategory.VERY_OLD)
    log_visit(fresh, worker, at(datetime.date(2026, 11, 24), 10))
    rows = selectors.overdue_by_grid(worker, today=TODAY)
    assert [(r["grid"], r["enrolled"], r["overdue"], r["on_time"]) for r in rows] == [(grid, 2, 1, 1)]


def test_a_rule_missing_from_the_table_keeps_its_domain_default():
    VisitInterval.objects.filter(rule="elderly_living_alone").delete()
    VisitInterval.objects.update_or_create(rule="very_old", defaults={"days": 5})
    intervals = selectors.interval_by_rule()
    assert (intervals["elderly_living_alone"], intervals["very_old"]) == (7, 5)


def _stored(household):
    from visits.models import VisitPlan

    plan = VisitPlan.objects.get(household=household)
    return plan.interval_days, plan.next_due


def _live(household, today):
    row = schedule_of(household, today)
    return row.interval_days, row.next_due


def test_stored_schedule_follows_visits_enrolments_and_overrides(household, worker):
    today = timezone.localdate()
    enrolment = enrol(household, CareCategory.MINIMUM_ALLOWANCE)
    assert _stored(household) == _live(household, today) == (30, datetime.date(2026, 1, 1))
    log_visit(household, worker, at(datetime.date(2026, 11, 20), 10))
    assert _stored(household) == _live(household, today) == (30, datetime.date(2026, 12, 20))
    enrol(household, CareCategory.ELDERLY_LIVING_ALONE)
    assert _stored(household) == _live(household, today) == (7, datetime.date(2026, 11, 27))
    services.visit_plan_set(household=household, interval_override_days=2, override_reason="送物资")
    assert _stored(household) == (2, datetime.date(2026, 11, 22))
    services.visit_plan_set(household=household, interval_override_days=None, override_reason="")
    enrolment.delete()
    assert _stored(household) == _live(household, today) == (7, datetime.date(2026, 11, 27))


def test_a_changed_care_group_interval_reschedules_its_households(household, worker):
    enrol(household, CareCategory.VERY_OLD)
    log_visit(household, worker, at(datetime.date(2026, 11, 20), 10))
    VisitInterval.objects.update_or_create(rule="very_old", defaults={"days": 3})
    assert _stored(household) == (3, datetime.date(2026, 11, 23))


def test_an_enrolment_ending_by_date_alone_leaves_the_stored_schedule_when_its_day_comes(household, worker):
    enrol(household, CareCategory.ELDERLY_LIVING_ALONE, until=datetime.date(2026, 11, 30))
    log_visit(household, worker, at(datetime.date(2026, 11, 20), 10))
    services.schedule_refresh(households=type(household).objects.filter(pk=household.pk), today=TODAY)
    from visits.models import VisitPlan

    assert VisitPlan.objects.get(household=household).schedule_valid_until == datetime.date(2026, 12, 1)
    assert services.schedule_refresh_stale(datetime.date(2026, 11, 30)) == 0
    assert services.schedule_refresh_stale(datetime.date(2026, 12, 1)) == 1
    assert _stored(household) == (None, None)
    assert list(selectors.overdue_households(worker, today=datetime.date(2026, 12, 9))) == []


def test_an_enrolment_starting_later_joins_the_schedule_on_its_first_day(household):
    enrol(household, CareCategory.VERY_OLD, since=datetime.date(2026, 12, 10))
    services.schedule_refresh(households=type(household).objects.filter(pk=household.pk), today=TODAY)
    assert _stored(household) == (None, None)
    services.schedule_refresh_stale(datetime.date(2026, 12, 10))
    assert _stored(household) == (7, datetime.date(2026, 12, 10))


def test_lists_and_coverage_read_a_schedule_its_start_date_has_overtaken_without_the_page_asking(
    household, worker
):
    enrol(household, CareCategory.VERY_OLD, since=datetime.date(2026, 12, 10))
    services.schedule_refresh(households=type(household).objects.filter(pk=household.pk), today=TODAY)
    first_day = datetime.date(2026, 12, 10)
    assert list(selectors.due_households(worker, today=first_day)) == [household]
    assert coverage_by([household.grid_id], "grid_id", first_day) == {household.grid_id: (1, 1)}
    assert list(selectors.overdue_households(worker, today=first_day + datetime.timedelta(days=1))) == [
        household
    ]


def test_a_need_found_at_a_visit_drafts_a_request_for_the_household(household, worker):
    visit = log_visit(
        household, worker, at(datetime.date(2026, 11, 20), 10), needs_found="下水道堵塞，需要疏通"
    )
    draft = selectors.request_draft_from_visit(visit)
    assert (draft.channel, draft.household, draft.grid, draft.description, draft.origin_visit) == (
        "visit",
        household,
        household.grid,
        "下水道堵塞，需要疏通",
        visit,
    )


def test_a_patrol_finding_drafts_a_request_for_the_grid(grid, worker):
    patrol = services.patrol_log(
        grid=grid,
        worker=worker,
        started_at=at(datetime.date(2026, 11, 20), 9),
        ended_at=at(datetime.date(2026, 11, 20), 10),
        route="黄河食渡周边",
        notes="",
        findings=[services.Finding(location="黄河食渡门口", description="机动车乱停放")],
    )
    finding = patrol.findings.get()
    draft = selectors.request_draft_from_finding(finding)
    assert (draft.channel, draft.grid, draft.location, draft.description, draft.origin_finding_id) == (
        "patrol",
        grid,
        "黄河食渡门口",
        "机动车乱停放",
        finding.pk,
    )
