"""Reads of places and the people who serve them."""

from django.db.models import Q, QuerySet

from .models import Assignment, Grid, WorkTeamMember


def grids_for_user(user) -> QuerySet[Grid]:
    """The user's grids with their community, for lists and pickers."""
    return Grid.objects.visible_to(user).select_related("community__street").order_by("code")


def grid_for_user(user, pk: int) -> Grid:
    """One grid in the user's scope (Grid.DoesNotExist outside it)."""
    return Grid.objects.visible_to(user).select_related("community__street").get(pk=pk)


def people_serving(grid: Grid) -> list[Assignment]:
    """Everyone assigned to the grid itself or to its community."""
    return list(
        Assignment.objects.filter(Q(grid=grid) | Q(community_id=grid.community_id))
        .select_related("user")
        .order_by("community", "role", "user__first_name")
    )


def work_team_members(grid: Grid) -> list[WorkTeamMember]:
    return list(grid.work_team_members.select_related("team").order_by("team__name", "name"))


def visible_grid_ids(user) -> list[int]:
    """The ids of the user's grids, fetched first.

    As a subquery, PostgreSQL cannot know that a grid worker's scope is one grid of two thousand and
    plans for most of the district; a literal list of ids lets it use the grid indexes.
    """
    return list(Grid.objects.visible_to(user).values_list("pk", flat=True))


def within(rows: QuerySet, grid_path: str, *, street=None, community=None, grid=None) -> QuerySet:
    """Rows whose grid (reached through `grid_path`, e.g. "household__grid") lies in the narrowest place."""
    if grid is not None:
        return rows.filter(**{grid_path: grid})
    if community is not None:
        return rows.filter(**{f"{grid_path}__community": community})
    if street is not None:
        return rows.filter(**{f"{grid_path}__community__street": street})
    return rows
