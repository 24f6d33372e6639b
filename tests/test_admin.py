import pytest
from django.urls import reverse

from residents.models import ExportRecord, RevealRecord
from tests.factories import DwellingFactory, ResidentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "name",
    [
        "grids_grid",
        "grids_assignment",
        "residents_household",
        "residents_resident",
        "residents_revealrecord",
        "residents_exportrecord",
        "cases_category",
        "cases_case",
    ],
)
def test_admin_changelists_open_for_superusers(client, name):
    ResidentFactory()
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    assert client.get(reverse(f"admin:{name}_changelist")).status_code == 200


def test_reveal_records_cannot_be_deleted_in_admin(client):
    resident = ResidentFactory()
    admin_user = UserFactory(is_superuser=True, is_staff=True)
    record = RevealRecord.objects.create(user=admin_user, resident=resident, field="phone", reason="contact")
    client.force_login(admin_user)
    response = client.post(reverse("admin:residents_revealrecord_delete", args=[record.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert RevealRecord.objects.count() == 1


def test_export_records_are_listed_and_filtered_by_what_was_exported(client):
    admin_user = UserFactory(is_superuser=True, is_staff=True)
    for kind in ExportRecord.Kind:
        ExportRecord.objects.create(user=admin_user, kind=kind, row_count=3)
    client.force_login(admin_user)
    response = client.get(reverse("admin:residents_exportrecord_changelist"), {"kind": "visits"})
    assert "kind" in response.context["cl"].list_display
    assert [record.kind for record in response.context["cl"].result_list] == [ExportRecord.Kind.VISITS]


def test_household_moved_in_admin_takes_its_members_to_the_new_grid(client):
    resident = ResidentFactory()
    household = resident.household
    elsewhere = DwellingFactory()
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    data = {
        "dwelling": elsewhere.pk,
        "status": household.status,
        "moved_out_on": "",
        "note": "搬到新楼",
        "members-TOTAL_FORMS": "1",
        "members-INITIAL_FORMS": "1",
        "members-MIN_NUM_FORMS": "0",
        "members-MAX_NUM_FORMS": "1000",
        "members-0-id": resident.pk,
        "members-0-household": household.pk,
    }

    response = client.post(reverse("admin:residents_household_change", args=[household.pk]), data)

    assert response.status_code == 302
    household.refresh_from_db()
    resident.refresh_from_db()
    assert household.grid == resident.grid == elsewhere.building.grid
    assert household.note == "搬到新楼"


def test_admin_is_closed_to_portal_users(client, worker):
    client.force_login(worker)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
