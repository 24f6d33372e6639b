"""Reads of visits, and the visit schedule of care-group households computed in the database.

The schedule rule (DOMAIN.md, 走访频次): a household with active care enrolments must be visited every
N days, N being its own override if it has one, else the shortest interval among its active enrolments'
care groups. Next due = date of the latest visit + N (in Asia/Shanghai); a household never visited is
due from the day its earliest active enrolment began. Overdue = next due before today.
"""

import datetime
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import (
    Case,
    Count,
    DateField,
    F,
    Func,
    IntegerField,
    Min,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from common.dates import day_bounds
from grids.models import Building, Community, Grid, Street, held_places
from grids.selectors import in_visible_grids, visible_grid_ids, within
from residents.models import CareCategory, Household, Resident
from residents.selectors import ResidentFilters, search_residents

from .measures import SCHEDULED, coverage_by, coverage_by_community, coverage_drill, read_schedules
from .models import (
    DEFAULT_INTERVAL_DAYS,
    SEVERE_DISABILITY,
    SEVERE_DISABILITY_MAX_GRADE,
    Patrol,
    Visit,
    VisitInterval,
)

DUE_SOON_DAYS = 7  # "this week": due within the next seven days


class AddDays(Func):
    """date + n days, as a date, on PostgreSQL and SQLite."""

    output_field = DateField()

    def as_sql(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, template="(%(expressions)s)", arg_joiner=" + ")

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler, connection, template="date(%(expressions)s || ' days')", arg_joiner=", '+' || "
        )


def interval_by_rule() -> dict[str, int]:
    """The configured interval of each care group (one query)."""
    configured = dict(VisitInterval.objects.values_list("rule", "days"))
    return {str(rule): configured.get(rule, days) for rule, days in DEFAULT_INTERVAL_DAYS.items()}


def _enrolment_interval(intervals: dict[str, int], prefix: str = "") -> Case:
    """The interval of one enrolment, by its care group and, for disability, its grade."""
    whens = [
        When(
            **{
                f"{prefix}category": CareCategory.DISABLED,
                f"{prefix}disability_grade__lte": SEVERE_DISABILITY_MAX_GRADE,
            },
            then=Value(intervals[SEVERE_DISABILITY]),
        )
    ]
    whens += [
        When(**{f"{prefix}category": category}, then=Value(intervals[category]))
        for category in CareCategory.values
    ]
    return Case(*whens, output_field=IntegerField())


def care_schedule(households: QuerySet[Household], today: datetime.date | None = None) -> QuerySet[Household]:
    """Households with an active care enrolment today, annotated with their schedule.

    Annotations: interval_days, last_visited_at, next_due (a date). One query, grouped by household.
    """
    today = today or timezone.localdate()
    intervals = interval_by_rule()
    active = Q(enrolments__since__lte=today) & (
        Q(enrolments__until__isnull=True) | Q(enrolments__until__gte=today)
    )
    return (
        households.filter(status=Household.Status.ACTIVE)
        .filter(active)
        .annotate(
            group_interval=Min(_enrolment_interval(intervals, "enrolments__")),
            first_since=Min("enrolments__since"),
            interval_days=Coalesce("visit_plan__interval_override_days", "group_interval"),
            last_visited_at=F("visit_plan__last_visited_at"),
            next_due=Coalesce(
                AddDays(TruncDate("visit_plan__last_visited_at"), F("interval_days")),
                F("first_since"),
                output_field=DateField(),
            ),
        )
    )


@dataclass(frozen=True)
class DueWindow:
    """The days that make a visit overdue, due today or due soon, for one 'today'."""

    today: datetime.date

    @property
    def soon(self) -> datetime.date:
        return self.today + datetime.timedelta(days=DUE_SOON_DAYS - 1)

    def status(self, next_due: datetime.date) -> str:
        if next_due < self.today:
            return "overdue"
        if next_due == self.today:
            return "today"
        return "soon" if next_due <= self.soon else "later"


def scheduled_households(user, today: datetime.date) -> QuerySet[Household]:
    """Care-group households of the user's grids with their stored schedule (see VisitPlan), brought up
    to date first so no plan outlives an enrolment date."""
    read_schedules(today)
    return _with_schedule(Household.objects.filter(SCHEDULED, in_visible_grids(user, "grid")))


def _with_schedule(households: QuerySet[Household]) -> QuerySet[Household]:
    """The stored schedule's columns a list shows, as annotations."""
    return households.annotate(
        next_due=F("visit_plan__next_due"),
        interval_days=F("visit_plan__interval_days"),
        last_visited_at=F("visit_plan__last_visited_at"),
    )


def coverage_households(grid_ids: list[int], part: str, today: datetime.date) -> QuerySet[Household]:
    """The households behind COVERAGE in these grids (visits.measures.coverage_drill), with their schedule."""
    return _with_schedule(coverage_drill(Household.objects.filter(grid_id__any=grid_ids), part, today))


def due_households(user, today: datetime.date | None = None) -> QuerySet[Household]:
    """Care-group households in the user's grids due within the week or overdue, most overdue first."""
    window = DueWindow(today or timezone.localdate())
    return (
        scheduled_households(user, window.today)
        .filter(visit_plan__next_due__lte=window.soon)
        .select_related("dwelling__building", "grid")
        .prefetch_related(
            Prefetch("members", queryset=Resident.objects.current().order_by("id"), to_attr="current_members")
        )
        .order_by("visit_plan__next_due", "id")
    )


def due_counts(due: QuerySet[Household], today: datetime.date) -> dict[str, int]:
    """How many of `due_households` are overdue, due today and due soon (one query)."""
    return due.aggregate(
        overdue=Count("pk", filter=Q(visit_plan__next_due__lt=today)),
        today=Count("pk", filter=Q(visit_plan__next_due=today)),
        soon=Count("pk", filter=Q(visit_plan__next_due__gt=today)),
    )


def with_due_status(households, today: datetime.date) -> list[Household]:
    """The households (with their schedule) each marked with `due_status` (DueWindow.status) and
    `days_overdue` (negative while not yet due)."""
    window = DueWindow(today)
    rows = list(households)
    for household in rows:
        household.due_status = window.status(household.next_due)
        household.days_overdue = (today - household.next_due).days
    return rows


def overdue_households(user, grid: Grid | None = None, today: datetime.date | None = None):
    """Care-group households in the user's scope whose visit is overdue, most overdue first."""
    today = today or timezone.localdate()
    if grid is None:
        households = scheduled_households(user, today)
    else:
        # One grid, checked against the user's scope in the query itself: with the literal ids of every
        # grid a street leader sees beside it, PostgreSQL read every overdue plan of the district first.
        read_schedules(today)
        in_scope = Grid.objects.visible_to(user).filter(pk=grid.pk)
        households = _with_schedule(Household.objects.filter(SCHEDULED, grid__in=in_scope))
    households = households.filter(visit_plan__next_due__lt=today)
    return households.select_related("dwelling__building", "grid").order_by("visit_plan__next_due", "id")


def _scope_for_sums(user) -> tuple[QuerySet, list[int]]:
    """The user's scope for sums over the stored due counts: the communities it holds whole
    (`CommunityQuerySet.held_whole_by`), read from their per-community counts, and the single grids outside
    them, read from the grids' counts (`coverage_by_community`). A street's or a district's figure then adds
    a few rows per community, not every grid's. The communities go as a subquery (no query of their own);
    at 500,000 households the overview's sum went from 24 ms to 2 ms."""
    grids, _communities, _streets = held_places(user)
    whole = Community.objects.held_whole_by(user).values("pk")
    loose = (
        list(Grid.objects.filter(pk__in=grids).exclude(community__in=whole).values_list("pk", flat=True))
        if grids
        else []
    )
    return whole, loose


def overdue_count(user, grid: Grid | None = None, today: datetime.date | None = None) -> int:
    """How many households `overdue_households` lists, from the stored counts (COVERAGE's misses)."""
    today = today or timezone.localdate()
    if grid is not None:
        counts = coverage_by([grid.pk], "grid_id", today)
    else:
        counts = coverage_by_community(*_scope_for_sums(user), today)
    return sum(n - hit for n, hit in counts.values())


def on_time_counts(households: int, covered: int) -> dict:
    """The overdue page's columns for one count of COVERAGE: 关爱户数 (enrolled), 按时 (on_time: not
    overdue), 逾期 (overdue) and 按时率 (on_time_rate, per cent; None when there is no household)."""
    return {
        "enrolled": households,
        "on_time": covered,
        "overdue": households - covered,
        "on_time_rate": covered * 100 / households if households else None,
    }


def overdue_by_community(user, today: datetime.date | None = None) -> list[dict]:
    """Per community of the user's scope: COVERAGE's care-group households, overdue ones and those on time."""
    today = today or timezone.localdate()
    counts = coverage_by_community(*_scope_for_sums(user), today)
    communities = Community.objects.filter(pk__in=counts).select_related("street").order_by("name")
    rows = [{"community": community, **on_time_counts(*counts[community.pk])} for community in communities]
    rows.sort(key=lambda row: (-row["overdue"], row["community"].name))
    return rows


def overdue_by_grid(
    user, today: datetime.date | None = None, community: Community | None = None
) -> list[dict]:
    """Per grid of the user's scope (or of one community in it): COVERAGE's care-group households, overdue,
    on time."""
    today = today or timezone.localdate()
    grid_ids = visible_grid_ids(user)
    if community is not None:
        grid_ids = list(
            Grid.objects.filter(pk__any=grid_ids, community=community).values_list("pk", flat=True)
        )
    counts = coverage_by(grid_ids, "grid", today)
    grids = Grid.objects.filter(pk__in=counts).select_related("community").order_by("code")
    rows = [{"grid": grid, **on_time_counts(*counts[grid.pk])} for grid in grids]
    rows.sort(key=lambda row: (-row["overdue"], row["grid"].code))
    return rows


def visits_for_user(user) -> QuerySet[Visit]:
    """Visits to households in the user's grids, latest first, ready for a list."""
    return (
        Visit.objects.filter(in_visible_grids(user, "household__grid"))
        .select_related("household__dwelling__building", "household__grid", "author")
        .prefetch_related("visitors", "gifts")
        .order_by("-visited_at", "-id")
    )


def household_visits(household: Household, limit: int = 20) -> list[Visit]:
    """The household's latest visits for its file."""
    return list(
        household.visits.select_related("author")
        .prefetch_related("visitors", "residents_met", "gifts")
        .order_by("-visited_at", "-id")[:limit]
    )


def patrols_for_user(user) -> QuerySet[Patrol]:
    return (
        Patrol.objects.filter(grid__in=Grid.objects.visible_to(user))
        .select_related("grid", "worker")
        .annotate(finding_count=Count("findings"))
        .order_by("-started_at", "-id")
    )


@dataclass(frozen=True)
class RequestDraft:
    """What a request (诉求) raised from a visit or a patrol starts with; the case workflow takes it.

    channel is the request channel's identifier (DOMAIN.md: 走访 = "visit", 网格巡查 = "patrol").
    """

    channel: str
    grid: Grid
    description: str
    household: Household | None = None
    location: str = ""
    origin_visit: Visit | None = None
    origin_finding_id: int | None = None


def request_draft_from_visit(visit: Visit) -> RequestDraft:
    return RequestDraft(
        channel="visit",
        grid=visit.household.grid,
        household=visit.household,
        location=str(visit.household.dwelling),
        description=visit.needs_found,
        origin_visit=visit,
    )


def request_draft_from_finding(finding) -> RequestDraft:
    return RequestDraft(
        channel="patrol",
        grid=finding.patrol.grid,
        location=finding.location,
        description=finding.description,
        origin_finding_id=finding.pk,
    )


@dataclass(frozen=True)
class VisitFilters:
    """What the visits list and its export filter on; empty values mean no filter.

    Dates are local (Asia/Shanghai) days, both ends included.
    """

    grid: Grid | None = None
    kind: str = ""
    visitor: AbstractBaseUser | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    q: str = ""
    street: Street | None = None
    community: Community | None = None
    condition: str = ""

    @property
    def any(self) -> bool:
        place = self.street or self.community or self.grid
        chosen = self.kind or self.condition or self.visitor
        return bool(place or chosen or self.date_from or self.date_to or self.q)

    def as_dict(self) -> dict:
        """The filters as recorded with an export."""
        return {
            "street": self.street.name if self.street else "",
            "community": self.community.name if self.community else "",
            "grid": self.grid.code if self.grid else "",
            "kind": self.kind,
            "condition": self.condition,
            "visitor": self.visitor.get_username() if self.visitor else "",
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
            "q": self.q,
        }


def filtered_visits(user, filters: VisitFilters) -> QuerySet[Visit]:
    """Visits in the user's grids matching the filters, latest first, with what a list row shows."""
    place: dict[str, Any] = {"street": filters.street, "community": filters.community, "grid": filters.grid}
    visits = within(visits_for_user(user), "household__grid", **place)
    if filters.kind:
        visits = visits.filter(kind=filters.kind)
    if filters.condition:
        visits = visits.filter(condition=filters.condition)
    if filters.visitor is not None:
        # One visitor per filter: the join cannot repeat a visit.
        visits = visits.filter(visitors=filters.visitor)
    start, end = day_bounds(filters.date_from, filters.date_to)
    if start is not None:
        visits = visits.filter(visited_at__gte=start)
    if end is not None:
        visits = visits.filter(visited_at__lt=end)
    q = filters.q.strip()
    if q:
        # The residents' search finds names through its indexes, in the same scope; an address matches
        # households with nobody registered in them too.
        residents = search_residents(user, ResidentFilters(q=q, include_inactive=True, **place))
        visits = visits.filter(
            Q(household__in=residents.values("household"))
            | Q(household__dwelling__building__in=Building.objects.filter(address__contains=q))
        )
    return visits
