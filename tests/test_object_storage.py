"""Attachments in S3-compatible object storage (common.storage, django-storages with boto3), against
moto's S3 server on loopback: a photo registered through the intake form lands in the bucket and nowhere
under MEDIA_ROOT, and comes back only through the portal's own attachment view, in the viewer's scope.
"""

import socket
import uuid
from pathlib import Path

import boto3
import pytest
from django.urls import reverse

from cases.models import Case, CaseAttachment
from common.storage import object_storage
from tests.factories import UserFactory, case_in
from tests.test_case_views import _intake_data
from tests.test_photos import named, photo_with_gps

pytestmark = pytest.mark.django_db

KEYS = {"access_key_id": "portal-test", "secret_access_key": "portal-test-secret", "region": "cn-north-1"}


@pytest.fixture(scope="session")
def s3_endpoint():
    """moto's S3 server in a thread of the test process, on a free loopback port."""
    from moto.server import ThreadedMotoServer

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, settings):
    """A fresh private bucket, and the portal's default storage pointed at it as settings do for
    PORTAL_S3_BUCKET and PORTAL_S3_ENDPOINT_URL. Returns a boto3 client and the bucket's name."""
    name = f"portal-{uuid.uuid4().hex[:12]}"
    s3 = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id=KEYS["access_key_id"],
        aws_secret_access_key=KEYS["secret_access_key"],
        region_name=KEYS["region"],
    )
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": KEYS["region"]})
    settings.STORAGES = {
        **settings.STORAGES,
        "default": object_storage(bucket=name, endpoint_url=s3_endpoint, addressing_style="path", **KEYS),
    }
    yield s3, name
    s3.close()


def _keys(s3, name: str) -> list[str]:
    return sorted(item["Key"] for item in s3.list_objects_v2(Bucket=name).get("Contents", []))


def test_an_intake_photo_is_stored_in_the_bucket_and_served_only_through_the_portal(
    client, bucket, grid, staff, settings
):
    s3, name = bucket
    client.force_login(staff)
    client.post(reverse("cases:new"), _intake_data(grid, attachments=[named(photo_with_gps(), "门口.jpg")]))
    attachment = CaseAttachment.objects.get(case=Case.objects.get())
    assert _keys(s3, name) == [attachment.file.name]
    in_bucket = s3.get_object(Bucket=name, Key=attachment.file.name)["Body"].read()
    assert in_bucket[:2] == b"\xff\xd8"  # the re-encoded JPEG
    assert b"Exif" not in in_bucket

    response = client.get(reverse("cases:attachment", args=[attachment.pk]))
    assert (response.status_code, response["Content-Type"]) == (200, "image/jpeg")
    assert b"".join(response.streaming_content) == in_bucket

    outsider = UserFactory()
    client.force_login(outsider)
    assert client.get(reverse("cases:attachment", args=[attachment.pk])).status_code == 404
    assert not Path(settings.MEDIA_ROOT).exists()  # nothing written to the local disk


def test_photos_kept_on_a_failed_intake_form_live_in_the_bucket_until_registered(
    client, bucket, grid, staff, settings
):
    s3, name = bucket
    client.force_login(staff)
    token = uuid.uuid4()
    data = _intake_data(grid, category="不存在的类别", submission_token=str(token))
    html = client.post(reverse("cases:new"), {**data, "attachments": [named(photo_with_gps(), "a.jpg")]})
    assert "已保留 1 张照片，无需重新选择" in html.content.decode()
    kept = _keys(s3, name)
    assert [key.rsplit("/", 1)[0] for key in kept] == [f"intake-pending/{staff.pk}/{token.hex}"] * 2

    client.post(reverse("cases:new"), {**data, "category": "环境卫生"})
    attachment = CaseAttachment.objects.get(case=Case.objects.get())
    assert _keys(s3, name) == [attachment.file.name]  # the kept folder is removed
    assert not Path(settings.MEDIA_ROOT).exists()


def test_a_missing_object_is_a_404_not_an_error(client, bucket, grid, staff, worker):
    s3, name = bucket
    case = case_in("dispatched", grid, staff=staff, worker=worker)
    client.force_login(worker)
    client.post(
        reverse("cases:attachment_add", args=[case.pk]), {"files": [named(photo_with_gps(), "x.jpg")]}
    )
    attachment = case.attachments.get()
    s3.delete_object(Bucket=name, Key=attachment.file.name)
    assert client.get(reverse("cases:attachment", args=[attachment.pk])).status_code == 404
