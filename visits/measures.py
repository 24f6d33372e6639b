"""Care coverage (走访覆盖率), the visits measure leaders watch, defined once, here.

Shaped like the case measures (cases/measures.py): `base` is which households the figure rests on, `hit`
which of them count as a success. The dashboard's figure and its household drill-down, and the overdue
page's 按时率 (the same share under the name its users know) all count with these conditions, so the
pages agree with one another and with the lists behind them.

Which visits count as done is `VisitQuerySet.counted` (visits.models): a knock with nobody home (无人应答)
is recorded but does not move the stored schedule on, so it neither takes a household off the due list nor
into coverage. Any measure here that counts visits themselves counts `Visit.objects.counted()`.

The measure reads the stored schedule (`VisitPlan.next_due`); `read_schedules` brings it up to date first,
and every function here and in visits.selectors that reads a schedule calls it, so no page can forget to.
"""

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from residents.models import Household

from .models import CommunityDueTally, DueTally, VisitTally

# Care-group households (关爱对象户): registered households with a visit schedule, which they have while
# one of their members has an active care enrolment (visits.services.schedule_refresh keeps it so).
SCHEDULED = Q(status=Household.Status.ACTIVE, visit_plan__next_due__isnull=False)


@dataclass(frozen=True)
class HouseholdMeasure:
    """A share of households: which it counts (`base`) and which of them count as a success (`hit`),
    each a condition on Household for one local day. `miss` is the rest of the base, written out rather
    than as `~hit` so that the index on the date serves the drill-down."""

    key: str
    label: str
    definition: str
    base: Callable[[datetime.date], Q]
    hit: Callable[[datetime.date], Q]
    miss: Callable[[datetime.date], Q]
    hit_label: str = ""
    miss_label: str = ""


COVERAGE = HouseholdMeasure(
    key="coverage",
    label=_("走访覆盖率"),
    definition=_(
        "关爱对象户（今天有有效关爱登记的在册户）中，今天不在逾期未访之列的比例：下次应访日期不早于今天。"
        "按今天的走访计划计算，与所选时段无关。"
    ),
    base=lambda today: SCHEDULED,
    hit=lambda today: Q(visit_plan__next_due__gte=today),
    miss=lambda today: Q(visit_plan__next_due__lt=today),
    hit_label=_("未逾期"),
    miss_label=_("逾期未访"),
)


def read_schedules(today: datetime.date) -> None:
    """Refresh the stored schedules an enrolment's start or end date has overtaken (one query when none),
    before anything reads them."""
    from .services import schedule_refresh_stale  # the services read these measures: import at call time

    schedule_refresh_stale(today)


def coverage_by(grid_ids: list[int], column: str, today: datetime.date) -> dict:
    """COVERAGE per value of `column` ("grid_id", or "grid__community" for the grids' communities) in
    these grids: a dict from the value to (care-group households, those not overdue today). Values with
    no care-group household are absent.

    One grouped query over the stored counts of SCHEDULED households per grid and due date (DueTally,
    kept by the database on every write), so a street's or a city's figure costs the same as a grid's;
    `base` and `hit` above are exactly what it counts (tests/test_due_tally.py)."""
    read_schedules(today)
    return _sums(DueTally.objects.filter(grid_id__any=grid_ids), column, today)


def coverage_by_community(
    communities: Iterable[int] | QuerySet, grid_ids: Iterable[int], today: datetime.date
) -> dict:
    """COVERAGE per community, as `coverage_by(..., "grid__community", ...)` counts it: of the whole
    `communities`, from their stored counts (CommunityDueTally: a row per due date, however many grids a
    community has), and of single grids `grid_ids` lying outside those communities (a worker's grids),
    from the grids' counts, added to their communities'."""
    read_schedules(today)
    counts = _sums(CommunityDueTally.objects.filter(community_id__in=communities), "community_id", today)
    if grid_ids:
        for community, (n, hit) in _sums(
            DueTally.objects.filter(grid_id__any=grid_ids), "grid__community", today
        ).items():
            before_n, before_hit = counts.get(community, (0, 0))
            counts[community] = (before_n + n, before_hit + hit)
    return counts


def _sums(tally: QuerySet, column: str, today: datetime.date) -> dict:
    """One grouped query over stored due counts: per value of `column`, (households, those not overdue)."""
    rows = (
        tally.filter(households__gt=0)
        .values(column)
        .annotate(n=Sum("households"), hit=Coalesce(Sum("households", filter=Q(next_due__gte=today)), 0))
        .order_by()
    )
    return {row[column]: (row["n"], row["hit"]) for row in rows}


def coverage_drill(households: QuerySet[Household], part: str, today: datetime.date) -> QuerySet[Household]:
    """The households behind `coverage_by`: the base ("all"), the covered ("hit") or the overdue ("miss").
    Exactly the conditions `coverage_by` counts with."""
    read_schedules(today)
    households = households.filter(COVERAGE.base(today))
    if part == "hit":
        return households.filter(COVERAGE.hit(today))
    if part == "miss":
        return households.filter(COVERAGE.miss(today))
    return households


# The visits a grid worker went on (走访人员) in a period, for the leaders' workload table (dashboard).
# The visits list filtered by that visitor and the same days lists exactly these (visits.selectors.
# filtered_visits), so the figure's drill-down is that list.
VISITS_MADE_LABEL = _("本期走访")
VISITS_MADE_DEFINITION = _("本期内该网格员作为走访人员参加的入户走访次数。")


def visits_by_visitor(
    grid_ids: list[int], first: datetime.date, last: datetime.date, visitors: list[int] | None = None
) -> dict[int, int]:
    """How many visits to households of these grids each user went on (each of `visitors`, if given),
    local days `first` to `last` included; users with none absent. One grouped query over the stored counts
    per grid, visitor and day (VisitTally, kept by the database on every write): a street's month is a few
    thousand rows, not every visit of the month joined to its household and its visitors."""
    tally = VisitTally.objects.filter(grid_id__any=grid_ids, day__gte=first, day__lte=last)
    if visitors is not None:
        tally = tally.filter(visitor_id__any=visitors)
    rows = tally.values("visitor_id").annotate(n=Sum("visits")).order_by()
    return {row["visitor_id"]: row["n"] for row in rows if row["n"]}
