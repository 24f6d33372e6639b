import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from grids.models import Assignment, Role
from residents import services
from residents.models import CareCategory, CareEnrolment, Household, Resident
from tests.factories import (
    CareEnrolmentFactory,
    DwellingFactory,
    GridFactory,
    HouseholdFactory,
    ResidentFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _resident(**overrides) -> Resident:
    fields = {
        "household": HouseholdFactory(),
        "name": "苏秀兰",
        "id_number": "11010519491231002X",
        "sex": "female",
        "birth_date": datetime.date(1949, 12, 31),
        "phone": "13812345678",
    }
    fields.update(overrides)
    return Resident(**fields)


def test_resident_save_accepts_a_consistent_resident():
    resident = services.resident_save(resident=_resident(phone="138 1234 5678"))
    assert resident.pk is not None
    assert resident.phone == "13812345678"


def test_resident_save_rejects_sex_disagreeing_with_id():
    with pytest.raises(ValidationError) as exc:
        services.resident_save(resident=_resident(sex="male"))
    assert list(exc.value.message_dict) == ["sex"]
    assert "女" in exc.value.message_dict["sex"][0]
    assert Resident.objects.count() == 0


def test_resident_save_rejects_birth_date_disagreeing_with_id():
    with pytest.raises(ValidationError) as exc:
        services.resident_save(resident=_resident(birth_date=datetime.date(1950, 1, 1)))
    assert "1949-12-31" in exc.value.message_dict["birth_date"][0]


def test_resident_save_rejects_bad_phone():
    with pytest.raises(ValidationError) as exc:
        services.resident_save(resident=_resident(phone="12345"))
    assert list(exc.value.message_dict) == ["phone"]


def test_id_number_is_unique():
    services.resident_save(resident=_resident())
    with pytest.raises(ValidationError) as exc:
        services.resident_save(resident=_resident())
    assert "id_number" in exc.value.message_dict


def test_database_refuses_a_malformed_id_number():
    with pytest.raises(IntegrityError), transaction.atomic():
        _resident(id_number="12345").save()


def test_database_refuses_a_departure_without_a_date():
    resident = ResidentFactory()
    resident.status = Resident.Status.DECEASED
    with pytest.raises(IntegrityError), transaction.atomic():
        resident.save()


def test_moving_out_keeps_the_household_and_its_members():
    household = HouseholdFactory()
    ResidentFactory.create_batch(2, household=household)
    services.household_move_out(household=household, on=datetime.date(2026, 5, 1))
    household.refresh_from_db()
    assert household.status == Household.Status.MOVED_OUT
    assert (
        list(household.members.values_list("status", "status_date"))
        == [("moved_out", datetime.date(2026, 5, 1))] * 2
    )


def test_household_grid_follows_the_dwelling():
    dwelling = DwellingFactory()
    household = services.household_create(dwelling=dwelling)
    assert household.grid_id == dwelling.building.grid_id
    other = DwellingFactory()
    services.household_update(household=household, dwelling=other, note="")
    assert household.grid_id == other.building.grid_id


def test_resident_grid_is_its_households_on_create_and_after_a_move():
    household = services.household_create(dwelling=DwellingFactory())
    resident = services.resident_save(resident=_resident(household=household))
    assert resident.grid_id == household.grid_id
    departed = ResidentFactory(household=household, status="moved_out", status_date=datetime.date(2025, 1, 1))

    other = DwellingFactory()
    services.household_update(household=household, dwelling=other, note="")

    assert set(household.members.values_list("grid", flat=True)) == {other.building.grid_id}
    resident.refresh_from_db()
    departed.refresh_from_db()
    assert resident.grid_id == departed.grid_id == other.building.grid_id


def test_database_refuses_a_resident_in_another_grid_than_its_household():
    resident = ResidentFactory()
    elsewhere = DwellingFactory().building.grid
    with pytest.raises(IntegrityError), transaction.atomic():
        Resident.objects.filter(pk=resident.pk).update(grid=elsewhere)
        # The key is checked at commit, so that a household and its members can move together.
        connection.check_constraints()
    with pytest.raises(IntegrityError), transaction.atomic():
        Household.objects.filter(pk=resident.household_id).update(grid=elsewhere)
        connection.check_constraints()


def test_disabled_enrolment_needs_type_grade_and_resident():
    household = HouseholdFactory()
    enrolment = CareEnrolment(
        household=household, category=CareCategory.DISABLED, since=datetime.date(2025, 1, 1)
    )
    with pytest.raises(ValidationError) as exc:
        services.enrolment_save(enrolment=enrolment)
    assert set(exc.value.message_dict) == {"disability_type", "disability_grade", "resident"}


def test_database_refuses_disability_details_on_another_category():
    with pytest.raises(IntegrityError), transaction.atomic():
        CareEnrolmentFactory(disability_type="vision", disability_grade=1)


def test_enrolment_cannot_end_before_it_starts():
    enrolment = CareEnrolment(
        household=HouseholdFactory(),
        category=CareCategory.VERY_OLD,
        since=datetime.date(2025, 1, 1),
        until=datetime.date(2024, 1, 1),
    )
    with pytest.raises(ValidationError) as exc:
        services.enrolment_save(enrolment=enrolment)
    assert "until" in exc.value.message_dict


def test_allowance_details_only_on_allowance_categories():
    enrolment = CareEnrolment(
        household=HouseholdFactory(),
        category=CareCategory.VERY_OLD,
        since=datetime.date(2025, 1, 1),
        allowance_monthly_amount=500,
    )
    with pytest.raises(ValidationError):
        services.enrolment_save(enrolment=enrolment)


def test_enrolment_active_on_respects_since_and_until():
    ended = CareEnrolmentFactory(since=datetime.date(2024, 1, 1), until=datetime.date(2025, 1, 1))
    current = CareEnrolmentFactory(since=datetime.date(2024, 1, 1))
    active = CareEnrolment.objects.active_on(datetime.date(2025, 6, 1))
    assert list(active) == [current]
    assert ended.is_active_on(datetime.date(2024, 12, 31))


def test_liaison_needs_a_party_member_and_replaces_the_previous_link():
    household = HouseholdFactory()
    masses = ResidentFactory(political_status=Resident.PoliticalStatus.MASSES)
    with pytest.raises(ValidationError):
        services.liaison_link(party_member=masses, household=household, since=datetime.date(2025, 1, 1))
    first = ResidentFactory(political_status=Resident.PoliticalStatus.PARTY_MEMBER)
    second = ResidentFactory(political_status=Resident.PoliticalStatus.PARTY_MEMBER)
    services.liaison_link(party_member=first, household=household, since=datetime.date(2025, 1, 1))
    services.liaison_link(party_member=second, household=household, since=datetime.date(2025, 6, 1))
    links = list(household.liaison_links.order_by("since").values_list("party_member", "until"))
    assert links == [(first.pk, datetime.date(2025, 6, 1)), (second.pk, None)]


def test_assignment_role_must_match_its_level():
    user = UserFactory()
    grid = GridFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(user=user, role=Role.STREET_LEADER, grid=grid)
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(user=user, role=Role.GRID_WORKER, community=grid.community)
    Assignment.objects.create(user=user, role=Role.GRID_WORKER, grid=grid)
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(user=user, role=Role.GRID_WORKER, grid=grid)
