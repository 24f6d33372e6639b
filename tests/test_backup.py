"""Backup and restore end to end, through the scripts an operator runs: records of several apps and a
case's photo are backed up, restored into a new database and media directory, and found there, every
table with the row count it had. A restore refuses a database that has tables, and the check finds a
missing file (in this process: each script starts Django, seconds on this machine)."""

import datetime
import io
import json
import os
import subprocess
import time
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection
from django.utils import timezone
from PIL import Image

from cases import services as case_services
from cases.models import CaseAttachment
from portal import backups
from tests.factories import ResidentFactory, case_in, log_visit
from tests.volunteer_factories import volunteer_in

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [
    # Committed data: pg_dump, in another process, sees only what is committed.
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="backups are pg_dump's"),
]


def _url(name: str) -> str:
    database = connection.settings_dict
    user, password = quote(database["USER"], safe=""), quote(database["PASSWORD"], safe="")
    return f"postgres://{user}:{password}@{database['HOST']}:{database['PORT']}/{name}"


def _run(script: list[str], *, database: str, media: Path) -> subprocess.CompletedProcess:
    environment = {**os.environ, "DATABASE_URL": _url(database), "DJANGO_MEDIA_ROOT": str(media)}
    return subprocess.run(script, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120)


def _counts(name: str) -> dict[str, int]:
    """Every table's row count in the database `name`, read by a connection of its own."""
    database = connection.settings_dict
    with (
        psycopg.connect(
            host=database["HOST"],
            port=database["PORT"],
            user=database["USER"],
            password=database["PASSWORD"],
            dbname=name,
        ) as own,
        own.cursor() as cursor,
    ):
        cursor.execute(backups.TABLES_SQL)
        tables = cursor.fetchall()
        counts = {}
        for schema, table in tables:
            cursor.execute(f'SELECT count(*) FROM "{schema}"."{table}"')
            counts[f"{schema}.{table}"] = cursor.fetchone()[0]
    return counts


@pytest.fixture
def restore_database():
    """A new, empty database beside the test database, dropped afterwards."""
    name = f"{connection.settings_dict['NAME']}_restored"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield name
    _drop(name)


def _drop(name: str) -> None:
    """Drop the restored database. FORCE cannot end an autovacuum worker (a superuser's process) that
    started on the freshly restored tables; it is done within seconds, so the drop is tried again."""
    for attempt in range(20):
        try:
            with connection.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except DatabaseError:
            if attempt == 19:
                raise
            time.sleep(1)


def _photo() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "green").save(buffer, format="PNG")
    return SimpleUploadedFile("楼道.png", buffer.getvalue(), content_type="image/png")


def _records(grid, staff, worker) -> CaseAttachment:
    """Some of every part: residents, a visit, a volunteer, a case with its timeline and a photo."""
    residents = [ResidentFactory(household__dwelling__building__grid=grid) for _ in range(3)]
    log_visit(residents[0].household, worker, timezone.now() - datetime.timedelta(hours=2))
    volunteer_in(grid.community)
    case = case_in("in_progress", grid, staff=staff, worker=worker)
    (attachment,) = case_services.attachments_add(case=case, actor=worker, files=[_photo()])
    return attachment


def test_a_backup_restores_into_a_new_database_with_every_row_and_attachment(
    grid, staff, worker, restore_database, tmp_path
):
    attachment = _records(grid, staff, worker)
    source_media = Path(settings.MEDIA_ROOT)
    photo = (source_media / attachment.file.name).read_bytes()
    backup_dir, restored_media = tmp_path / "backup", tmp_path / "restored-media"

    made = _run(
        ["scripts/backup.sh", str(backup_dir)], database=connection.settings_dict["NAME"], media=source_media
    )
    assert made.returncode == 0, made.stderr
    restored = _run(["scripts/restore.sh", str(backup_dir)], database=restore_database, media=restored_media)
    assert restored.returncode == 0, restored.stderr

    manifest = json.loads((backup_dir / "manifest.json").read_text(encoding="utf-8"))
    source_counts = _counts(connection.settings_dict["NAME"])
    assert manifest["database"]["tables"] == source_counts
    assert _counts(restore_database) == source_counts
    assert source_counts[f"public.{CaseAttachment._meta.db_table}"] == 1
    assert source_counts["public.residents_resident"] == 3
    assert (restored_media / attachment.file.name).read_bytes() == photo
    assert [entry["path"] for entry in manifest["media"]["files"]] == [attachment.file.name]
    assert "Matches the backup" in restored.stdout
    # It holds every resident's record: readable by the user who made it alone.
    modes = {path.name: path.stat().st_mode & 0o777 for path in [backup_dir, *backup_dir.iterdir()]}
    assert modes == {"backup": 0o700, "db.dump": 0o600, "media.tar": 0o600, "manifest.json": 0o600}


def test_a_restore_refuses_a_database_with_tables_and_the_check_finds_a_missing_file(
    grid, staff, worker, tmp_path
):
    attachment = _records(grid, staff, worker)
    backup_dir = tmp_path / "backup"
    backups.backup_create(directory=backup_dir, pg_bin=backups.client_programs())

    with pytest.raises(backups.BackupError, match="has tables"):
        backups.backup_restore(directory=backup_dir, pg_bin=backups.client_programs())
    assert backups.backup_check(directory=backup_dir).problems == []
    (Path(settings.MEDIA_ROOT) / attachment.file.name).unlink()

    assert backups.backup_check(directory=backup_dir).problems == [
        f"media {attachment.file.name}: missing",
        f"cases.CaseAttachment.file {attachment.file.name}: file missing",
    ]
