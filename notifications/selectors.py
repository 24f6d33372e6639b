"""Reads of notifications: the list, the reminders derived when it is read, the bell, the desk's alerts.

Time-based reminders (a case of mine 临期 or overdue, follow-up calls waiting at the desk, my care households
overdue for a visit, agreement terms due) are not stored: each is a query over the cases, the terms or the
visit schedule, counted when the bell or the list is read, so no job has to run for them. Each counts with
the condition its own app defines (cases' running clock, the desk's 待回访, the terms' open() and
TERM_DUE_WITHIN, visits' COVERAGE), and links to the page that lists them.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import F, Func, IntegerField, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from cases.models import HANDLING_STATUSES, AgreementTerm, Case, Status
from cases.selectors import TERM_DUE_WITHIN
from grids.models import Grid, served_grids
from grids.permissions import user_roles
from grids.roles import CASE_WORKER_ROLES, DESK_ROLES
from grids.selectors import grids_served_by
from residents.models import Household
from visits.measures import coverage_drill
from visits.models import Visit

from .models import Notification, VisitAlert


def _grids(user, roles) -> list[int] | QuerySet[Grid]:
    """The grids the user serves in one of `roles` (grids.models.served_grids). None for a superuser:
    reminders are for the people who do the work, and a superuser's would count the whole district."""
    return Grid.objects.none() if user.is_superuser else served_grids(user, roles)


def my_cases_due(user, now: datetime.datetime, today: datetime.date) -> QuerySet[Case]:
    """My cases whose running clock is past its 80% warning (临期) or its limit (overdue): those I handle,
    and those sent to me to take (cases.clock sets both times; overdue is read from them at any moment)."""
    mine = Q(handler_id=user.pk, status__in=sorted(HANDLING_STATUSES)) | Q(
        assigned_worker_id=user.pk, status=Status.DISPATCHED
    )
    return Case.objects.filter(mine, clock_warn_at__lte=now)


def follow_ups_due(user, now: datetime.datetime, today: datetime.date) -> QuerySet[Case]:
    """The desk's 待回访: resolved cases of its grids whose requester has not been called back yet."""
    return Case.objects.filter(
        grid__in=_grids(user, DESK_ROLES), status=Status.RESOLVED, followed_up_at__isnull=True
    )


def my_households_overdue(user, now: datetime.datetime, today: datetime.date) -> QuerySet[Household]:
    """Care households of the grids I work in (grid roles) overdue for a visit (visits' COVERAGE miss)."""
    return coverage_drill(Household.objects.filter(grid__in=_grids(user, CASE_WORKER_ROLES)), "miss", today)


def terms_due(user, now: datetime.datetime, today: datetime.date) -> QuerySet[AgreementTerm]:
    """Open agreement terms of the desk's grids due within cases' TERM_DUE_WITHIN or overdue (what
    cases.selectors.agreement_terms_due lists, over the desk's grids as a subquery: no query of its own)."""
    return (
        AgreementTerm.objects.open()
        .filter(due__lte=today + TERM_DUE_WITHIN)
        .in_grids(_grids(user, DESK_ROLES))
    )


@dataclass(frozen=True)
class Reminder:
    """A reminder derived at read time: what it counts and where those rows are listed."""

    key: str
    label: Promise
    url_name: str
    anchor: str
    rows: Callable[[object, datetime.datetime, datetime.date], QuerySet]
    # The roles it is for (None: everyone). A user holding none of them is not asked about it: its count
    # would be 0, and building its query would cost every page of theirs several milliseconds.
    roles: frozenset[str] | None = None

    def applies_to(self, user) -> bool:
        return self.roles is None or bool(user_roles(user) & self.roles)

    @property
    def url(self) -> str:
        return reverse(self.url_name) + self.anchor


REMINDERS = [
    Reminder("cases_due", _("我的工单临期或超期"), "cases:queue", "", my_cases_due),
    Reminder("follow_ups", _("受理台待回访"), "cases:desk", "#follow-title", follow_ups_due, DESK_ROLES),
    Reminder(
        "households_overdue",
        _("我的关爱户逾期未访"),
        "visits:due",
        "",
        my_households_overdue,
        CASE_WORKER_ROLES,
    ),
    Reminder("terms_due", _("协议条款到期"), "cases:desk", "#terms-title", terms_due, DESK_ROLES),
]


def inbox(user) -> QuerySet[Notification]:
    """The user's own notifications, newest first, with what a row shows. A visit's household, dwelling
    and building come in a query of their own, sent only when the page holds a visit's notification:
    joined, the eight tables took PostgreSQL 4.3 ms to plan for a page it read in 0.4 (at 500,000
    households); without them 2.0."""
    return (
        Notification.objects.visible_to(user)
        .select_related("case__category", "actor")
        .prefetch_related(Prefetch("visit", Visit.objects.select_related("household__dwelling__building")))
        .order_by("-created_at", "-id")
    )


def _count(rows: QuerySet) -> Coalesce:
    """COUNT(*) of `rows` as a scalar subquery (no GROUP BY: one row whatever the data)."""
    counted = rows.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


@dataclass(frozen=True)
class Bell:
    """What the bell shows: unread notifications and the reminders that hold now."""

    unread: int
    reminders: list[tuple[Reminder, int]]

    @property
    def count(self) -> int:
        return self.unread + sum(n for _reminder, n in self.reminders)


def bell(user, now: datetime.datetime | None = None) -> Bell:
    """The unread notifications and every reminder, counted in one query (after visits' schedule is
    brought up to date, which is one more when no enrolment date has come)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    reminders = [r for r in REMINDERS if not user.is_superuser and r.applies_to(user)]
    counts = {"unread": _count(Notification.objects.visible_to(user).unread())}
    counts |= {r.key: _count(r.rows(user, now, today)) for r in reminders}
    row = get_user_model().objects.filter(pk=user.pk).annotate(**counts).values(*counts).get()
    return Bell(unread=row["unread"], reminders=[(r, row[r.key]) for r in reminders if row[r.key]])


def open_visit_alerts(user) -> QuerySet[VisitAlert]:
    """紧急 visits of the grids whose desk the user works, not yet acknowledged, newest first."""
    grids = Grid.objects.all() if user.is_superuser else grids_served_by(user, DESK_ROLES)
    return (
        VisitAlert.objects.filter(grid__in=grids, acknowledged_at__isnull=True)
        .select_related("visit__household__dwelling__building", "visit__author", "grid")
        .order_by("-raised_at", "-id")
    )


def visit_alert_for(user, pk: int) -> VisitAlert:
    """One alert in the user's grids (VisitAlert.DoesNotExist outside them)."""
    return VisitAlert.objects.select_related("grid").get(pk=pk, grid__in=Grid.objects.visible_to(user))
