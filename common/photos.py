"""Photos as they are stored: the one check every upload goes through (case attachments, visit and patrol
photos), whatever the app. It knows no domain: the caller says where the file goes and who may see it.
"""

import io
import uuid
import warnings
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

# Photos only, as phones take them; Pillow reads the file to tell its real type, whatever its name says.
PHOTO_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
PHOTO_EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
PHOTO_MAX_BYTES = 5 * 1024 * 1024
# A phone's photo has 12 to 50 million pixels; a file claiming more is refused before it is decoded
# (a few kilobytes of PNG can claim a picture that takes gigabytes to decode).
PHOTO_MAX_PIXELS = 50_000_000
# Stored photos are shrunk to this longest side: enough to read a meter or a crack on a wall.
PHOTO_MAX_SIDE = 2560
_SRGB = ImageCms.createProfile("sRGB")


@dataclass(frozen=True)
class Photo:
    """An uploaded photo as it is stored: re-encoded, without its metadata or anything appended to it."""

    content: ContentFile
    content_type: str


def _not_a_photo(upload: UploadedFile) -> ValidationError:
    return ValidationError(_("“%(name)s”不是照片：只接受 JPEG、PNG 或 WebP 图片。") % {"name": upload.name})


def _too_many_pixels(upload: UploadedFile) -> ValidationError:
    return ValidationError(
        _("“%(name)s”的像素过多（超过 %(max)d 万像素）：请用相机的普通模式拍摄，或缩小后再上传。")
        % {"name": upload.name, "max": PHOTO_MAX_PIXELS // 10_000}
    )


def _in_srgb(image: Image.Image) -> Image.Image:
    """The picture in sRGB, so the stored file needs no colour profile (a profile can carry any bytes)."""
    profile = image.info.get("icc_profile")
    if not profile or image.mode not in ("RGB", "RGBA"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        return ImageCms.profileToProfile(image, source, _SRGB, outputMode=image.mode) or image
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image  # an unreadable profile: the colours as they are


def photo_check(upload: UploadedFile) -> Photo:
    """The photo to store, re-encoded, or a ValidationError saying what is wrong with the file.

    Pillow reads the file to tell its real type, whatever its name says. The picture is turned upright
    (EXIF orientation), shrunk to PHOTO_MAX_SIDE and saved afresh: the location and camera
    details in its EXIF, any other metadata and any bytes appended after the picture are not kept.
    """
    size = upload.size or 0
    if size > PHOTO_MAX_BYTES:
        raise ValidationError(
            _("“%(name)s”有 %(size).1f MB，照片不能超过 %(max)d MB。")
            % {"name": upload.name, "size": size / 2**20, "max": PHOTO_MAX_BYTES // 2**20}
        )
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            # Pillow's own bomb warning: the pixel count is checked below, against a lower limit.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(upload)
    except Image.DecompressionBombError:
        raise _too_many_pixels(upload) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise _not_a_photo(upload) from None
    with image:
        kind = image.format
        if kind not in PHOTO_TYPES:
            raise _not_a_photo(upload)
        if image.width * image.height > PHOTO_MAX_PIXELS:
            raise _too_many_pixels(upload)
        try:
            if kind == "JPEG":
                # Decode a large JPEG at a half, quarter or eighth of its size: no more than is kept.
                image.draft(None, (PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
            image.load()
            picture = ImageOps.exif_transpose(image)
            picture.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
            picture = _in_srgb(picture)
            if kind == "JPEG" and picture.mode not in ("RGB", "L"):
                picture = picture.convert("RGB")
            # Pillow carries some of what it read over to what it writes (a JPEG comment, a PNG's colour
            # profile): keep only the transparency, which is part of the picture.
            picture.info = {k: v for k, v in picture.info.items() if k == "transparency"}
            buffer = io.BytesIO()
            options = {"JPEG": {"quality": 85}, "WEBP": {"quality": 85}, "PNG": {}}[kind]
            picture.save(buffer, format=kind, **options)
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
            raise _not_a_photo(upload) from None  # truncated or damaged
        finally:
            upload.seek(0)
    name = f"{uuid.uuid4().hex}.{PHOTO_EXTENSIONS[kind]}"
    return Photo(content=ContentFile(buffer.getvalue(), name=name), content_type=PHOTO_TYPES[kind])


def photos_check(uploads, *, field: str, most: int) -> list[tuple[UploadedFile, Photo]]:
    """Each upload with its checked photo, or a ValidationError on `field` (too many, or what is wrong)."""
    uploads = list(uploads)
    if len(uploads) > most:
        raise ValidationError({field: [_("每件最多上传 %(n)d 张照片。") % {"n": most}]})
    checked = []
    for upload in uploads:
        try:
            checked.append((upload, photo_check(upload)))
        except ValidationError as error:
            raise ValidationError({field: error.messages}) from None
    return checked
