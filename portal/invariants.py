"""What must hold over the whole database after any crash, restart or killed server: each a query for the
rows that break it, run set-based in the database (`manage.py check_invariants`). Each is an ORM query,
except that one joins an ORM grouped count in SQL of its own (`_visit_count_differs`).

An action writes its rows in one transaction (the case's move, its timeline line, the notifications and
the 12345 outbox row it causes), so a half-written action shows here as a row without its partner. The
database's own constraints back most of these; the check also finds rows written around them (a raw
UPDATE, a constraint dropped for a bulk load and not added back, a restore that skipped a table).

It lives in `portal` because it reads cases, visits, notifications, the 12345 outbox and the stored
counts together, and is
for a real database as much as a synthetic one.
"""

import functools
import operator
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum, Value, Window
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from cases.measures import (
    LOCAL,
    ON_TIME,
    RESOLUTION,
    RESOLVE_TIME,
    RESPONSE,
    SATISFACTION,
    STREET,
    TAKE_TIME,
    measured,
)
from cases.models import Case, CaseEvent, Status
from cases.tallies import CaseDayTally, CaseWeekTally
from grids.models import Grid
from hotline.models import Update, WorkOrder
from hotline.services import OWES_UPDATE
from notifications.models import Notification, VisitAlert
from residents.models import Household
from visits.measures import SCHEDULED
from visits.models import CommunityDueTally, DueTally, Visit, VisitTally

EXAMPLES = 5  # ids shown per broken invariant


@dataclass(frozen=True)
class Invariant:
    """One rule and the query of the rows that break it (their ids are what the check reports)."""

    label: str
    model: str  # what the ids are ids of
    violations: Callable[[], QuerySet]


def _case_state_differs_from_last_event() -> QuerySet:
    # The timeline's order is (at, id) (cases.services._conflict_message reads the last line the same way);
    # the case_event_timeline index (case, at) answers each case's last line with one seek. A case without
    # any line (its registration lost) has no last state, "" here: a violation too. (Coalesce, not an
    # IS NULL test beside the comparison, so PostgreSQL runs the subquery once per case, not twice.)
    last = CaseEvent.objects.filter(case=OuterRef("pk")).order_by("-at", "-id").values("to_status")[:1]
    return Case.objects.annotate(last_state=Coalesce(Subquery(last), Value(""))).exclude(
        last_state=F("status")
    )


def _closed_case_without_outcome() -> QuerySet:
    return Case.objects.filter(
        Q(status=Status.CLOSED) & (Q(outcome="") | Q(closed_at__isnull=True))
        | ~Q(status=Status.CLOSED) & ~Q(outcome="")
    )


def _visit_without_household() -> QuerySet:
    return Visit.objects.filter(~Exists(Household.objects.filter(pk=OuterRef("household_id"))))


def _notification_without_action() -> QuerySet:
    # A case's notification is written with the timeline line that caused it, at the line's own time
    # (notifications.services.case_event_notify); a visit's with the 紧急 alert of that visit.
    line = CaseEvent.objects.filter(case_id=OuterRef("case_id"), at=OuterRef("created_at"))
    alert = VisitAlert.objects.filter(visit_id=OuterRef("visit_id"))
    return Notification.objects.filter(
        Q(case__isnull=False) & ~Exists(line) | Q(visit__isnull=False) & ~Exists(alert)
    )


def _outbox_row_without_action() -> QuerySet:
    # An update owed to the 12345 platform names the timeline line that owes it, of its work order's case.
    line = CaseEvent.objects.filter(pk=OuterRef("event_id"), case_id=OuterRef("work_order__case_id"))
    return Update.objects.filter(~Exists(line))


def _action_without_outbox_row() -> QuerySet:
    # ... and every such line of a work order's case has its update (hotline.services.update_kind).
    return CaseEvent.objects.filter(
        OWES_UPDATE,
        Exists(WorkOrder.objects.filter(case_id=OuterRef("case_id"))),
        ~Exists(Update.objects.filter(event_id=OuterRef("pk"))),
    )


def _due_count_differs() -> QuerySet:
    # The stored counts of care-group households per grid and due date (visits.models.DueTally, kept by
    # triggers) against counting the households: a count too high or too low ...
    counted = (
        Household.objects.filter(
            SCHEDULED, grid_id=OuterRef("grid_id"), visit_plan__next_due=OuterRef("next_due")
        )
        .order_by()
        .values("grid_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return DueTally.objects.annotate(counted=Coalesce(Subquery(counted), 0)).exclude(households=F("counted"))


def _scheduled_household_not_counted() -> QuerySet:
    # ... or a household scheduled on a day its grid has no count for.
    tally = DueTally.objects.filter(
        grid_id=OuterRef("grid_id"), next_due=OuterRef("visit_plan__next_due"), households__gt=0
    )
    return Household.objects.filter(SCHEDULED).filter(~Exists(tally))


def _community_due_count_differs() -> QuerySet:
    # The stored counts per community and due date (visits.models.CommunityDueTally, kept by triggers)
    # against adding up its grids' stored counts for that day.
    added_up = (
        DueTally.objects.filter(grid__community=OuterRef("community_id"), next_due=OuterRef("next_due"))
        .order_by()
        .values("next_due")
        .annotate(n=Sum("households"))
        .values("n")
    )
    return CommunityDueTally.objects.annotate(added=Coalesce(Subquery(added_up), 0)).exclude(
        households=F("added")
    )


def _grid_due_count_not_in_community() -> QuerySet:
    # ... or a grid's count on a day its community has no count for.
    community = CommunityDueTally.objects.filter(
        community_id=OuterRef("grid__community"), next_due=OuterRef("next_due"), households__gt=0
    )
    return DueTally.objects.filter(households__gt=0).filter(~Exists(community))


def _visitors_by_day() -> QuerySet:
    # Each visitor of each visit, with the visit's local day (the portal's time zone).
    return Visit.visitors.through.objects.annotate(day=TruncDate("visit__visited_at"))


def _visit_count_differs() -> QuerySet:
    # The stored counts of visits per grid, visitor and day (visits.models.VisitTally, kept by triggers)
    # against counting each visit once for each of its visitors, in its household's grid ...
    #
    # Joined once, not as a subquery per stored row: that counted each row's visitor's every visit again
    # (108 s at 500,000 households, against 1.8 s). The ORM joins no grouped query, so its SQL is
    # joined here; the counting itself is the ORM's, day and time zone included.
    counted = (
        _visitors_by_day()
        .order_by()
        .values("user_id", "day", grid=F("visit__household__grid_id"))
        .annotate(n=Count("pk"))
    )
    grouped, params = counted.query.sql_with_params()
    differs = (
        f"SELECT t.id FROM {VisitTally._meta.db_table} t LEFT JOIN ({grouped}) c"
        " ON c.user_id = t.visitor_id AND c.grid = t.grid_id AND c.day = t.day"
        " WHERE COALESCE(c.n, 0) <> t.visits"
    )
    return VisitTally.objects.filter(pk__in=RawSQL(differs, params))


def _visitor_not_counted() -> QuerySet:
    # ... or a visitor of a visit on a day their count in its grid does not hold.
    tally = VisitTally.objects.filter(
        grid_id=OuterRef("visit__household__grid_id"),
        visitor_id=OuterRef("user_id"),
        day=OuterRef("day"),
        visits__gt=0,
    )
    return _visitors_by_day().filter(~Exists(tally))


def _case_counts_differ(tally, columns: dict[str, Q]) -> QuerySet:
    # A table of stored case counts (cases.tallies, kept by triggers) added up per grid, against counting the
    # grid's cases with the measures' own conditions (cases.measures): a case counts once in each column it
    # meets, whatever its day or week, so a grid's totals agree column by column. (The day or week a case
    # is counted in is the triggers' one rule, checked day by day and week by week in
    # tests/test_case_tally.py.)
    def counted(condition: Q) -> Coalesce:
        cases = measured(Case.objects.filter(grid=OuterRef("pk"))).filter(condition)
        return Coalesce(Subquery(cases.order_by().values("grid_id").annotate(n=Count("pk")).values("n")), 0)

    def stored(column: str) -> Coalesce:
        rows = tally.objects.filter(grid=OuterRef("pk")).order_by().values("grid_id")
        return Coalesce(Subquery(rows.annotate(n=Sum(column)).values("n")), 0)

    grids = Grid.objects.annotate(
        **{f"counted_{name}": counted(condition) for name, condition in columns.items()},
        **{f"stored_{name}": stored(name) for name in columns},
    )
    return grids.filter(
        functools.reduce(operator.or_, (~Q(**{f"counted_{name}": F(f"stored_{name}")}) for name in columns))
    )


def _response_columns(now) -> dict[str, Q]:
    accepted = Q(accepted_at__isnull=False)
    return {
        "taken": accepted & Q(first_taken_at__isnull=False),
        "taken_on_time": accepted & RESPONSE.hit(now),
        "lapsed_closed": accepted
        & Q(first_taken_at__isnull=True, closed_at__isnull=False, first_response_due__lte=F("closed_at")),
    }


def _case_week_counts_differ() -> QuerySet:
    now = timezone.now()  # the stored columns are those conditions that do not depend on it
    followed_up = Q(followed_up_at__isnull=False)
    return _case_counts_differ(
        CaseWeekTally,
        {
            "received": Q(),
            **_response_columns(now),
            "followed_up": followed_up,
            "follow_up_resolved": followed_up & RESOLUTION.hit(now),
            "rated": followed_up & SATISFACTION.base(now),
            "satisfied": followed_up & SATISFACTION.base(now) & SATISFACTION.hit(now),
        },
    )


def _case_day_counts_differ() -> QuerySet:
    # The counts; the durations added up (resolve_us, take_us) are held to counting in the tests alone.
    now = timezone.now()
    followed_up, resolved = Q(followed_up_at__isnull=False), Q(resolved_at__isnull=False)
    closed, first_taken = Q(closed_at__isnull=False), Q(first_taken_at__isnull=False)
    return _case_counts_differ(
        CaseDayTally,
        {
            "received": Q(),
            **_response_columns(now),
            "followed_up": followed_up,
            "follow_up_resolved": followed_up & RESOLUTION.hit(now),
            **{value: followed_up & condition for value, (_label, condition) in SATISFACTION.parts.items()},
            "resolved_due": resolved & ON_TIME.base(now),
            "resolved_on_time": resolved & ON_TIME.base(now) & ON_TIME.hit(now),
            "resolved_accepted": resolved & RESOLVE_TIME.base(now),
            "closed_handled": closed & LOCAL.base(now),
            "closed_escalated": closed & STREET.base(now),
            "first_taken_accepted": first_taken & TAKE_TIME.base(now),
        },
    )


INVARIANTS = [
    Invariant(
        "every case's state is the new state of its last timeline line",
        "case",
        _case_state_differs_from_last_event,
    ),
    Invariant(
        "every closed case has an outcome and a closing time, no open case has",
        "case",
        _closed_case_without_outcome,
    ),
    Invariant("every visit's household exists", "visit", _visit_without_household),
    Invariant(
        "every notification has the timeline line or 紧急 alert that caused it",
        "notification",
        _notification_without_action,
    ),
    Invariant(
        "every 12345 update belongs to a timeline line of its work order's case",
        "hotline update",
        _outbox_row_without_action,
    ),
    Invariant(
        "every taken, resolved, followed-up or closed line of a 12345 case has its update",
        "case event",
        _action_without_outbox_row,
    ),
    Invariant(
        "every stored count of care households due on a day is the number of those households",
        "due count",
        _due_count_differs,
    ),
    Invariant(
        "every care household is in the stored count of its grid and due date",
        "household",
        _scheduled_household_not_counted,
    ),
    Invariant(
        "every stored count of a community's care households due on a day adds up its grids' counts",
        "community due count",
        _community_due_count_differs,
    ),
    Invariant(
        "every grid's stored due count is in its community's count for that day",
        "due count",
        _grid_due_count_not_in_community,
    ),
    Invariant(
        "every stored count of visits of a visitor in a grid on a day is the number of those visits",
        "visit count",
        _visit_count_differs,
    ),
    Invariant(
        "every visitor of a visit is in the stored count of its grid and day",
        "visit visitor",
        _visitor_not_counted,
    ),
    Invariant(
        "every grid's stored weekly case counts add up to counting its cases",
        "grid",
        _case_week_counts_differ,
    ),
    Invariant(
        "every grid's stored daily case counts add up to counting its cases",
        "grid",
        _case_day_counts_differ,
    ),
]


@dataclass(frozen=True)
class Finding:
    invariant: Invariant
    count: int
    examples: list[int]


def check(invariant: Invariant) -> Finding:
    """How many rows break the invariant and the first few ids, in one query."""
    rows = list(
        invariant.violations()
        .annotate(total=Window(Count("pk")))
        .order_by("pk")
        .values_list("pk", "total")[:EXAMPLES]
    )
    return Finding(invariant, rows[0][1] if rows else 0, [pk for pk, _total in rows])


def check_all() -> list[Finding]:
    return [check(invariant) for invariant in INVARIANTS]
