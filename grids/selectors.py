"""Reads of places and the people who serve them.

The two questions of who serves what have one answer each, both in grids/models.py and read through here:
which users serve a grid (`users_serving`, from AssignmentQuerySet.serving) and which grids a user serves
(`grids_served_by`, from GridQuerySet.served_by). A role held on a community or a street serves every
grid below it.
"""

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db.models import F, Q, QuerySet

from .models import Assignment, Grid, WorkTeamMember, held_places


def grids_served_by(user, roles: Iterable[str] | None = None) -> QuerySet[Grid]:
    """Grids the user serves, in any role or in one of `roles` (every grid for a superuser)."""
    return Grid.objects.served_by(user, roles)


def users_serving(grids: Grid | QuerySet[Grid], roles: Iterable[str] | None = None) -> QuerySet:
    """Users holding a role (any, or one of `roles`) that serves the grid or any of the grids."""
    assignments = Assignment.objects.serving(grids)
    if roles is not None:
        assignments = assignments.filter(role__in=sorted(roles))
    return get_user_model().objects.filter(pk__in=assignments.values("user"))


def grids_for_user(user) -> QuerySet[Grid]:
    """The user's grids with their community, for lists and pickers."""
    return Grid.objects.visible_to(user).select_related("community__street").order_by("code")


def grid_for_user(user, pk: int) -> Grid:
    """One grid in the user's scope (Grid.DoesNotExist outside it)."""
    return Grid.objects.visible_to(user).select_related("community__street").get(pk=pk)


def people_serving(grid: Grid) -> list[Assignment]:
    """Everyone whose role serves the grid: on the grid, its community, its street; nearest first."""
    return list(
        Assignment.objects.serving(grid)
        .with_level()
        .select_related("user")
        .order_by(F("level"), "role", "user__first_name", "pk")
    )


def work_team_members(grid: Grid) -> list[WorkTeamMember]:
    return list(grid.work_team_members.select_related("team").order_by("team__name", "name"))


def visible_grid_ids(user) -> list[int]:
    """The ids of the user's grids, fetched first.

    As a subquery, PostgreSQL cannot know that a grid worker's scope is one grid of two thousand and
    plans for most of the district; a literal list of ids lets it use the grid indexes. Filter with
    `grid_id__any=` (common.lookups): the list goes as one array, not a parameter per id.
    """
    return list(Grid.objects.visible_to(user).values_list("pk", flat=True))


def in_visible_grids(user, grid: str) -> Q:
    """The condition for rows whose grid (the path `grid`, e.g. "household__grid") the user sees.

    Whoever holds whole streets and nothing narrower (a street or district leader) sees every grid of
    them (the street branch of GridQuerySet.served_by, the one rule; tests/test_serving.py holds the two
    to the same rows): the condition names the streets, reached through the grid's community, instead of
    listing every grid id of them. That list grows with the district (2,000 ids at 500,000 households):
    it is read first, then prepared by Django id by id and planned and checked by PostgreSQL on every
    query of the page. Anyone else filters by their literal list of grid ids (visible_grid_ids), which
    their few grids' indexes need.
    """
    if user.is_authenticated and not user.is_superuser:
        grids, communities, streets = held_places(user)
        if streets and not grids and not communities:
            return Q(**{f"{grid}__community__street_id__any": streets})
    return Q(**{f"{grid}_id__any": visible_grid_ids(user)})


def within(rows: QuerySet, grid_path: str, *, street=None, community=None, grid=None) -> QuerySet:
    """Rows whose grid (reached through `grid_path`, e.g. "household__grid") lies in the narrowest place."""
    if grid is not None:
        return rows.filter(**{grid_path: grid})
    if community is not None:
        return rows.filter(**{f"{grid_path}__community": community})
    if street is not None:
        return rows.filter(**{f"{grid_path}__community__street": street})
    return rows
