"""The triggers a migration keeps stored counts with (cases/0023_caseweektally and on): the migration writes
its statements for the database it runs on, `statements(vendor, zone, offset)` -> (create, drop, fill), and
`trigger_operation` runs them. The zone is the portal's TIME_ZONE when migrated, by name (PostgreSQL) and by
its UTC offset (SQLite, which knows no zones; Asia/Shanghai has no summer time)."""

import datetime
import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.db import migrations

Statements = Callable[[str, str, str], tuple[list[str], list[str], str]]


def _for(statements: Statements, connection) -> tuple[list[str], list[str], str]:
    zone = settings.TIME_ZONE
    minutes = int(datetime.datetime.now(zoneinfo.ZoneInfo(zone)).utcoffset().total_seconds() // 60)
    return statements(connection.vendor, zone, f"{minutes:+d} minutes")


def trigger_operation(statements: Statements) -> migrations.RunPython:
    """Create the triggers and fill the counts from the rows already there; drop the triggers going back."""

    def create(apps, schema_editor):
        create_sql, _drop, fill = _for(statements, schema_editor.connection)
        with schema_editor.connection.cursor() as cursor:
            for statement in [*create_sql, fill]:
                cursor.execute(statement)

    def drop(apps, schema_editor):
        _create, drop_sql, _fill = _for(statements, schema_editor.connection)
        with schema_editor.connection.cursor() as cursor:
            for statement in drop_sql:
                cursor.execute(statement)

    return migrations.RunPython(create, drop)
