"""The stored counts of care-group households per grid and due date (visits.models.DueTally), kept by
database triggers, always equal counting the households themselves, through every write that moves a
schedule: an enrolment, a visit, a knock with nobody home, an override, an enrolment ending, a household
moving out, moving back and changing grid, a plan deleted."""

import datetime

import pytest
from django.db.models import Count, F, Sum
from django.utils import timezone

from grids.models import Grid
from residents import services as resident_services
from residents.models import CareCategory, Household
from tests.factories import CareEnrolmentFactory, CommunityFactory, GridFactory, HouseholdFactory, log_visit
from visits import services
from visits.measures import COVERAGE, SCHEDULED, coverage_by, coverage_by_community
from visits.models import CommunityDueTally, DueTally, Visit, VisitPlan

pytestmark = pytest.mark.django_db


def counted_directly() -> dict:
    rows = (
        Household.objects.filter(SCHEDULED)
        .values_list("grid_id", "visit_plan__next_due")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {(grid, due): n for grid, due, n in rows}


def tallied() -> dict:
    rows = DueTally.objects.exclude(households=0).values_list("grid_id", "next_due", "households")
    return {(grid, due): n for grid, due, n in rows}


def community_tallied() -> dict:
    rows = CommunityDueTally.objects.exclude(households=0).values_list(
        "community_id", "next_due", "households"
    )
    return {(community, due): n for community, due, n in rows}


def added_up_by_community() -> dict:
    rows = (
        DueTally.objects.values_list(F("grid__community"), "next_due")
        .annotate(n=Sum("households"))
        .exclude(n=0)
        .order_by()
    )
    return {(community, due): n for community, due, n in rows}


def assert_tallies():
    """Each grid's counts equal counting its households, and each community's equal adding up its grids'."""
    assert tallied() == counted_directly()
    assert community_tallied() == added_up_by_community()


def refresh(*households):
    services.schedule_refresh(households=Household.objects.filter(pk__in=[h.pk for h in households]))


def test_the_tally_follows_every_write_that_moves_a_schedule(grid, worker):
    other_grid = GridFactory(community=grid.community)
    today = timezone.localdate()
    su, du, ma = (HouseholdFactory(dwelling__building__grid=grid) for _ in range(3))
    assert_tallies()
    assert tallied() == {}

    # Enrolled: each gets a schedule, due from the enrolment's start.
    since = today - datetime.timedelta(days=40)
    for household, category in (
        (su, CareCategory.ELDERLY_LIVING_ALONE),
        (du, CareCategory.EMPTY_NEST_ELDERLY),
    ):
        CareEnrolmentFactory(household=household, category=category, since=since)
    CareEnrolmentFactory(
        household=ma, category=CareCategory.VERY_OLD, since=today - datetime.timedelta(days=10)
    )
    refresh(su, du, ma)
    assert_tallies()
    assert sum(tallied().values()) == 3

    # A visit moves one household's date on; a knock with nobody home moves nothing.
    log_visit(su, worker, timezone.now() - datetime.timedelta(days=2))
    log_visit(du, worker, timezone.now() - datetime.timedelta(days=1), outcome=Visit.Outcome.NO_ANSWER)
    assert_tallies()

    # Its own interval (every two days) moves it again.
    services.visit_plan_set(household=su, interval_override_days=2, override_reason="每周送三次物资")
    assert_tallies()

    # Moving out takes the household out of the count; the stored date stays on its plan.
    resident_services.household_move_out(household=du, on=today)
    assert VisitPlan.objects.get(household=du).next_due is not None
    assert_tallies()
    assert sum(tallied().values()) == 2

    # Back again, then moved to another grid: counted again, under its new grid.
    Household.objects.filter(pk=du.pk).update(status=Household.Status.ACTIVE, moved_out_on=None)
    Household.objects.filter(pk=du.pk).update(grid=other_grid)
    assert_tallies()
    assert {grid_id for grid_id, _day in tallied()} == {grid.pk, other_grid.pk}

    # The other grid moves to another community: its counts go with it.
    elsewhere = CommunityFactory(street=grid.community.street)
    Grid.objects.filter(pk=other_grid.pk).update(community=elsewhere)
    assert_tallies()
    assert {community for community, _day in community_tallied()} == {grid.community_id, elsewhere.pk}

    # The enrolment ends: no schedule, no count.
    ma.enrolments.update(until=today - datetime.timedelta(days=1))
    refresh(ma)
    assert_tallies()

    # A plan deleted (from the admin; a household with visits or enrolments cannot be) takes its count.
    VisitPlan.objects.filter(household=su).delete()
    assert_tallies()
    assert sum(tallied().values()) == 1


def test_coverage_from_the_tally_is_the_measures_own_count(grid, worker):
    today = timezone.localdate()
    households = [HouseholdFactory(dwelling__building__grid=grid) for _ in range(4)]
    for i, household in enumerate(households):
        CareEnrolmentFactory(
            household=household,
            category=CareCategory.ELDERLY_LIVING_ALONE,
            since=today - datetime.timedelta(days=30),
        )
        if i % 2:
            log_visit(household, worker, timezone.now() - datetime.timedelta(days=i))
    refresh(*households)
    base = Household.objects.filter(COVERAGE.base(today), grid=grid)
    expected = (base.count(), base.filter(COVERAGE.hit(today)).count())
    assert expected == (4, 2)
    assert coverage_by([grid.pk], "grid_id", today) == {grid.pk: expected}
    assert coverage_by([grid.pk], "grid__community", today) == {grid.community_id: expected}
    # The community's stored counts say the same, whole or through the grid alone; a grid outside the
    # communities given adds its own to its community's.
    assert coverage_by_community([grid.community_id], [], today) == {grid.community_id: expected}
    assert coverage_by_community([], [grid.pk], today) == {grid.community_id: expected}
    assert coverage_by_community([], [], today) == {}
    # Tomorrow nothing is written, yet a household whose day has passed counts as overdue.
    later = today + datetime.timedelta(days=7)
    assert coverage_by([grid.pk], "grid_id", later) == {
        grid.pk: (4, Household.objects.filter(COVERAGE.base(later), COVERAGE.hit(later), grid=grid).count())
    }
