"""Back up the database and media, restore them into an empty database, and check a restore against the
backup's manifest (portal/backups.py; scripts/backup.sh and scripts/restore.sh run it; README, Backups)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from portal import backups


class Command(BaseCommand):
    help = "Back up (create), restore into an empty database (restore), or check a restore (check)."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        for action, text in [
            ("create", "dump the database and archive the media into a new directory"),
            ("restore", "restore a backup into the (empty) database and media directory, then check it"),
            ("check", "compare the database and media with a backup's manifest"),
        ]:
            command = sub.add_parser(action, help=text)
            command.add_argument("directory", type=Path)
            if action != "check":
                command.add_argument("--pg-bin", default="", help="the PostgreSQL client programs' directory")

    def handle(self, *args, action: str, directory: Path, pg_bin: str = "", **options) -> None:
        try:
            if action == "create":
                manifest = backups.backup_create(directory=directory, pg_bin=backups.client_programs(pg_bin))
                tables = manifest["database"]["tables"]
                files = manifest["media"]["files"]
                media = (
                    f"{len(files)} media files"
                    if files is not None
                    else "media in object storage, not copied"
                )
                self.stdout.write(
                    f"Backed up {len(tables)} tables, {sum(tables.values())} rows, {media}: {directory}"
                )
                return
            if action == "restore":
                backups.backup_restore(directory=directory, pg_bin=backups.client_programs(pg_bin))
            report = backups.backup_check(directory=directory)
        except backups.BackupError as error:
            raise CommandError(str(error)) from None
        summary = (
            f"{report.tables} tables, {report.rows} rows, {report.media_files} media files, "
            f"{report.attachments} attachments"
        )
        if report.problems:
            listed = "\n".join(report.problems[:50])
            more = f"\n… and {len(report.problems) - 50} more" if len(report.problems) > 50 else ""
            raise CommandError(f"The database or media differ from the backup ({summary}):\n{listed}{more}")
        self.stdout.write(f"Matches the backup: {summary}.")
