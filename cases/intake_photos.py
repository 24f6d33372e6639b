"""Photos chosen on the intake form, kept while the form is drawn again with an error.

A browser never sends chosen files a second time, so the photos of a form that failed another check would
be lost. Each photo that passes cases.services.attachment_check is kept, re-encoded as it would be stored,
under the user and the form's one-time submission token (common.submissions); the form shows them as kept
thumbnails and sends the token back, and the registration takes them with the photos chosen anew. Nothing
is reachable by URL: the thumbnails are drawn inline. A registration removes its folder; folders older
than KEEP_FOR are removed whenever the user keeps photos again.
"""

import base64
import contextlib
import datetime
import io
import json
import os
import re
import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.utils import timezone
from PIL import Image

from .services import ATTACHMENTS_PER_CASE, attachment_check

ROOT = "intake-pending"
KEEP_FOR = datetime.timedelta(days=1)
MANIFEST = "photos.json"
THUMBNAIL_SIDE = 160
# The stored names attachment_check gives: a random hex name and the photo's type.
STORED_NAME = re.compile(r"^[0-9a-f]{32}\.(jpg|png|webp)$")


@dataclass(frozen=True)
class KeptPhoto:
    key: str  # the stored name, which the form sends back to drop the photo
    name: str  # as the user's file was named
    content_type: str
    thumbnail: str  # a data: URL


def _folder(user, token: uuid.UUID) -> str:
    return f"{ROOT}/{user.pk}/{token.hex}"


def _manifest(folder: str) -> list[dict]:
    try:
        with default_storage.open(f"{folder}/{MANIFEST}") as handle:
            entries = json.loads(handle.read())
    except (FileNotFoundError, ValueError):
        return []
    return [e for e in entries if isinstance(e, dict) and STORED_NAME.match(str(e.get("key", "")))]


def _write_manifest(folder: str, entries: list[dict]) -> None:
    path = f"{folder}/{MANIFEST}"
    if default_storage.exists(path):
        default_storage.delete(path)
    default_storage.save(path, ContentFile(json.dumps(entries, ensure_ascii=False).encode()))


def _thumbnail(data: bytes) -> str:
    with Image.open(io.BytesIO(data)) as image:
        image.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
        picture = image.convert("RGB")
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=70)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()


def kept(*, user, token: uuid.UUID | None) -> list[KeptPhoto]:
    """The photos kept for this user's form, in the order they were chosen."""
    if token is None:
        return []
    folder = _folder(user, token)
    photos = []
    for entry in _manifest(folder):
        try:
            with default_storage.open(f"{folder}/{entry['key']}") as handle:
                data = handle.read()
        except FileNotFoundError:
            continue
        photos.append(
            KeptPhoto(
                key=entry["key"],
                name=str(entry.get("name", ""))[:200],
                content_type=str(entry.get("type", "")),
                thumbnail=_thumbnail(data),
            )
        )
    return photos


def keep(*, user, token: uuid.UUID | None, uploads: list[UploadedFile], drop: list[str] = ()) -> list[str]:
    """Keep the uploads that are photos (beside those kept before, less the keys in `drop`); returns what
    was wrong with the others, which are not kept. Without a token nothing is kept."""
    if token is None:
        return []
    _clean_stale(user)
    folder = _folder(user, token)
    entries = [e for e in _manifest(folder) if e["key"] not in set(drop)]
    for key in set(drop):
        if STORED_NAME.match(key) and default_storage.exists(f"{folder}/{key}"):
            default_storage.delete(f"{folder}/{key}")
    problems = []
    for upload in uploads:
        if len(entries) >= ATTACHMENTS_PER_CASE:
            break
        try:
            photo = attachment_check(upload)
        except ValidationError as error:
            problems.extend(error.messages)
            continue
        key = photo.content.name
        default_storage.save(f"{folder}/{key}", photo.content)
        entries.append({"key": key, "name": (upload.name or "")[:200], "type": photo.content_type})
    _write_manifest(folder, entries)
    return problems


def files(*, user, token: uuid.UUID | None, drop: list[str] = ()) -> list[UploadedFile]:
    """The kept photos as files to register with (checked again, like any upload), less those in `drop`."""
    if token is None:
        return []
    folder = _folder(user, token)
    found = []
    for entry in _manifest(folder):
        if entry["key"] in drop:
            continue
        try:
            with default_storage.open(f"{folder}/{entry['key']}") as handle:
                data = handle.read()
        except FileNotFoundError:
            continue
        name = str(entry.get("name") or entry["key"])
        found.append(SimpleUploadedFile(name, data, str(entry.get("type", ""))))
    return found


def discard(*, user, token: uuid.UUID | None) -> None:
    """Remove the photos kept for this form (it was registered)."""
    if token is not None:
        _remove_folder(_folder(user, token))


def _remove_folder(folder: str) -> None:
    try:
        _dirs, names = default_storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in names:
        default_storage.delete(f"{folder}/{name}")
    # The file system keeps empty folders; other storages have none.
    with contextlib.suppress(NotImplementedError, OSError):
        os.rmdir(default_storage.path(folder))


def _clean_stale(user) -> None:
    """Remove the user's kept photos of forms left more than KEEP_FOR ago."""
    base = f"{ROOT}/{user.pk}"
    try:
        folders, _names = default_storage.listdir(base)
    except FileNotFoundError:
        return
    before = timezone.now() - KEEP_FOR
    for name in folders:
        folder = f"{base}/{name}"
        try:
            stale = default_storage.get_modified_time(f"{folder}/{MANIFEST}") < before
        except (FileNotFoundError, OSError):
            stale = True
        if stale:
            _remove_folder(folder)
