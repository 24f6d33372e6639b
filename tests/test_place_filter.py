"""The 街道 → 社区 → 网格 selects of the list pages (grids.forms.PlaceFilterForm).

A district leader serves thousands of grids; each select lists only what lies inside the choice above
it, so the pages neither render nor make anyone scroll through every grid of the district.
"""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grids.models import Role
from tests.factories import (
    CommunityFactory,
    GridFactory,
    HouseholdFactory,
    ResidentFactory,
    StreetFactory,
    UserFactory,
    assign,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def district(db):
    """Two streets of two communities each, each community with two grids, and a resident per grid."""
    places = {}
    for s in "AB":
        street = StreetFactory(name=f"{s}街道")
        places[s] = street
        for c in "12":
            community = CommunityFactory(street=street, name=f"{s}{c}社区")
            places[s + c] = community
            for g in "xy":
                grid = GridFactory(community=community, name=f"{s}{c}{g}网格")
                places[s + c + g] = grid
                ResidentFactory(
                    household=HouseholdFactory(dwelling__building__grid=grid), name=f"王{s}{c}{g}"
                )
    return places


@pytest.fixture
def district_leader(district):
    user = UserFactory(username="district")
    assign(user, Role.STREET_LEADER, district["A"])
    assign(user, Role.STREET_LEADER, district["B"])
    return user


def _options(response, name: str) -> list[str]:
    """The labels of a place select's options, the empty choice first."""
    field = next(f for f in response.context["form"].place_fields if f.name == name)
    return [str(label) for _value, label in field.field.widget.choices]


def _shown(response) -> list[str]:
    return [field.name for field in response.context["form"].place_fields]


def _names(response) -> set[str]:
    return {resident.name for resident in response.context["page"].object_list}


def test_a_district_leader_first_chooses_a_street(client, district, district_leader):
    client.force_login(district_leader)
    response = client.get(reverse("residents:search"))
    assert _shown(response) == ["street", "community", "grid"]
    assert _options(response, "street") == ["全部街道", "A街道", "B街道"]
    assert _options(response, "community") == ["请先选择街道"]
    assert _options(response, "grid") == ["请先选择社区"]
    html = response.content.decode()
    assert f"A1x网格 · {district['A1x'].code}" not in html  # no grid is offered before a community is chosen
    for name in ("community", "grid"):
        assert "disabled" in re.search(rf'<select[^>]*name="{name}"[^>]*>', html).group(0)


def test_choosing_a_street_then_a_community_narrows_the_next_select_and_the_results(
    client, district, district_leader
):
    client.force_login(district_leader)
    response = client.get(reverse("residents:search"), {"street": district["B"].pk, "community": ""})
    assert _options(response, "community") == ["全部社区", "B1社区", "B2社区"]
    assert _options(response, "grid") == ["请先选择社区"]
    assert _names(response) == {"王B1x", "王B1y", "王B2x", "王B2y"}

    response = client.get(
        reverse("residents:search"), {"street": district["B"].pk, "community": district["B2"].pk, "grid": ""}
    )
    assert _options(response, "grid") == [
        "全部网格",
        f"B2x网格 · {district['B2x'].code}",
        f"B2y网格 · {district['B2y'].code}",
    ]
    assert _names(response) == {"王B2x", "王B2y"}


def test_a_link_naming_a_grid_selects_its_community_and_street(client, district, district_leader):
    client.force_login(district_leader)
    response = client.get(reverse("residents:search"), {"grid": district["A2y"].pk})
    form = response.context["form"]
    assert form["street"].value() == district["A"].pk
    assert form["community"].value() == district["A2"].pk
    assert form["grid"].value() == district["A2y"].pk
    assert _options(response, "community") == ["全部社区", "A1社区", "A2社区"]
    assert _names(response) == {"王A2y"}


def test_a_choice_left_outside_a_changed_street_is_dropped(client, district, district_leader):
    client.force_login(district_leader)
    # The user had A2 and its grid chosen, then changed the street to B.
    query = {"street": district["B"].pk, "community": district["A2"].pk, "grid": district["A2x"].pk}
    response = client.get(reverse("residents:search"), query)
    assert response.context["form"]["community"].value() == ""
    assert _names(response) == {"王B1x", "王B1y", "王B2x", "王B2y"}

    # 全部街道 drops the community that was chosen under the old street.
    response = client.get(reverse("residents:search"), {"street": "", "community": district["A2"].pk})
    assert len(_names(response)) == 8


def test_a_community_leader_sees_only_the_grid_select(client, district):
    leader = UserFactory()
    assign(leader, Role.COMMUNITY_LEADER, district["A1"])
    client.force_login(leader)
    response = client.get(reverse("residents:search"))
    assert _shown(response) == ["grid"]
    assert _options(response, "grid") == [
        "全部网格",
        f"A1x网格 · {district['A1x'].code}",
        f"A1y网格 · {district['A1y'].code}",
    ]
    response = client.get(reverse("residents:search"), {"grid": district["A1y"].pk})
    assert _names(response) == {"王A1y"}


def test_a_place_outside_the_scope_is_refused(client, district):
    leader = UserFactory()
    assign(leader, Role.COMMUNITY_LEADER, district["A1"])
    client.force_login(leader)
    foreign = district["B1x"].pk
    # The search ignores a bad filter and shows the user's own residents; nothing foreign is listed.
    assert _names(client.get(reverse("residents:search"), {"grid": foreign})) == {"王A1x", "王A1y"}
    response = client.get(reverse("cases:list"), {"grid": foreign})
    assert response.context["form"].errors["grid"]
    assert (
        client.get(reverse("residents:household_list"), {"community": district["B1"].pk}).status_code == 404
    )


def test_an_htmx_answer_carries_the_narrowed_selects(client, district, district_leader):
    client.force_login(district_leader)
    for name in ("residents:search", "cases:list", "visits:list"):
        response = client.get(reverse(name), {"street": district["A"].pk}, headers={"HX-Request": "true"})
        html = response.content.decode()
        assert 'id="place-fields"' in html and 'hx-swap-oob="true"' in html, name
        assert "A1社区" in html and "B1社区" not in html, name


def test_the_visits_list_offers_the_people_of_the_chosen_community(client, district, district_leader):
    worker_a1 = UserFactory(first_name="甲网格员")
    assign(worker_a1, Role.GRID_WORKER, district["A1x"])
    worker_b2 = UserFactory(first_name="乙网格员")
    assign(worker_b2, Role.GRID_WORKER, district["B2y"])
    client.force_login(district_leader)
    response = client.get(reverse("visits:list"))
    assert _shown(response) == ["street", "community", "grid", "visitor"]
    assert _options(response, "visitor") == ["请先选择社区"]
    response = client.get(
        reverse("visits:list"), {"street": district["A"].pk, "community": district["A1"].pk}
    )
    assert "甲网格员" in _options(response, "visitor")
    assert "乙网格员" not in _options(response, "visitor")


def test_the_household_list_filters_by_community(client, district, district_leader):
    client.force_login(district_leader)
    response = client.get(reverse("residents:household_list"), {"community": district["B2"].pk})
    assert response.status_code == 200
    assert {h.grid.name for h in response.context["page"].object_list} == {"B2x网格", "B2y网格"}
    assert "户籍台账 · B2社区" in response.content.decode()


def _count(client, url, query) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, query).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "name", ["residents:search", "cases:list", "visits:list", "residents:household_list"]
)
def test_more_grids_add_neither_queries_nor_options(client, district, district_leader, name):
    client.force_login(district_leader)
    url = reverse(name)
    query = {"street": district["A"].pk, "community": district["A1"].pk}
    before = _count(client, url, query)
    for _ in range(20):
        GridFactory(community=CommunityFactory(street=district["B"]))
    assert _count(client, url, query) == before
    response = client.get(url, query)
    assert _options(response, "grid")[1:] == [
        f"A1x网格 · {district['A1x'].code}",
        f"A1y网格 · {district['A1y'].code}",
    ]


def test_a_street_of_one_community_selects_it_so_a_grid_can_be_chosen_next(client, district, district_leader):
    street = StreetFactory(name="C街道")
    community = CommunityFactory(street=street, name="C1社区")
    grids = [GridFactory(community=community, name=f"C1{g}网格") for g in "xy"]
    for grid in grids:
        ResidentFactory(household=HouseholdFactory(dwelling__building__grid=grid), name=f"王{grid.name[:3]}")
    assign(district_leader, Role.STREET_LEADER, street)
    client.force_login(district_leader)
    response = client.get(reverse("residents:search"), {"street": street.pk, "community": ""})
    assert response.context["form"]["community"].value() == community.pk
    assert len(_options(response, "grid")) == 3
    # What the browser sends next: the community it was shown with, and the grid.
    query = {"street": street.pk, "community": community.pk, "grid": grids[1].pk}
    assert _names(client.get(reverse("residents:search"), query)) == {"王C1y"}


def test_communities_in_scope_agree_with_the_grids_in_scope(district, district_leader):
    from grids.models import Community, Grid

    worker = UserFactory()
    assign(worker, Role.GRID_WORKER, district["A1x"])
    assign(worker, Role.GRID_WORKER, district["B2y"])
    leader = UserFactory()
    assign(leader, Role.COMMUNITY_LEADER, district["B1"])
    outsider = UserFactory()
    for user, expected in [
        (district_leader, {"A1社区", "A2社区", "B1社区", "B2社区"}),
        (worker, {"A1社区", "B2社区"}),
        (leader, {"B1社区"}),
        (outsider, set()),
    ]:
        communities = {c.name for c in Community.objects.visible_to(user)}
        assert communities == expected
        assert communities == {g.community.name for g in Grid.objects.visible_to(user)}
