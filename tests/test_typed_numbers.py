"""Typing an ID number on the resident form is a search by a full number (issue 14, finding 3).

"Already registered" tells whether a typed number is someone's, so a user who may not search by full
numbers could find people by typing guesses into the form. Each refusal is recorded as a full-number
search of the resident holding the number, and counts toward the hour's limit; once that is spent the
form checks no typed number at all (saving or not would answer the same question).
"""

import datetime
import random

import pytest
from django.urls import reverse

from common.synthetic import make_id_number
from grids.models import Role
from residents import services
from residents.models import Resident, RevealRecord
from tests.factories import HouseholdFactory, ResidentFactory, UserFactory, assign

pytestmark = pytest.mark.django_db

BIRTH = datetime.date(1978, 5, 6)


@pytest.fixture
def part_timer(grid):
    """A part-time grid worker: may register residents, may not reveal or search by full numbers."""
    user = UserFactory(username="pt")
    assign(user, Role.PART_TIME_GRID_WORKER, grid)
    return user


@pytest.fixture
def holder(other_grid):
    """A resident of another community, whose ID number the part-timer guesses."""
    return ResidentFactory(household=HouseholdFactory(dwelling__building__grid=other_grid))


def _post(client, household, id_number: str):
    data = {
        "name": "赵丽萍",
        "id_number": id_number,
        "sex": "male" if int(id_number[16]) % 2 else "female",
        "birth_date": f"{id_number[6:10]}-{id_number[10:12]}-{id_number[12:14]}",
        "phone": "",
        "relation_to_head": "head",
        "political_status": "masses",
        "residence_type": "registered",
    }
    return client.post(reverse("residents:resident_create", args=[household.pk]), data)


def test_a_taken_number_is_refused_and_recorded_as_a_search(client, part_timer, grid, holder):
    household = HouseholdFactory(dwelling__building__grid=grid)
    client.force_login(part_timer)
    response = _post(client, household, holder.id_number)
    assert response.status_code == 200
    assert response.context["form"].errors == {"id_number": ["该身份证号已在平台中登记。"]}
    assert list(RevealRecord.objects.values_list("user", "resident", "field", "reason")) == [
        (part_timer.pk, holder.pk, "id_number", RevealRecord.SEARCH)
    ]
    assert household.members.count() == 0


def test_a_free_number_saves_and_records_nothing(client, part_timer, grid):
    household = HouseholdFactory(dwelling__building__grid=grid)
    client.force_login(part_timer)
    number = make_id_number(BIRTH, False, random.Random(1))
    assert _post(client, household, number).status_code == 302
    assert household.members.get().id_number == number
    assert not RevealRecord.objects.exists()


def test_once_the_hours_searches_are_spent_no_typed_number_is_checked(client, part_timer, grid, holder):
    household = HouseholdFactory(dwelling__building__grid=grid)
    client.force_login(part_timer)
    for _ in range(services.FULL_NUMBER_SEARCHES_PER_HOUR):
        response = _post(client, household, holder.id_number)
        assert "该身份证号已在平台中登记" in response.content.decode()
    free = make_id_number(BIRTH, False, random.Random(2))
    for number in (holder.id_number, free):  # taken or free, the answer is the same
        response = _post(client, household, number)
        assert response.status_code == 200
        errors = response.context["form"].errors["id_number"]
        assert errors == [
            f"一小时内按完整号码查询（含登记时身份证号查重）已达 {services.FULL_NUMBER_SEARCHES_PER_HOUR} "
            "次上限，请稍后再录入身份证号。"
        ]
        assert 'value="赵丽萍"' in response.content.decode()  # the input is kept
    assert household.members.count() == 0
    assert RevealRecord.objects.count() == services.FULL_NUMBER_SEARCHES_PER_HOUR


def test_editing_other_fields_keeps_the_number_unchecked(client, part_timer, grid):
    resident = ResidentFactory(household=HouseholdFactory(dwelling__building__grid=grid))
    client.force_login(part_timer)
    form = client.get(reverse("residents:resident_edit", args=[resident.pk])).context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None}
    data |= {"name": "改过的名字", "phone": form.initial["phone"]}
    response = client.post(reverse("residents:resident_edit", args=[resident.pk]), data)
    assert response.status_code == 302
    assert Resident.objects.get(pk=resident.pk).name == "改过的名字"
    assert not RevealRecord.objects.exists()


def test_changing_a_number_to_a_taken_one_is_refused_and_recorded(client, part_timer, grid, holder):
    resident = ResidentFactory(household=HouseholdFactory(dwelling__building__grid=grid))
    client.force_login(part_timer)
    form = client.get(reverse("residents:resident_edit", args=[resident.pk])).context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None}
    data |= {"id_number": holder.id_number, "sex": holder.sex}
    response = client.post(reverse("residents:resident_edit", args=[resident.pk]), data)
    assert response.context["form"].errors["id_number"] == ["该身份证号已在平台中登记。"]
    assert RevealRecord.objects.get().resident == holder
    assert Resident.objects.get(pk=resident.pk).id_number == resident.id_number
