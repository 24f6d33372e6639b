"""Case photos are re-encoded on upload: upright, no EXIF (no location), nothing appended kept, no
picture larger than the portal needs, and a file claiming more pixels than a photo has is refused."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import ExifTags, Image

from cases import services
from cases.models import Case, CaseAttachment
from tests.factories import case_in
from tests.test_case_views import _intake_data
from tests.test_case_workflow import _png_claiming

pytestmark = pytest.mark.django_db

GPS = {
    ExifTags.GPS.GPSLatitudeRef: "N",
    ExifTags.GPS.GPSLatitude: (36.0, 3.0, 40.0),
    ExifTags.GPS.GPSLongitudeRef: "E",
    ExifTags.GPS.GPSLongitude: (103.0, 49.0, 12.0),
}


def named(data: bytes, name: str) -> io.BytesIO:
    buffer = io.BytesIO(data)
    buffer.name = name
    return buffer


def photo_with_gps(size=(60, 40), orientation: int = 1) -> bytes:
    """A phone photo: EXIF with the place it was taken, the camera, and how to turn it upright."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Orientation] = orientation
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(GPS)
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, format="JPEG", exif=exif.tobytes(), comment=b"home of Zhang")
    return buffer.getvalue()


def stored(attachment: CaseAttachment) -> bytes:
    with attachment.file.open("rb") as handle:
        return handle.read()


@pytest.fixture
def case(grid, staff, worker):
    return case_in("dispatched", grid, staff=staff, worker=worker)


def add(client, case, upload):
    return client.post(reverse("cases:attachment_add", args=[case.pk]), {"files": [upload]}, follow=True)


def test_a_photo_is_stored_without_its_exif_location_and_upright(client, case, worker):
    original = photo_with_gps(size=(60, 40), orientation=6)  # taken with the phone on its side
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    client.force_login(worker)
    add(client, case, named(original, "门口.jpg"))
    attachment = case.attachments.get()
    content = stored(attachment)
    picture = Image.open(io.BytesIO(content))
    assert (picture.format, attachment.content_type, attachment.original_name) == (
        "JPEG",
        "image/jpeg",
        "门口.jpg",
    )
    assert picture.size == (40, 60)  # turned upright by its orientation, then saved without it
    assert dict(picture.getexif()) == {}
    assert b"Exif" not in content
    assert b"PhoneMaker" not in content
    assert b"home of Zhang" not in content
    assert attachment.size == len(content)


def test_bytes_appended_after_the_picture_are_not_stored(client, case, worker):
    picture = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(picture, format="PNG")
    appended = b"PK\x03\x04<?php system($_GET['c']); ?>"
    client.force_login(worker)
    add(client, case, named(picture.getvalue() + appended, "photo.png"))
    content = stored(case.attachments.get())
    assert content.startswith(b"\x89PNG")
    assert b"<?php" not in content
    assert content.endswith(b"IEND\xaeB`\x82")  # the file ends where the picture does


def test_a_large_photo_is_shrunk_to_the_longest_side(client, case, worker):
    big = io.BytesIO()
    Image.new("RGB", (4000, 1000), "blue").save(big, format="JPEG")
    client.force_login(worker)
    add(client, case, named(big.getvalue(), "wall.jpg"))
    assert Image.open(io.BytesIO(stored(case.attachments.get()))).size == (2560, 640)


@pytest.mark.parametrize(
    "content",
    [
        # A real 64-million-pixel picture, 8 KB on disk: decoding it would take 64 MB and more.
        pytest.param(lambda: _saved(Image.new("1", (8000, 8000)), "PNG"), id="64-megapixels"),
        # A header claiming 400 million pixels: past Pillow's own limit too.
        pytest.param(lambda: _png_claiming(20_000, 20_000), id="400-megapixels"),
    ],
)
def test_a_picture_with_too_many_pixels_is_refused(client, case, worker, content):
    data = content()
    assert len(data) < 100 * 1024
    client.force_login(worker)
    response = add(client, case, named(data, "bomb.png"))
    assert "“bomb.png”的像素过多（超过 5000 万像素）：请用相机的普通模式拍摄，或缩小后再上传。" in (
        response.content.decode()
    )
    assert case.attachments.count() == 0


def _saved(image: Image.Image, kind: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=kind)
    return buffer.getvalue()


def test_intake_photos_are_re_encoded_too(client, grid, staff):
    client.force_login(staff)
    client.post(reverse("cases:new"), _intake_data(grid, attachments=[named(photo_with_gps(), "a.jpg")]))
    content = stored(Case.objects.get().attachments.get())
    assert b"Exif" not in content
    assert Image.open(io.BytesIO(content)).size == (60, 40)


def test_a_truncated_photo_is_refused_as_not_a_photo():
    data = photo_with_gps(size=(200, 200))
    with pytest.raises(services.ValidationError) as error:
        services.attachment_check(SimpleUploadedFile("half.jpg", data[: len(data) // 2]))
    assert error.value.messages == ["“half.jpg”不是照片：只接受 JPEG、PNG 或 WebP 图片。"]
