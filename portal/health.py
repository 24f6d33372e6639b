"""What the health endpoints check: the database answers, every migration is applied, the worker keeps up.

Each check answers True or False and logs why it failed (the type of the error only; the handlers' filter
withholds values anyway): the endpoints answer nothing but ok or unavailable, so a prober learns nothing
about the servers behind them (README, Running in production).
"""

import datetime
import logging

from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Q
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

logger = logging.getLogger("portal.health")

# Once every migration was found applied it stays so for this process (migrations are applied before a
# new release's servers start and never unapplied under them), so later probes skip reading the
# migration files and the django_migrations table: a probe costs one query.
_migrations_complete = False


def database_reachable() -> bool:
    """The default database answers a query (a new connection is made if the old one was lost)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # any failure to connect or query means: do not send requests here
        logger.warning("health: database unreachable (%s)", type(error).__name__)
        return False
    return True


def migrations_applied() -> bool:
    """No migration of the code this process runs is waiting to be applied to the database."""
    global _migrations_complete
    if _migrations_complete:
        return True
    try:
        executor = MigrationExecutor(connection)
        waiting = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as error:
        logger.warning("health: migrations could not be read (%s)", type(error).__name__)
        return False
    if waiting:
        logger.warning("health: %d migrations not applied", len(waiting))
        return False
    _migrations_complete = True
    return True


def worker_keeping_up(now: datetime.datetime | None = None) -> bool:
    """No task has been ready to run for longer than PORTAL_HEALTH_WORKER_MAX_AGE without a worker taking it.

    django-tasks-db keeps no heartbeat: an idle worker writes nothing, so "seen recently" can only be told
    from the queue. A task is ready from when it was queued (or from its `run_after`, for a retry set for
    later); a running worker takes it within a second (`db_worker --interval`). So a task waiting longer
    than the limit means no worker is running (or all are stuck). An empty queue says nothing either way
    and counts as healthy: nothing is owed until a task is queued, and the first one left waiting is
    noticed within the limit.
    """
    now = now or timezone.now()
    waiting_since = now - datetime.timedelta(seconds=settings.PORTAL_HEALTH_WORKER_MAX_AGE)
    try:
        late = (
            DBTaskResult.objects.ready()
            .filter(
                Q(run_after=get_date_max(), enqueued_at__lt=waiting_since) | Q(run_after__lt=waiting_since)
            )
            .exists()
        )
    except Exception as error:
        logger.warning("health: task queue could not be read (%s)", type(error).__name__)
        return False
    if late:
        logger.warning(
            "health: a task has waited over %ss for a worker", settings.PORTAL_HEALTH_WORKER_MAX_AGE
        )
    return not late
