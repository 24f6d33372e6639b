"""How the generator writes: rows with their ids in bulk (COPY on PostgreSQL), foreign keys checked once.

The big tables are loaded with COPY after dropping their foreign keys (`foreign_keys_dropped`), and the keys
are added back from their own definitions at the end, where PostgreSQL checks each key once over all rows.
SQLite gets plain INSERTs (slow, but enough for a small demo).
"""

import contextlib
from collections.abc import Iterable

from django.core.management.color import no_style
from django.db import connection, models
from django.utils import timezone


class Loader:
    """Writes rows of one run and counts them by model."""

    def __init__(self) -> None:
        self.postgres = connection.vendor == "postgresql"
        # What auto_now(_add) would store, adapted once for the database at hand.
        self.clock_now = timezone.now()
        self.now = connection.ops.adapt_datetimefield_value(self.clock_now)
        self.added: dict[type[models.Model], int] = {}

    def next_id(self, model: type[models.Model]) -> int:
        """The first free id of a table; ids are assigned here so rows can refer to each other."""
        if self.postgres:
            with connection.cursor() as cursor:
                # No other writer may take ids between here and the end of this run.
                cursor.execute(f"LOCK TABLE {model._meta.db_table} IN EXCLUSIVE MODE")
        return (model.objects.aggregate(m=models.Max("id"))["m"] or 0) + 1

    def insert_select(self, model: type[models.Model], sql: str, params: list) -> None:
        """Rows made by the database from rows already there (INSERT ... SELECT); ids from the sequence."""
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            count = cursor.rowcount
        self.added[model] = self.added.get(model, 0) + count

    def insert(self, model: type[models.Model], columns: tuple[str, ...], rows: Iterable[tuple]) -> None:
        """Write rows (ids included) with COPY on PostgreSQL, INSERT elsewhere; then move the id sequence."""
        table = model._meta.db_table
        count = 0
        with connection.cursor() as cursor:
            if self.postgres:
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                        count += 1
            else:
                placeholders = ", ".join(["%s"] * len(columns))
                sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"
                batch = list(rows)
                cursor.executemany(sql, batch)
                count = len(batch)
            for statement in connection.ops.sequence_reset_sql(no_style(), [model]):
                cursor.execute(statement)
        self.added[model] = self.added.get(model, 0) + count


@contextlib.contextmanager
def indexes_dropped(table: str):
    """Drop a PostgreSQL table's secondary indexes for a bulk load, then rebuild each from its definition.

    Building an index once over the loaded rows costs a fraction of updating it row by row: the residents'
    name-search index alone 11 s against 22 s for 1.3 million rows, and with the identity columns' blind
    indexes and parts (six B-trees over random hashes) updating them doubled the residents' load. An index
    that backs a unique constraint is dropped and added back through its constraint, which checks the rows.
    The primary key stays.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.relname, con.conname, pg_get_constraintdef(con.oid), pg_get_indexdef(i.oid) "
            "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "LEFT JOIN pg_constraint con ON con.conindid = x.indexrelid AND con.conrelid = x.indrelid "
            "WHERE x.indrelid = %s::regclass AND NOT x.indisprimary ORDER BY i.relname",
            [table],
        )
        indexes = cursor.fetchall()
        for name, constraint, _constraint_definition, _definition in indexes:
            if constraint:
                cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {constraint}")
            else:
                cursor.execute(f"DROP INDEX {name}")
    yield
    with connection.cursor() as cursor:
        for _name, constraint, constraint_definition, definition in indexes:
            if constraint:
                cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {constraint} {constraint_definition}")
            else:
                cursor.execute(definition)


@contextlib.contextmanager
def foreign_keys_dropped(*tables: str):
    """Drop the foreign keys of PostgreSQL tables for a bulk load, then add them back from their definitions.

    Checking each row's keys as it is copied costs more than the copy itself (about 3 of 7 seconds for
    the cases of 50,000 households); adding a key back checks every row in one join.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s) ORDER BY conrelid, conname",
            [list(tables)],
        )
        keys = cursor.fetchall()
        for table, name, _definition in keys:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
    yield
    with connection.cursor() as cursor:
        for table, name, definition in keys:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
