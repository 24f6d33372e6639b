"""Reads that may come from the read replica: the leaders' dashboard, the monthly report and exports.

When DATABASE_REPLICA_URL is set, settings add the `replica` database and `ReplicaRouter`. A view marked
`@reads_from_replica` reads from the replica, so a district's heaviest aggregates do not compete with the
workers' writes on the primary; every other read, and every write, goes to the primary. Inside such a view
a read after the request's own first write (the export's record, a refreshed visit schedule) and a read
inside a transaction (a throttle counted under a lock) go to the primary too, so a request never reads
around what it has just written. The replica's figures may be a few seconds old: `replica_as_of` says how
old, for the page to show.
"""

import contextvars
import datetime
import functools
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"


@dataclass
class _Reading:
    wrote: bool = False


# Set for the length of one marked view; a contextvar, so threads and async tasks each have their own.
_reading: contextvars.ContextVar[_Reading | None] = contextvars.ContextVar("replica_reading", default=None)


def reads_from_replica(view):
    """Mark a view whose reads may come from the replica (a no-op without one: no router is installed)."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        token = _reading.set(_Reading())
        try:
            return view(request, *args, **kwargs)
        finally:
            _reading.reset(token)

    return wrapped


def replica_configured() -> bool:
    return REPLICA in connections.settings


def reading_from_replica() -> bool:
    """Whether a read made now goes to the replica."""
    reading = _reading.get()
    return (
        reading is not None
        and not reading.wrote
        and replica_configured()
        # A read inside a transaction is part of a write (e.g. counting under a lock): the primary.
        and not connections[DEFAULT_DB_ALIAS].in_atomic_block
    )


def replica_as_of() -> datetime.datetime | None:
    """The time the replica's data is as of, while reads come from it: now when it has replayed all it
    received, else its last replayed commit (replay behind or paused). None when reads go to the primary."""
    if not reading_from_replica():
        return None
    with connections[REPLICA].cursor() as cursor:
        cursor.execute(
            "SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN now()"
            " ELSE pg_last_xact_replay_timestamp() END"
        )
        return cursor.fetchone()[0]


class ReplicaRouter:
    """The `replica` for reads inside a `@reads_from_replica` view (see `reading_from_replica`); the
    primary for everything else. Migrations run on the primary only: the replica copies its schema."""

    def db_for_read(self, model, **hints) -> str:
        return REPLICA if reading_from_replica() else DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints) -> str:
        if (reading := _reading.get()) is not None:
            reading.wrote = True  # from now on this request reads its own writes, from the primary
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # one database, two copies of it

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool:
        return db == DEFAULT_DB_ALIAS
