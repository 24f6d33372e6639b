"""Every write to notifications: who is told of a case's move or a 紧急 visit, marking read, acknowledging.

notifications.receivers calls the first two from the signals cases and visits send inside their own
transactions, so a notification is written with its action or not at all.
"""

import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Action, Case, CaseEvent, Channel
from cases.permissions import is_desk, is_requester_actor
from grids.roles import CASE_WORKER_ROLES, DESK_ROLES, STREET_ROLES, Role
from grids.selectors import users_serving
from visits.models import Visit

from .models import Kind, Notification, VisitAlert

TEXT_LENGTH = Notification._meta.get_field("text").max_length
# The grid's leader and the community's desk hear of a 紧急 visit at once (issue 15, item 2).
URGENT_VISIT_ROLES = DESK_ROLES | {Role.GRID_LEADER}


def _ids(users: QuerySet) -> set[int]:
    return set(users.values_list("pk", flat=True))


# Requests that arrive without anyone of the desk writing them down: the desk hears of them at once.
OUTSIDE_CHANNELS = frozenset({Channel.ONLINE, Channel.HOTLINE})
# What the requester writes on the tracking page is theirs: the notification names the kind, not the text.
WITHOUT_TEXT = frozenset({Kind.NEW_REQUEST, Kind.SUPPLEMENTED, Kind.RATED})


def _case_recipients(case: Case, action: str, actor) -> tuple[str, set[int]] | None:
    """The kind of notification this move of the case gives, and whom it tells; None for no one."""
    desk = lambda: _ids(users_serving(case.grid, DESK_ROLES))  # noqa: E731 (asked only where needed)
    if action == Action.REGISTER:
        return (Kind.NEW_REQUEST, desk()) if case.channel in OUTSIDE_CHANNELS else None
    if action == Action.SUPPLEMENT:
        # The requester sent what was asked for: whoever works the case goes on.
        return Kind.SUPPLEMENTED, {case.handler_id} if case.handler_id else desk()
    if action == Action.FOLLOW_UP:
        # The requester answered on the tracking page: the desk archives it, or reopens it.
        return (Kind.RATED, desk()) if is_requester_actor(actor) else None
    if action in (Action.ACCEPT, Action.DISPATCH):
        # Sent to one worker, or to the grid: every worker who may take it.
        if case.assigned_worker_id is not None:
            return Kind.DISPATCHED, {case.assigned_worker_id}
        return Kind.DISPATCHED, _ids(users_serving(case.grid, CASE_WORKER_ROLES))
    if action == Action.RETURN:
        return Kind.RETURNED, desk()  # the desk dispatches it again
    if action == Action.HAND_BACK:
        return Kind.HANDED_BACK, {case.handler_id} | desk() if case.handler_id else desk()
    if action == Action.ESCALATE:
        return Kind.ESCALATED, _ids(users_serving(case.grid, STREET_ROLES))
    if action == Action.URGE:
        # Whoever works it now (its handler, or the worker it was sent to) and the desk.
        working = case.handler_id or case.assigned_worker_id
        return Kind.URGED, desk() | ({working} if working else set())
    return None


def case_event_notify(*, case: Case, event: CaseEvent, actor) -> list[Notification]:
    """Tell the people a case's move concerns (not the one who made it); in the move's transaction."""
    told = _case_recipients(case, event.action, actor)
    if told is None:
        return []
    kind, recipients = told
    recipients.discard(actor.pk)
    return Notification.objects.bulk_create(
        Notification(
            recipient_id=pk,
            kind=kind,
            case=case,
            actor=actor,
            text="" if kind in WITHOUT_TEXT else event.note[:TEXT_LENGTH],
            created_at=event.at,
        )
        for pk in sorted(recipients)
    )


def visit_alert_raise(*, visit: Visit) -> VisitAlert | None:
    """A 紧急 visit: an alert on the community's desk and a notification to its desk and the grid's leader."""
    if visit.condition != Visit.Condition.URGENT:
        return None
    grid = visit.household.grid
    now = timezone.now()
    alert = VisitAlert.objects.create(visit=visit, grid=grid, raised_at=now)
    recipients = _ids(users_serving(grid, URGENT_VISIT_ROLES)) - {visit.author_id}
    Notification.objects.bulk_create(
        Notification(
            recipient_id=pk,
            kind=Kind.URGENT_VISIT,
            visit=visit,
            actor_id=visit.author_id,
            # Where, not what: the visit's page says what was found, to those who may read it.
            text=grid.name[:TEXT_LENGTH],
            created_at=now,
        )
        for pk in sorted(recipients)
    )
    return alert


@transaction.atomic
def visit_alert_acknowledge(*, alert: VisitAlert, by, now: datetime.datetime | None = None) -> VisitAlert:
    """确认已知悉: one of the desk acknowledges a 紧急 visit, for the whole desk (its notifications of it are
    marked read); who and when are kept on the alert. Acknowledging twice keeps the first."""
    alert = VisitAlert.objects.select_for_update().select_related("grid").get(pk=alert.pk)
    if not is_desk(by, alert.grid):
        raise PermissionDenied(_("只有社区受理台的工作人员可以确认紧急走访。"))
    if alert.acknowledged_at is not None:
        return alert
    now = now or timezone.now()
    alert.acknowledged_by = by
    alert.acknowledged_at = now
    alert.save(update_fields=["acknowledged_by", "acknowledged_at"])
    desk = Q(recipient__in=users_serving(alert.grid, DESK_ROLES).values("pk")) | Q(recipient_id=by.pk)
    Notification.objects.filter(desk, kind=Kind.URGENT_VISIT, visit_id=alert.visit_id).unread().update(
        read_at=now
    )
    return alert


def notification_read(*, notification: Notification, now: datetime.datetime | None = None) -> Notification:
    """Mark one of the user's notifications read (reading it again keeps the first time)."""
    if notification.read_at is None:
        notification.read_at = now or timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_read_all(*, user, now: datetime.datetime | None = None) -> int:
    """Mark every unread notification of the user read; returns how many."""
    return Notification.objects.of(user).unread().update(read_at=now or timezone.now())
