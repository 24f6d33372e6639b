"""Reads of cases shared by the queue, the desk, the case list and its export, and the household file."""

import datetime
from dataclasses import dataclass

from django.db.models import Case as When_
from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)

from common.dates import day_bounds
from grids.models import Assignment, Community, Grid, Street, held_places
from grids.roles import CASE_WORKER_ROLES, STREET_ROLES
from grids.selectors import grids_served_by, in_visible_grids, users_serving, visible_grid_ids
from residents.permissions import grids_revealable_by

from . import measures
from .models import (
    HANDLING_STATUSES,
    PLACE,
    Action,
    AgreementTerm,
    Case,
    CaseEvent,
    Category,
    Meeting,
    Status,
    display_name,
)

# Duplicates: an open case of the same category at the same building or in the same grid, this recent.
DUPLICATE_WINDOW = datetime.timedelta(days=30)
# Resolved cases whose requester should have been called back by now (ours: within two days).
FOLLOW_UP_WITHIN = datetime.timedelta(days=2)
# An agreement term is "due" this many days before its deadline (and overdue after it).
TERM_DUE_WITHIN = datetime.timedelta(days=3)


def _urgency_order(now: datetime.datetime):
    """0 overdue, 1 past 80% of its limit, 2 on time, 3 no clock running (paused, not yet accepted)."""
    return When_(
        When(clock_due_at__lte=now, then=Value(0)),
        When(clock_warn_at__lte=now, then=Value(1)),
        When(clock_due_at__isnull=False, then=Value(2)),
        default=Value(3),
        output_field=IntegerField(),
    )


def _list_rows(cases: QuerySet[Case]) -> QuerySet[Case]:
    """What a row of any case list shows. The three users are read by their own small queries: joined
    too, they made PostgreSQL spend several times longer planning a page's query than running it."""
    return cases.select_related("category", "grid", "building", "requester").prefetch_related(
        "handler", "assigned_worker", "returned_by"
    )


def cases_for_user(user) -> QuerySet[Case]:
    """Cases in the user's grids (grids.selectors.in_visible_grids)."""
    return Case.objects.filter(in_visible_grids(user, "grid"))


def case_for_user(user, pk: int) -> Case:
    """One case in the user's scope, with everything its page shows (Case.DoesNotExist outside it)."""
    return (
        cases_for_user(user)
        .select_related(
            "category",
            "grid__community__street",
            "building",
            "household__dwelling__building",
            "requester",
            "handler",
            "assigned_worker",
            "returned_by",
            "created_by",
            "merged_into",
            "origin_visit__household__dwelling__building",
            "origin_finding__patrol",
            "origin_finding__shop",
        )
        .prefetch_related(
            Prefetch("events", queryset=CaseEvent.objects.select_related("actor").order_by("at", "id")),
            "attachments",
            Prefetch(
                "meetings",
                queryset=Meeting.objects.prefetch_related(
                    "participants",
                    Prefetch("terms", queryset=AgreementTerm.objects.select_related("done_by")),
                ),
            ),
            Prefetch(
                "merged_cases", queryset=Case.objects.only("id", "number", "merged_into_id", "created_at")
            ),
        )
        .get(pk=pk)
    )


def worker_queue(user, now: datetime.datetime) -> dict[str, QuerySet[Case]]:
    """我的工单: waiting to be taken in my grids (or sent to me), and mine in hand; overdue first."""
    my_grids = [] if user.is_superuser else _worker_grid_ids(user)
    waiting = Case.objects.filter(status=Status.DISPATCHED, grid_id__in=my_grids).filter(
        Q(assigned_worker__isnull=True) | Q(assigned_worker=user)
    )
    mine = Case.objects.filter(handler=user, status__in=HANDLING_STATUSES)
    order = ["urgency_order", "clock_due_at", "id"]
    return {
        "waiting": _list_rows(waiting).annotate(urgency_order=_urgency_order(now)).order_by(*order),
        "mine": _list_rows(mine).annotate(urgency_order=_urgency_order(now)).order_by(*order),
    }


def _worker_grid_ids(user) -> list[int]:
    return list(grids_served_by(user, CASE_WORKER_ROLES).values_list("pk", flat=True))


def case_in_scope(user, pk: str) -> Case | None:
    """The case with this id (as typed or posted) if it lies in the user's scope, else None."""
    return cases_for_user(user).filter(pk=pk if str(pk).isdigit() else 0).first()


def desk(cases: QuerySet[Case], now: datetime.datetime, caller=None) -> dict:
    """The community desk over `cases` (the user's): open cases by state, flags, the follow-ups due.

    Each follow-up carries `may_call`: whether `caller` may reveal the requester's phone in its grid (the
    grids residents.permissions.grids_revealable_by gives, asked inside the same query).
    """
    open_cases = cases.exclude(status=Status.CLOSED)
    counts = dict(open_cases.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    flagged = open_cases.aggregate(
        overdue=Count("id", filter=Q(clock_due_at__lte=now)),
        warning=Count("id", filter=Q(clock_warn_at__lte=now, clock_due_at__gt=now)),
        urged=Count("id", filter=Q(urge_count__gt=0)),
        returned=Count("id", filter=Q(status=Status.DISPATCHED, returned_by__isnull=False)),
    )
    return {
        "counts": [
            (status, label, counts.get(status, 0)) for status, label in Status.choices if status != "closed"
        ],
        "flagged": flagged,
        "follow_ups": _list_rows(open_cases.filter(status=Status.RESOLVED, followed_up_at__isnull=True))
        .annotate(
            may_call=Exists(grids_revealable_by(caller).filter(pk=OuterRef("grid_id")))
            if caller is not None
            else Value(False)
        )
        .order_by("resolved_at", "id"),
        "follow_up_late_before": now - FOLLOW_UP_WITHIN,
    }


def open_cases_in_state(cases: QuerySet[Case], status: str, now: datetime.datetime) -> QuerySet[Case]:
    return (
        _list_rows(cases.filter(status=status))
        .annotate(urgency_order=_urgency_order(now))
        .order_by("urgency_order", "clock_due_at", "-id")
    )


def led_street_ids(user) -> list[int] | None:
    """The streets the user leads (None for a superuser: every street), from the assignments read once a
    request. The inbox filters on these few ids, not on their grids': a district's thousands of grid ids
    cost psycopg about 50 ms a query to bind and PostgreSQL more to plan than to run."""
    if user.is_superuser:
        return None
    return held_places(user, STREET_ROLES)[2]


def in_led_streets(cases: QuerySet[Case], street_ids: list[int] | None) -> QuerySet[Case]:
    """The cases of those streets (every case for None)."""
    return cases if street_ids is None else cases.filter(grid__community__street_id__in=street_ids)


def street_inbox(
    street_ids: list[int] | None,
    now: datetime.datetime,
    *,
    community: Community | None = None,
    clock: str = "",
) -> QuerySet[Case, int]:
    """The street's inbox: the ids of the cases 已上报街道 in these streets, overdue first, then 临期, then
    by deadline. Only ids: planning a row's eight joined relations cost PostgreSQL more than running the
    query, so a page's rows are read by `street_inbox_rows`."""
    cases = in_led_streets(Case.objects.filter(status=Status.ESCALATED), street_ids)
    if community is not None:
        cases = cases.filter(grid__community=community)
    if clock == "overdue":
        cases = cases.filter(clock_due_at__lte=now)
    elif clock == "warning":
        cases = cases.filter(clock_warn_at__lte=now, clock_due_at__gt=now)
    return (
        cases.annotate(urgency_order=_urgency_order(now))
        .order_by("urgency_order", "clock_due_at", "escalated_at", "id")
        .values_list("pk", flat=True)
    )


# What a row of the street's inbox shows (and its actions read: the status), and nothing else: the names
# of its category, grid, community and handler and its place are read as values (`street_inbox_rows`).
STREET_INBOX_ROW_FIELDS = (
    "number", "status", "description", "address", "urge_count", "escalated_at", "paused_at",
    "clock_warn_at", "clock_due_at", "category_id", "grid_id", "building_id", "handler_id",
)  # fmt: skip


def street_inbox_rows(pks: list[int]) -> list[Case]:
    """A page of the inbox, in the page's order, in one query: each case with what its row shows
    (`category_name`, `grid_name`, `community_name`, `place_text`, `handler_name`) and its latest
    escalation line (`escalation_note`, and `escalated_by`: who sent it up, None without a line)."""
    # Only what a row shows (not `_list_rows`: no requester, whose numbers would be decrypted for nothing),
    # and the related rows' names as values, not as objects: at twenty rows a page, the hundred related
    # objects select_related built cost 2-3 ms a page at 500,000 households.
    line = CaseEvent.objects.filter(case=OuterRef("pk"), action=Action.ESCALATE).order_by("-at", "-id")
    rows = (
        Case.objects.filter(pk__in=pks)
        .only(*STREET_INBOX_ROW_FIELDS)
        .annotate(
            category_name=F("category__name"),
            grid_name=F("grid__name"),
            community_name=F("grid__community__name"),
            place_text=PLACE,
            handler_name=display_name("handler"),
            escalation_note=Subquery(line.values("note")[:1]),
            escalated_by=Subquery(line.annotate(name=display_name("actor")).values("name")[:1]),
        )
        .order_by()  # the page's order is the ids': no sort by the model's ordering
        .in_bulk()
    )
    return [rows[pk] for pk in pks if pk in rows]


@dataclass(frozen=True)
class CaseFilters:
    """What the case list and its export filter on; empty values mean no filter. Dates are local days."""

    status: str = ""
    category: Category | None = None
    grid: Grid | None = None
    channel: str = ""
    clock: str = ""  # "overdue" or "warning"
    urged: bool = False
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    q: str = ""
    street: Street | None = None
    community: Community | None = None
    # A dashboard figure's cases (cases.measures): the dates then bound the measure's own date.
    measure: str = ""
    part: str = ""

    def as_dict(self) -> dict:
        """The filters as recorded with an export."""
        return {
            "status": self.status,
            "category": self.category.name if self.category else "",
            "grid": self.grid.code if self.grid else "",
            "channel": self.channel,
            "clock": self.clock,
            "urged": self.urged,
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
            "q": self.q,
            "street": self.street.name if self.street else "",
            "community": self.community.name if self.community else "",
            "measure": self.measure,
            "part": self.part,
        }


def filtered_cases(user, filters: CaseFilters, now: datetime.datetime) -> QuerySet[Case]:
    """Cases in the user's scope matching the filters, newest first, with what a row shows."""
    cases = cases_for_user(user)
    if filters.status == "open":
        cases = cases.exclude(status=Status.CLOSED)
    elif filters.status:
        cases = cases.filter(status=filters.status)
    if filters.category is not None:
        cases = cases.filter(category=filters.category)
    if filters.street is not None:
        cases = cases.filter(grid__community__street=filters.street)
    if filters.community is not None:
        cases = cases.filter(grid__community=filters.community)
    if filters.grid is not None:
        cases = cases.filter(grid=filters.grid)
    if filters.channel:
        cases = cases.filter(channel=filters.channel)
    if filters.clock == "overdue":
        cases = cases.filter(clock_due_at__lte=now)
    elif filters.clock == "warning":
        cases = cases.filter(clock_warn_at__lte=now, clock_due_at__gt=now)
    if filters.urged:
        cases = cases.filter(urge_count__gt=0).exclude(status=Status.CLOSED)
    start, end = day_bounds(filters.date_from, filters.date_to)
    if filters.measure:
        cases = measures.drill(cases, filters.measure, filters.part or "all", start, end, now)
    else:
        if start is not None:
            cases = cases.filter(created_at__gte=start)
        if end is not None:
            cases = cases.filter(created_at__lt=end)
    q = filters.q.strip()
    if q:
        if q.isdigit():
            cases = cases.filter(number__startswith=q)
        else:
            cases = cases.filter(
                Q(description__contains=q)
                | Q(address__contains=q)
                | Q(requester_name=q)
                | Q(requester__name=q)
            )
    return _list_rows(cases).order_by("-created_at", "-id")


def possible_duplicates(
    *, grid: Grid, category, building=None, now: datetime.datetime, exclude_pk: int | None = None
) -> list[Case]:
    """Open cases of the same category at the same building (or, without one, in the same grid), last 30 days.

    The seed's repeated complaints about the rubbish around 黄河食渡 are one problem, not five cases.
    """
    cases = Case.objects.open().filter(category=category, created_at__gte=now - DUPLICATE_WINDOW)
    cases = cases.filter(building=building) if building is not None else cases.filter(grid=grid)
    if exclude_pk is not None:
        cases = cases.exclude(pk=exclude_pk)
    return list(_list_rows(cases).order_by("-created_at", "-id")[:5])


def merge_candidates(case: Case, now: datetime.datetime) -> list[Case]:
    """The open duplicates the desk may merge this case into: the intake's duplicate query, without itself."""
    return possible_duplicates(
        grid=case.grid, category=case.category, building=case.building, now=now, exclude_pk=case.pk
    )


def household_cases(household, limit: int) -> list[Case]:
    """The household's cases for its file, newest first (about the household or raised by a member).

    The members' ids are fetched first: joined through residents in one OR, PostgreSQL scanned both tables.
    """
    members = list(household.members.values_list("pk", flat=True))
    return list(
        _list_rows(Case.objects.filter(Q(household=household) | Q(requester_id__in=members))).order_by(
            "-created_at", "-id"
        )[:limit]
    )


def workers_in(grids: QuerySet[Grid], *, with_grids: bool = False) -> QuerySet:
    """Users who may take cases in these grids, for the dispatch pickers; `with_grids`: each with
    `worker_grids`, the grids among these they are assigned to (the intake picker names them)."""
    workers = users_serving(grids, CASE_WORKER_ROLES).order_by("first_name", "username")
    if with_grids:
        assignments = (
            Assignment.objects.filter(role__in=sorted(CASE_WORKER_ROLES), grid__in=grids)
            .select_related("grid")
            .order_by("grid__code")
        )
        workers = workers.prefetch_related(
            Prefetch("assignments", queryset=assignments, to_attr="worker_grids")
        )
    return workers


def agreement_terms_due(
    user, *, today: datetime.date, within: datetime.timedelta = TERM_DUE_WITHIN
) -> QuerySet[AgreementTerm]:
    """Open agreement terms in the user's grids due by `today + within`, overdue ones included, soonest first.

    What the desk lists (the overdue ones: `.filter(due__lt=today)`) and what notifications of terms due
    read. Undertakings without a deadline are never due. Scoped through the meeting's case, or its
    deliberation's community (AgreementTermQuerySet.in_grids).
    """
    return (
        AgreementTerm.objects.open()
        .filter(due__lte=today + within)
        .in_grids(visible_grid_ids(user))
        .select_related("meeting__case", "meeting__deliberation")
        .order_by("due", "id")
    )
