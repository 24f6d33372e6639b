"""The stored counts of visits per grid, visitor and local day (visits.models.VisitTally), kept by database
triggers, always equal counting the visits themselves, through every write that moves one: a visit logged,
its visitors changed, its time moved across midnight, a household corrected into another grid, a visit
deleted. And the workload's visits column, which reads them, counts what the visits list lists."""

import datetime

import pytest
from django.db.models import Count
from django.utils import timezone

from dashboard.selectors import Period, count_workload, workload
from grids.models import Role
from residents import services as resident_services
from tests.factories import (
    DwellingFactory,
    GridFactory,
    HouseholdFactory,
    UserFactory,
    assign,
    edit_visit,
    log_visit,
)
from visits.measures import visits_by_visitor
from visits.models import Visit, VisitTally

pytestmark = pytest.mark.django_db

BEIJING = datetime.timezone(datetime.timedelta(hours=8))


def counted_directly() -> dict:
    """Each visit once for each of its visitors, in its household's grid, on its local day."""
    counts: dict = {}
    for visit in Visit.objects.select_related("household").prefetch_related("visitors"):
        day = timezone.localtime(visit.visited_at).date()
        for user in visit.visitors.all():
            key = (visit.household.grid_id, user.pk, day)
            counts[key] = counts.get(key, 0) + 1
    return counts


def tallied() -> dict:
    rows = VisitTally.objects.exclude(visits=0).values_list("grid_id", "visitor_id", "day", "visits")
    return {(grid, user, day): n for grid, user, day, n in rows}


def test_the_tally_follows_every_write_that_moves_a_visit(grid, worker):
    other_grid = GridFactory(community=grid.community)
    colleague = UserFactory(first_name="同事")
    assign(colleague, Role.GRID_WORKER, grid)
    household = HouseholdFactory(dwelling__building__grid=grid)
    late_evening = datetime.datetime(2026, 11, 3, 23, 30, tzinfo=BEIJING)  # 15:30 UTC, still the 3rd here
    assert tallied() == counted_directly() == {}

    first = log_visit(household, worker, late_evening)
    second = log_visit(
        household, worker, late_evening + datetime.timedelta(hours=1), visitors=[worker, colleague]
    )
    assert tallied() == counted_directly()
    assert tallied() == {
        (grid.pk, worker.pk, datetime.date(2026, 11, 3)): 1,
        (grid.pk, worker.pk, datetime.date(2026, 11, 4)): 1,  # 00:30 the next morning, local time
        (grid.pk, colleague.pk, datetime.date(2026, 11, 4)): 1,
    }

    # A colleague added to the first visit and taken off the second; the first moved to the next week.
    edit_visit(
        first, worker, visitors=[worker, colleague], visited_at=late_evening + datetime.timedelta(days=7)
    )
    edit_visit(second, worker, visitors=[worker])
    assert tallied() == counted_directly()
    assert tallied()[(grid.pk, colleague.pk, datetime.date(2026, 11, 10))] == 1
    assert (grid.pk, colleague.pk, datetime.date(2026, 11, 4)) not in tallied()

    # The household's file corrected to a dwelling of another grid: its visits count there.
    resident_services.household_update(
        household=household, dwelling=DwellingFactory(building__grid=other_grid), note=""
    )
    assert tallied() == counted_directly()
    assert {grid_id for grid_id, _user, _day in tallied()} == {other_grid.pk}

    # A visit deleted takes its counts with it.
    second.delete()
    assert tallied() == counted_directly()
    assert sum(tallied().values()) == 2  # the first visit, for two visitors


def test_visits_by_visitor_counts_the_days_of_the_period_in_the_grids_asked(grid, worker):
    other_grid = GridFactory(community=grid.community)
    here = HouseholdFactory(dwelling__building__grid=grid)
    there = HouseholdFactory(dwelling__building__grid=other_grid)
    assign(worker, Role.GRID_WORKER, other_grid)
    for day in (1, 2, 30):
        log_visit(here, worker, datetime.datetime(2026, 11, day, 8, 0, tzinfo=BEIJING))
    log_visit(here, worker, datetime.datetime(2026, 12, 1, 0, 10, tzinfo=BEIJING))  # December, here
    log_visit(there, worker, datetime.datetime(2026, 11, 15, 8, 0, tzinfo=BEIJING))

    november = (datetime.date(2026, 11, 1), datetime.date(2026, 11, 30))
    assert visits_by_visitor([grid.pk], *november) == {worker.pk: 3}
    assert visits_by_visitor([grid.pk, other_grid.pk], *november) == {worker.pk: 4}
    # Counted for some visitors only (a page of the workload table): theirs, nobody else's.
    assert visits_by_visitor([grid.pk], *november, visitors=[worker.pk]) == {worker.pk: 3}
    assert visits_by_visitor([grid.pk], *november, visitors=[worker.pk + 1000]) == {}
    assert visits_by_visitor([grid.pk], datetime.date(2026, 11, 2), datetime.date(2026, 11, 29)) == {
        worker.pk: 1
    }
    assert visits_by_visitor([other_grid.pk], datetime.date(2026, 10, 1), datetime.date(2026, 10, 31)) == {}

    rows = workload([grid.pk])
    count_workload(rows, [grid.pk], Period(*november), timezone.now())
    assert [row.figures["visits"] for row in rows if row.user_id == worker.pk] == [3]
    # ... which is what the visits list filtered by that visitor and those days lists
    listed = Visit.objects.filter(
        household__grid=grid,
        visitors=worker,
        visited_at__gte=datetime.datetime(2026, 11, 1, tzinfo=BEIJING),
        visited_at__lt=datetime.datetime(2026, 12, 1, tzinfo=BEIJING),
    )
    assert listed.aggregate(n=Count("pk"))["n"] == 3
