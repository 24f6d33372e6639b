"""Who serves which grid: one answer (grids.models: AssignmentQuerySet.serving, GridQuerySet.served_by).

The street question is decided there once: a role held on a street (街道领导) serves every grid of the
street, as a community role serves every grid of its community. Every caller reads that answer; these
tests hold each caller to it.
"""

import pytest

from cases import selectors as case_selectors
from grids.models import LEVEL_COMMUNITY, LEVEL_GRID, LEVEL_STREET, Grid, served_grids
from grids.permissions import grids_editable_by, roles_over_grid
from grids.roles import CASE_WORKER_ROLES, Role
from grids.selectors import grids_served_by, in_visible_grids, people_serving, users_serving, visible_grid_ids
from residents.models import Household
from tests.factories import CommunityFactory, GridFactory, HouseholdFactory, UserFactory, assign
from visits.forms import visitors_for
from visits.forms_records import visitors_in


@pytest.fixture
def cast(db):
    """A street with two communities; grid A and B in the first, grid C in the second; another street."""
    grid_a = GridFactory()
    community = grid_a.community
    grid_b = GridFactory(community=community)
    grid_c = GridFactory(community=CommunityFactory(street=community.street))
    elsewhere = GridFactory()  # another street
    people = {
        "worker_a": assign(UserFactory(username="worker_a"), Role.GRID_WORKER, grid_a).user,
        "head_b": assign(UserFactory(username="head_b"), Role.BUILDING_HEAD, grid_b).user,
        "staff": assign(UserFactory(username="staff"), Role.COMMUNITY_STAFF, community).user,
        "street": assign(UserFactory(username="street"), Role.STREET_LEADER, community.street).user,
        "far": assign(UserFactory(username="far"), Role.STREET_LEADER, elsewhere.community.street).user,
    }
    return {"a": grid_a, "b": grid_b, "c": grid_c, "elsewhere": elsewhere, **people}


def _names(users) -> list[str]:
    return sorted(user.username for user in users)


def test_users_serving_a_grid_are_its_own_its_communitys_and_its_streets(cast):
    assert _names(users_serving(cast["a"])) == ["staff", "street", "worker_a"]
    assert _names(users_serving(cast["c"])) == ["street"]
    assert _names(users_serving(Grid.objects.filter(pk__in=[cast["a"].pk, cast["b"].pk]))) == [
        "head_b",
        "staff",
        "street",
        "worker_a",
    ]
    assert _names(users_serving(cast["a"], CASE_WORKER_ROLES)) == ["worker_a"]


def test_grids_a_user_serves_are_the_same_answer_read_the_other_way(cast):
    def codes(user, roles=None):
        return sorted(grid.pk for grid in grids_served_by(user, roles))

    a, b, c = cast["a"].pk, cast["b"].pk, cast["c"].pk
    assert codes(cast["worker_a"]) == [a]
    assert codes(cast["staff"]) == sorted([a, b])
    assert codes(cast["street"]) == sorted([a, b, c])
    assert codes(cast["street"], CASE_WORKER_ROLES) == []
    for name in ("worker_a", "head_b", "staff", "street", "far"):
        user = cast[name]
        for grid in (cast["a"], cast["b"], cast["c"], cast["elsewhere"]):
            serves = user in users_serving(grid)
            assert (grid.pk in codes(user)) == serves, (name, grid.code)
            assert bool(roles_over_grid(user, grid)) == serves, (name, grid.code)
            assert Grid.objects.visible_to(user).filter(pk=grid.pk).exists() == serves, (name, grid.code)


def test_served_grids_are_the_same_grids_as_ids_for_a_worker_and_a_query_for_the_rest(cast):
    """grids.models.served_grids, what `grid__in=` filters take: a worker's few grids as their ids (no
    subquery), a community's or a street's as the served_by query; the same grids either way."""
    assert served_grids(cast["worker_a"]) == [cast["a"].pk]
    assert served_grids(cast["street"], CASE_WORKER_ROLES) == []
    for name in ("worker_a", "head_b", "staff", "street", "far"):
        for roles in (None, CASE_WORKER_ROLES):
            grids = served_grids(cast[name], roles)
            expected = sorted(grids_served_by(cast[name], roles).values_list("pk", flat=True))
            assert sorted(Grid.objects.filter(pk__in=grids).values_list("pk", flat=True)) == expected
    assert not isinstance(served_grids(cast["staff"]), list)


def test_rows_in_a_users_grids_are_the_same_whether_named_by_street_or_by_grid_ids(
    cast, django_user_model, django_assert_num_queries
):
    """grids.selectors.in_visible_grids: whoever holds whole streets only is given their streets (no grid
    ids read), anyone else their grid ids; the rows are those of visible_grid_ids either way."""
    households = [
        HouseholdFactory(dwelling__building__grid=cast[key]) for key in ("a", "b", "c", "elsewhere")
    ]
    both = assign(UserFactory(username="both"), Role.GRID_WORKER, cast["elsewhere"]).user
    assign(both, Role.STREET_LEADER, cast["a"].community.street)
    UserFactory(username="root", is_superuser=True)
    UserFactory(username="nobody")
    for name in ("worker_a", "head_b", "staff", "street", "far", "both", "root", "nobody"):
        user = django_user_model.objects.get(username=name)
        expected = sorted(h.pk for h in households if h.grid_id in visible_grid_ids(user))
        rows = Household.objects.filter(in_visible_grids(user, "grid")).values_list("pk", flat=True)
        assert sorted(rows) == expected, name
    assert len(expected) == 0  # nobody sees nothing
    street = django_user_model.objects.get(username="street")
    with django_assert_num_queries(1):  # the assignments only: the streets need no grid ids
        condition = in_visible_grids(street, "household__grid")
    assert condition.children == [
        ("household__grid__community__street_id__any", [cast["a"].community.street_id])
    ]
    # A street and a grid elsewhere: the grid ids, which take in both.
    assert in_visible_grids(both, "grid").children[0][0] == "grid_id__any"


def test_the_grid_page_lists_street_roles_after_the_grids_and_the_communitys(cast):
    people = people_serving(cast["a"])
    assert [(p.user.username, p.level) for p in people] == [
        ("worker_a", LEVEL_GRID),
        ("staff", LEVEL_COMMUNITY),
        ("street", LEVEL_STREET),
    ]


def test_every_picker_offers_the_people_serving(cast):
    assert [(u.username, u.level) for u in visitors_for(cast["a"], cast["worker_a"])] == [
        ("worker_a", LEVEL_GRID),
        ("staff", LEVEL_COMMUNITY),
        ("street", LEVEL_STREET),
    ]
    assert _names(visitors_in(Grid.objects.filter(pk=cast["c"].pk))) == ["street"]
    assert _names(case_selectors.workers_in(Grid.objects.filter(pk=cast["a"].pk))) == ["worker_a"]
    assert list(grids_editable_by(cast["street"])) == []  # a street leader keeps no registry
    assert sorted(g.pk for g in grids_editable_by(cast["staff"])) == sorted([cast["a"].pk, cast["b"].pk])
