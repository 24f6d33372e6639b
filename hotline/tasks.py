"""Background work: delivering the updates owed to the 12345 platform (django.tasks, run by `manage.py
db_worker` from django-tasks-db). Task functions are module-level, as the framework requires."""

import datetime

from django.tasks import task

from . import services


@task()
def deliver_update(update_id: int) -> str:
    """Try one update; when it failed with tries left, queue the next try at its backoff time."""
    update = services.update_deliver(update_id=update_id)
    if update is None:
        return "skipped"
    if update.delivered_at is None and update.next_attempt_at is not None:
        enqueue_delivery(update.pk, run_after=update.next_attempt_at)
    return update.state


def enqueue_delivery(update_id: int, *, run_after: datetime.datetime | None = None) -> None:
    if run_after is not None:
        deliver_update.using(run_after=run_after).enqueue(update_id)
    else:
        deliver_update.enqueue(update_id)
