"""Photos when resolving a case, on a visit and of a patrol finding: the intake's checks (common.photos),
thumbnails on each page, served only to users who may see the record."""

import io

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import ExifTags, Image

from cases.models import CaseAttachment
from grids.models import Role
from tests.factories import HouseholdFactory, UserFactory, assign, case_in, log_visit
from tests.test_photos import named, photo_with_gps
from visits import models as visit_models
from visits import services as visit_services

pytestmark = pytest.mark.django_db


def _stored(photo) -> bytes:
    with photo.file.open("rb") as handle:
        return handle.read()


def _no_gps(data: bytes) -> bool:
    return not Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)


@pytest.fixture
def outsider(other_grid):
    user = UserFactory(username="outsider")
    assign(user, Role.GRID_WORKER, other_grid)
    return user


def test_resolve_with_photos_stores_them_re_encoded(client, grid, staff, worker):
    case = case_in("in_progress", grid, staff=staff, worker=worker)
    client.force_login(worker)
    html = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'name="resolve-photos"' in html
    assert 'enctype="multipart/form-data"' in html
    response = client.post(
        reverse("cases:act", args=[case.pk, "resolve"]),
        {
            "resolve-expected_status": "in_progress",
            "resolve-note": "已疏通下水道",
            "resolve-photos": [named(photo_with_gps(), "after.jpg")],
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "resolved"
    [photo] = CaseAttachment.objects.filter(case=case)
    assert (photo.original_name, photo.content_type, photo.uploaded_by) == ("after.jpg", "image/jpeg", worker)
    assert _no_gps(_stored(photo))
    assert not photo.file.name.endswith("after.jpg")  # a random name


def test_resolve_with_a_bad_photo_changes_nothing(client, grid, staff, worker):
    case = case_in("in_progress", grid, staff=staff, worker=worker)
    client.force_login(worker)
    response = client.post(
        reverse("cases:act", args=[case.pk, "resolve"]),
        {
            "resolve-expected_status": "in_progress",
            "resolve-note": "已疏通下水道",
            "resolve-photos": [named(b"MZ not a picture", "virus.jpg")],
        },
    )
    assert response.status_code == 400
    assert "“virus.jpg”不是照片" in response.content.decode()
    case.refresh_from_db()
    assert (case.status, case.attachments.count(), case.events.filter(action="resolve").count()) == (
        "in_progress",
        0,
        0,
    )


def test_visit_photos_are_re_encoded_shown_and_served_in_scope(client, grid, worker, outsider):
    household = HouseholdFactory(dwelling__building__grid=grid)
    visit = log_visit(household, worker, timezone.now())
    client.force_login(worker)
    response = client.post(
        reverse("visits:photo_add", args=[visit.pk]), {"files": [named(photo_with_gps(), "door.jpg")]}
    )
    assert response.status_code == 302
    [photo] = visit_models.RecordPhoto.objects.filter(visit=visit)
    assert _no_gps(_stored(photo))
    html = client.get(reverse("visits:detail", args=[visit.pk])).content.decode()
    assert f'<img src="{reverse("visits:photo", args=[photo.pk])}"' in html
    served = client.get(reverse("visits:photo", args=[photo.pk]))
    assert (served.status_code, served["Content-Type"]) == (200, "image/jpeg")
    b"".join(served.streaming_content)
    client.force_login(outsider)
    assert client.get(reverse("visits:photo", args=[photo.pk])).status_code == 404
    assert (
        client.post(
            reverse("visits:photo_add", args=[visit.pk]), {"files": [named(photo_with_gps(), "x.jpg")]}
        ).status_code
        == 404
    )


def test_visit_photo_that_is_not_a_photo_is_refused(client, grid, worker):
    household = HouseholdFactory(dwelling__building__grid=grid)
    visit = log_visit(household, worker, timezone.now())
    client.force_login(worker)
    response = client.post(
        reverse("visits:photo_add", args=[visit.pk]), {"files": [named(b"<svg/>", "a.jpg")]}, follow=True
    )
    assert "“a.jpg”不是照片" in response.content.decode()
    assert not visit_models.RecordPhoto.objects.exists()


def test_finding_photos_show_on_the_patrol_page(client, grid, worker, outsider):
    patrol = visit_services.patrol_log(
        grid=grid,
        worker=worker,
        started_at=timezone.now(),
        ended_at=None,
        route="测试路",
        notes="",
        findings=[visit_services.Finding(location="1号楼", description="井盖松动")],
    )
    finding = patrol.findings.get()
    client.force_login(worker)
    client.post(
        reverse("visits:finding_photo_add", args=[finding.pk]),
        {"files": [named(photo_with_gps(), "lid.jpg")]},
    )
    [photo] = visit_models.RecordPhoto.objects.filter(finding=finding)
    html = client.get(reverse("visits:patrol_detail", args=[patrol.pk])).content.decode()
    assert f'<img src="{reverse("visits:photo", args=[photo.pk])}"' in html
    client.force_login(outsider)
    assert client.get(reverse("visits:photo", args=[photo.pk])).status_code == 404
