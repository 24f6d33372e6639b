"""Access, masking, search and forms in the browser-facing views (owner / outsider / anonymous)."""

import datetime

import pytest
from django.urls import reverse

from grids.models import Role
from residents.models import CareCategory, Resident, RevealRecord
from tests.factories import (
    BuildingFactory,
    CareEnrolmentFactory,
    HouseholdFactory,
    ResidentFactory,
    UserFactory,
    assign,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def household(grid):
    return HouseholdFactory(dwelling__building__grid=grid)


@pytest.fixture
def resident(household):
    return ResidentFactory(
        household=household,
        name="苏秀兰",
        id_number="620102194403051243",
        birth_date=datetime.date(1944, 3, 5),
        sex="female",
        phone="13893215678",
    )


def test_anonymous_is_sent_to_login(client, household):
    response = client.get(reverse("household_file", args=[household.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_worker_of_grid_a_gets_404_for_household_of_grid_b(client, worker, other_grid):
    foreign = HouseholdFactory(dwelling__building__grid=other_grid)
    client.force_login(worker)
    assert client.get(reverse("household_file", args=[foreign.pk])).status_code == 404
    assert client.get(reverse("grids:detail", args=[other_grid.pk])).status_code == 404


def test_community_leader_sees_every_grid_of_the_community(client, grid):
    sibling = BuildingFactory(grid__community=grid.community).grid
    leader = UserFactory()
    assign(leader, Role.COMMUNITY_LEADER, grid.community)
    client.force_login(leader)
    assert client.get(reverse("grids:detail", args=[sibling.pk])).status_code == 200
    listed = client.get(reverse("grids:list")).context["page"].object_list
    assert {g.pk for g in listed} == {grid.pk, sibling.pk}


def test_street_leader_sees_the_street_but_not_another(client, street_leader, grid, other_grid):
    client.force_login(street_leader)
    assert client.get(reverse("grids:detail", args=[grid.pk])).status_code == 200
    assert client.get(reverse("grids:detail", args=[other_grid.pk])).status_code == 404


def test_household_file_masks_id_and_phone(client, worker, resident):
    client.force_login(worker)
    response = client.get(reverse("household_file", args=[resident.household_id]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "620102********1243" in html
    assert "138****5678" in html
    assert "620102194403051243" not in html
    assert "13893215678" not in html


def test_reveal_shows_the_full_value_and_records_who_whose_when_why(client, worker, resident):
    client.force_login(worker)
    response = client.post(
        reverse("residents:resident_reveal", args=[resident.pk]),
        {"field": "id_number", "reason": "contact"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "620102194403051243" in response.content.decode()
    record = RevealRecord.objects.get()
    assert (record.user, record.resident, record.field, record.reason) == (
        worker,
        resident,
        "id_number",
        "contact",
    )


def test_roles_without_the_need_cannot_reveal(client, building_head, resident):
    client.force_login(building_head)
    response = client.post(
        reverse("residents:resident_reveal", args=[resident.pk]), {"field": "phone", "reason": "contact"}
    )
    assert response.status_code == 403
    assert RevealRecord.objects.count() == 0
    page = client.get(reverse("household_file", args=[resident.household_id])).content.decode()
    assert "reveal-form" not in page


def test_reveal_outside_scope_is_404(client, worker, other_grid):
    foreign = ResidentFactory(household__dwelling__building__grid=other_grid)
    client.force_login(worker)
    response = client.post(
        reverse("residents:resident_reveal", args=[foreign.pk]), {"field": "phone", "reason": "contact"}
    )
    assert response.status_code == 404
    assert RevealRecord.objects.count() == 0


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("兰", ["苏秀兰"]),
        ("秀兰", ["苏秀兰"]),
        ("苏秀兰", ["苏秀兰"]),
        ("5678", ["苏秀兰"]),
        ("1243", ["苏秀兰"]),
        ("靖远", ["苏秀兰"]),
        ("13893215678", ["苏秀兰"]),
    ],
)
def test_search_by_name_phone_tail_id_tail_and_address(client, worker, resident, query, expected):
    resident.household.dwelling.building.address = "靖远路9号"
    resident.household.dwelling.building.save()
    ResidentFactory(
        household__dwelling__building__grid=resident.household.grid, name="朱建国", phone="13900001111"
    )
    client.force_login(worker)
    # As the search form sends it: posted, then on to its page (a full number by a token, not in the URL).
    response = client.post(reverse("residents:search"), {"q": query}, follow=True)
    assert [r.name for r in response.context["page"].object_list] == expected


def test_search_never_returns_residents_outside_scope(client, worker, resident, other_grid):
    ResidentFactory(household__dwelling__building__grid=other_grid, name="苏秀兰")
    client.force_login(worker)
    response = client.get(reverse("residents:search"), {"q": "苏秀兰"})
    assert [r.pk for r in response.context["page"].object_list] == [resident.pk]


def test_search_filters_by_care_category(client, worker, resident, household):
    ResidentFactory(household=HouseholdFactory(dwelling__building__grid=household.grid), name="王芳")
    CareEnrolmentFactory(household=household, resident=resident, category=CareCategory.VERY_OLD)
    client.force_login(worker)
    response = client.get(reverse("residents:search"), {"category": "very_old"})
    assert [r.name for r in response.context["page"].object_list] == ["苏秀兰"]


def test_search_paginates_twenty_a_page(client, worker, household):
    ResidentFactory.create_batch(25, household=household)
    client.force_login(worker)
    first = client.get(reverse("residents:search")).context["page"]
    second = client.get(reverse("residents:search"), {"page": 2}).context["page"]
    assert (len(first.object_list), len(second.object_list), first.paginator.count) == (20, 5, 25)


def test_resident_form_keeps_input_and_names_the_wrong_field(client, worker, household):
    client.force_login(worker)
    data = {
        "name": "赵丽萍",
        "id_number": "620102197805061221",  # wrong check digit
        "sex": "female",
        "birth_date": "1978-05-06",
        "phone": "13912345678",
        "relation_to_head": "head",
        "political_status": "masses",
        "residence_type": "registered",
    }
    response = client.post(reverse("residents:resident_create", args=[household.pk]), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == ["id_number"]
    assert "校验位" in form.errors["id_number"][0]
    assert 'value="赵丽萍"' in response.content.decode()
    assert Resident.objects.count() == 0


def test_resident_form_creates_a_valid_resident(client, worker, household):
    client.force_login(worker)
    data = {
        "name": "赵丽萍",
        "id_number": "620102197805061229",
        "sex": "female",
        "birth_date": "1978-05-06",
        "phone": "139 1234 5678",
        "relation_to_head": "head",
        "political_status": "masses",
        "residence_type": "registered",
    }
    response = client.post(reverse("residents:resident_create", args=[household.pk]), data)
    assert response.status_code == 302
    resident = Resident.objects.get()
    assert (resident.name, resident.phone, resident.household) == ("赵丽萍", "13912345678", household)


def test_building_head_may_read_but_not_edit(client, building_head, household):
    client.force_login(building_head)
    assert client.get(reverse("household_file", args=[household.pk])).status_code == 200
    assert client.get(reverse("residents:resident_create", args=[household.pk])).status_code == 403


def test_enrolment_form_reports_missing_disability_details(client, worker, resident):
    client.force_login(worker)
    response = client.post(
        reverse("residents:enrolment_create", args=[resident.household_id]),
        {"category": "disabled", "resident": resident.pk, "since": "2025-01-01"},
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"disability_type", "disability_grade"}


def test_resident_status_records_death_with_date(client, worker, resident):
    client.force_login(worker)
    response = client.post(
        reverse("residents:resident_status", args=[resident.pk]),
        {"status": "deceased", "status_date": "2026-10-01"},
    )
    assert response.status_code == 302
    resident.refresh_from_db()
    assert (resident.status, resident.status_date) == ("deceased", datetime.date(2026, 10, 1))


def test_resident_status_without_date_is_refused(client, worker, resident):
    client.force_login(worker)
    response = client.post(
        reverse("residents:resident_status", args=[resident.pk]), {"status": "moved_out", "status_date": ""}
    )
    assert response.status_code == 200
    assert "status_date" in response.context["form"].errors
    resident.refresh_from_db()
    assert resident.status == "active"
