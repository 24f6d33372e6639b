"""Backups: the database as one pg_dump snapshot and the media files as a tar, with a manifest to check a
restore against (README, Backups; run by scripts/backup.sh and scripts/restore.sh).

A backup directory holds `db.dump` (pg_dump's custom format), `media.tar` (the media directory; photos are
already compressed, so it is not gzipped) and `manifest.json` (written last, so a directory without one is
an unfinished backup): each table's row count and every media file's size and SHA-256.

Order and consistency: the row counts are read in the very snapshot pg_dump dumps (exported from a
repeatable-read transaction), so they are exact. The media are archived after that snapshot. A photo's file
is written before its row commits, and the portal never deletes an attachment's file, so every row in the
dump finds its file in the tar; files written after the snapshot (rows the dump does not hold) come along
as harmless extras. The other order could lose files: rows committed between the tar and the dump.
"""

import datetime
import hashlib
import json
import os
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from django.apps import apps
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import connection, models, transaction

MANIFEST = "manifest.json"
DUMP = "db.dump"
MEDIA = "media.tar"
FORMAT = 1

# Connection options of a DATABASES entry that libpq also reads from the environment (the rest are
# Django's or psycopg's own and mean nothing to pg_dump).
LIBPQ_OPTIONS = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "options": "PGOPTIONS",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
}

TABLES_SQL = """
    SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'
    ORDER BY 1, 2
"""


class BackupError(Exception):
    """A backup or restore that must not go on, with what to do about it."""


def client_programs(given: str = "") -> Path:
    """The PostgreSQL client programs: as given, else the newest Debian's packages installed (not on
    PATH), else PATH's."""
    if given:
        return Path(given)
    installed = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda path: [int(part) for part in path.parent.name.split(".") if part.isdigit()],
    )
    if installed:
        return installed[-1]
    on_path = shutil.which("pg_dump")
    if on_path is None:
        raise BackupError("No pg_dump found: install the PostgreSQL client or pass --pg-bin.")
    return Path(on_path).parent


def _require_postgresql() -> None:
    if connection.vendor != "postgresql":
        raise BackupError("Backups are PostgreSQL's (pg_dump): set DATABASE_URL to a postgres:// URL.")


def libpq_environment() -> dict[str, str]:
    """PG* variables that point pg_dump and pg_restore at the default database.

    The password travels in the environment rather than on a command line that any user of the machine
    may list.
    """
    database = connection.settings_dict
    values = {
        "PGDATABASE": database["NAME"],
        "PGUSER": database["USER"],
        "PGPASSWORD": database["PASSWORD"],
        "PGHOST": database["HOST"],
        "PGPORT": str(database["PORT"] or ""),
    }
    for option, variable in LIBPQ_OPTIONS.items():
        if option in database.get("OPTIONS", {}):
            values[variable] = str(database["OPTIONS"][option])
    return {name: value for name, value in values.items() if value}


def _run(command: list[str]) -> None:
    # PG* variables of the caller's shell are dropped: one left over (PGHOST) must not point the command at
    # another server than the portal's.
    inherited = {name: value for name, value in os.environ.items() if not name.startswith("PG")}
    completed = subprocess.run(
        command, env={**inherited, **libpq_environment()}, capture_output=True, text=True
    )
    if completed.returncode:
        raise BackupError(f"{Path(command[0]).name} failed:\n{completed.stderr.strip()}")


def table_counts() -> dict[str, int]:
    """Every table's row count, as `schema.table`, in the current transaction's snapshot."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(TABLES_SQL)
        tables = cursor.fetchall()
        counts = {}
        for schema, table in tables:
            cursor.execute(f"SELECT count(*) FROM {quote(schema)}.{quote(table)}")
            counts[f"{schema}.{table}"] = cursor.fetchone()[0]
    return counts


def _local_media_root() -> Path | None:
    """The media directory, or None when the files are kept elsewhere (object storage: README)."""
    if isinstance(default_storage, FileSystemStorage):  # the lazy default storage answers for its class
        return Path(default_storage.location)
    return None


class _Hashing:
    """A file read once, for the tar and its SHA-256 together."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle, self.digest = handle, hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.digest.update(data)
        return data


def _media_files(root: Path) -> Iterator[Path]:
    if root.is_dir():
        yield from sorted(path for path in root.rglob("*") if path.is_file() and not path.is_symlink())


def _archive_media(root: Path, archive: Path) -> list[dict]:
    files = []
    with tarfile.open(archive, "w") as tar:
        for path in _media_files(root):
            name = path.relative_to(root).as_posix()
            info = tar.gettarinfo(path, arcname=name)
            with path.open("rb") as handle:
                hashing = _Hashing(handle)
                tar.addfile(info, hashing)
            files.append({"path": name, "size": info.size, "sha256": hashing.digest.hexdigest()})
    return files


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def backup_create(*, directory: Path, pg_bin: Path) -> dict:
    """Dump the database, archive the media and write the manifest into a new directory."""
    _require_postgresql()
    directory.mkdir(parents=True, exist_ok=False, mode=0o700)
    created_at = datetime.datetime.now(datetime.UTC)
    # One snapshot for pg_dump and the row counts: it stays exported while this transaction is open.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        _run(
            [
                str(pg_bin / "pg_dump"),
                "--format=custom",
                f"--snapshot={snapshot}",
                f"--file={directory / DUMP}",
            ]
        )
        tables = table_counts()
    root = _local_media_root()
    storage = default_storage.__class__
    media: dict = {"archive": None, "files": None, "storage": f"{storage.__module__}.{storage.__qualname__}"}
    if root is not None:
        media = {"archive": MEDIA, "files": _archive_media(root, directory / MEDIA)}
    manifest = {
        "format": FORMAT,
        "created_at": created_at.isoformat(timespec="seconds"),
        "database": {"dump": DUMP, "sha256": _sha256(directory / DUMP), "tables": tables},
        "media": media,
    }
    partial = directory / f"{MANIFEST}.partial"
    partial.write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
    partial.rename(directory / MANIFEST)
    return manifest


def manifest_read(directory: Path) -> dict:
    path = directory / MANIFEST
    if not path.is_file():
        raise BackupError(f"{directory} has no {MANIFEST}: not a backup, or one that did not finish.")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: unknown manifest format {manifest.get('format')!r}.")
    return manifest


def backup_restore(*, directory: Path, pg_bin: Path) -> None:
    """Restore a backup into the default database, which must be empty, and its media into an empty media
    directory; all of the database or none of it (one transaction)."""
    _require_postgresql()
    manifest = manifest_read(directory)
    if _sha256(directory / DUMP) != manifest["database"]["sha256"]:
        raise BackupError(f"{directory / DUMP} is not the file the manifest describes (SHA-256 differs).")
    with connection.cursor() as cursor:
        cursor.execute(TABLES_SQL)
        if cursor.fetchone() is not None:
            raise BackupError("The database to restore into has tables: restore into a new, empty database.")
    root = _local_media_root()
    if manifest["media"]["archive"] and root is not None and any(_media_files(root)):
        raise BackupError(f"The media directory {root} has files: restore into an empty one.")
    # Owners and grants are the old server's: the restoring user owns everything restored.
    _run(
        [
            str(pg_bin / "pg_restore"),
            "--no-owner",
            "--no-acl",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={connection.settings_dict['NAME']}",
            str(directory / DUMP),
        ]
    )
    if manifest["media"]["archive"] and root is not None:
        root.mkdir(parents=True, exist_ok=True)
        with tarfile.open(directory / manifest["media"]["archive"]) as tar:
            tar.extractall(root, filter="data")  # refuses absolute paths, `..` and devices


@dataclass
class CheckReport:
    tables: int
    rows: int
    media_files: int
    attachments: int
    problems: list[str]


def _file_fields() -> Iterator[tuple[type[models.Model], models.FileField]]:
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, models.FileField):
                yield model, field


def backup_check(*, directory: Path) -> CheckReport:
    """Compare the default database and media with a backup's manifest: every table's row count, every
    archived file (size and SHA-256), and every row's attachment found in storage."""
    _require_postgresql()
    manifest = manifest_read(directory)
    problems = []
    expected = manifest["database"]["tables"]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        found = table_counts()
    for table in sorted(expected.keys() | found.keys()):
        if table not in found:
            problems.append(f"table {table}: missing")
        elif table not in expected:
            problems.append(f"table {table}: not in the backup")
        elif found[table] != expected[table]:
            problems.append(f"table {table}: {found[table]} rows, the backup has {expected[table]}")
    root = _local_media_root()
    archived = manifest["media"]["files"] or []
    if root is not None:
        for entry in archived:
            path = root / entry["path"]
            if not path.is_file():
                problems.append(f"media {entry['path']}: missing")
            elif path.stat().st_size != entry["size"] or _sha256(path) != entry["sha256"]:
                problems.append(f"media {entry['path']}: differs from the backup")
    attachments = 0
    for model, field in _file_fields():
        for name in model._default_manager.values_list(field.attname, flat=True).iterator():
            if not name:
                continue
            attachments += 1
            if not field.storage.exists(name):
                problems.append(f"{model._meta.label}.{field.name} {name}: file missing")
    return CheckReport(
        tables=len(found),
        rows=sum(found.values()),
        media_files=len(archived),
        attachments=attachments,
        problems=problems,
    )
