"""The main pages issue the same number of queries whatever the data size (no query per row)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from residents.models import CareCategory
from tests.factories import CareEnrolmentFactory, HouseholdFactory, ResidentFactory

pytestmark = pytest.mark.django_db


def _fill(grid, households: int) -> None:
    for _ in range(households):
        household = HouseholdFactory(dwelling__building__grid=grid)
        members = ResidentFactory.create_batch(2, household=household, name="王芳")
        CareEnrolmentFactory(household=household, resident=members[0], category=CareCategory.VERY_OLD)


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("page", ["grid", "household_list", "search"])
def test_list_pages_issue_the_same_queries_at_two_sizes(client, worker, grid, page):
    client.force_login(worker)
    urls = {
        "grid": reverse("grids:detail", args=[grid.pk]),
        "household_list": reverse("residents:household_list") + f"?grid={grid.pk}",
        "search": reverse("residents:search") + "?q=" + "王",
    }
    _fill(grid, 3)
    small = _count(client, urls[page])
    _fill(grid, 30)
    assert _count(client, urls[page]) == small


def test_grid_page_query_count(client, worker, grid):
    # session, user, the second factor's device, grid (scoped), buildings with counts, assignments,
    # work-team members, care counts, household count, household page, members of the page, editing roles,
    # the menu's roles (portal.menu) = 13 (the bell loads its count by a request of its own)
    _fill(grid, 5)
    client.force_login(worker)
    assert _count(client, reverse("grids:detail", args=[grid.pk])) == 13


def test_household_file_issues_the_same_queries_for_a_larger_household(client, worker, grid):
    client.force_login(worker)
    small = HouseholdFactory(dwelling__building__grid=grid)
    ResidentFactory(household=small)
    large = HouseholdFactory(dwelling__building__grid=grid)
    members = ResidentFactory.create_batch(6, household=large)
    for member in members[:4]:
        CareEnrolmentFactory(household=large, resident=member, category=CareCategory.VERY_OLD)
    assert _count(client, reverse("household_file", args=[small.pk])) == _count(
        client, reverse("household_file", args=[large.pk])
    )
