"""The leaders' dashboard: which unit (scope) and which days (period), and the figures of both.

The measures themselves are defined in cases/measures.py (cases), visits/measures.py (care coverage) and
projects/measures.py (co-governance: activities, hours, reporting members, deliberations, needs);
this module only chooses what to count over and puts the pieces together, with a fixed number
of queries whatever the district's size.
"""

import datetime
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q, QuerySet, Sum
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from cases import measures
from cases.measures import Figures, Rate
from cases.models import Case, Category, Status
from common.dates import day_end, day_start
from grids.models import Assignment, Community, Grid, held_places
from grids.roles import CASE_WORKER_ROLES, WORKLOAD_ROLES
from grids.selectors import grids_served_by
from projects import measures as co_measures
from projects.measures import CoFigures, Place
from visits.measures import COVERAGE, coverage_by, visits_by_visitor

# ---------------------------------------------------------------------------------------------- scope


@dataclass
class Unit:
    """A street, community or grid the user may look at as a whole."""

    level: str  # "street", "community", "grid"
    pk: int
    name: str
    parent: "Unit | None" = None
    grid_ids: list[int] = field(default_factory=list)

    @property
    def param(self) -> str:
        return f"{self.level}:{self.pk}"


@dataclass(frozen=True)
class Scope:
    """What the figures cover: one unit, or everything the user sees (`unit` None)."""

    unit: Unit | None
    grid_ids: list[int]
    label: str

    @property
    def param(self) -> str:
        return self.unit.param if self.unit else "all"

    @property
    def level(self) -> str:
        return self.unit.level if self.unit else "all"

    def filter_params(self) -> dict[str, str]:
        """The case list's filter for this scope (see cases.forms.CaseFilterForm)."""
        if self.unit is None:
            return {}
        return {self.unit.level: str(self.unit.pk)}


# Up to this many grids, the scope select lists every one (ScopeTree.picker).
PICKER_ALL_GRIDS = 60


class GridUnits(Mapping[int, Unit]):
    """The grids of a ScopeTree by id, each grid's unit made when first looked up. A district leader sees
    2,000 grids and a page of theirs shows a street's 200 at most: making every unit on every dashboard
    took longer than reading the grids (5-10 ms at 500,000 households).

    The grids of whole streets are read a street at a time (ScopeTree.read); a grid looked up that is not
    read yet, and going through all of them, first read the rest (`read_rest`), so whatever asks gets the
    same answer as if all had been read at once. Iteration is in the tree's order: by street, community
    and grid code."""

    def __init__(self, read_rest: Callable[[], None]) -> None:
        self._rows: dict[int, tuple[tuple[str, str, str], str, Unit | None]] = {}
        self._made: dict[int, Unit] = {}
        self._order: list[int] | None = []
        self._read_rest = read_rest

    def add(self, pk: int, name: str, key: tuple[str, str, str], community: Unit | None) -> None:
        """Grid `pk` named `name`, sorted by `key` (street name, community name, grid code)."""
        self._rows[pk] = (key, name, community)
        self._order = None

    def __getitem__(self, pk: int) -> Unit:
        unit = self._made.get(pk)
        if unit is None:
            if pk not in self._rows:
                self._read_rest()
            key, name, community = self._rows[pk]  # KeyError for a grid not the user's
            unit = self._made[pk] = Unit("grid", pk, f"{name}（{key[2]}）", community, [pk])
        return unit

    def __contains__(self, pk: object) -> bool:
        if pk not in self._rows:
            self._read_rest()
        return pk in self._rows

    def __iter__(self) -> Iterator[int]:
        self._read_rest()
        if self._order is None:
            self._order = sorted(self._rows, key=lambda pk: self._rows[pk][0])
        return iter(self._order)

    def __len__(self) -> int:
        self._read_rest()
        return len(self._rows)

    def count_read(self) -> int:
        """How many grids are read so far."""
        return len(self._rows)


class ScopeTree:
    """The units a user may choose: whole streets and communities they are assigned to (or under), and
    every grid they see. A community leader is never offered a street, nor anyone else's community.

    Streets and communities are read at once. The grids of a whole street are read when a scope, a list
    or a lookup first needs them (`read`): a street or district leader's page over one street reads that
    street's grids, not the district's thousands (4 ms at 500,000 households, and growing with the city)."""

    def __init__(
        self,
        streets: dict[int, Unit],
        communities: dict[int, Unit],
        unread: set[int],
        others: int,
        everything_label: str,
    ) -> None:
        self.streets = streets
        self.communities = communities
        self.grids = GridUnits(self._read_rest)
        self.everything_label = everything_label
        self._unread = unread  # whole streets whose grids are not read yet
        self._others = others  # how many grids the user sees outside whole streets

    def read(self, street_ids: Iterable[int]) -> None:
        """Read the grids of these whole streets (those not read yet): one query."""
        wanted = self._unread.intersection(street_ids)
        if not wanted:
            return
        self._unread -= wanted
        rows = list(
            Grid.objects.filter(community__street_id__any=sorted(wanted))
            .order_by()
            .values_list("community_id", "code", "pk", "name")
        )
        place = {pk: i for i, pk in enumerate(self.communities)}
        # A grid of a community made after the communities were read waits for the next request.
        rows = sorted((row for row in rows if row[0] in place), key=lambda row: (place[row[0]], row[1]))
        for community_id, code, pk, name in rows:
            community = self.communities[community_id]
            street = community.parent
            community.grid_ids.append(pk)
            if street is not None:
                street.grid_ids.append(pk)
            self.grids.add(pk, name, (street.name if street else "", community.name, code), community)

    def _read_rest(self) -> None:
        self.read(set(self._unread))

    @property
    def all_grid_ids(self) -> list[int]:
        return list(self.grids)

    @property
    def is_empty(self) -> bool:
        """The user sees no grid at all."""
        return not self.communities and not self.grids

    def grid_count(self) -> int:
        """How many grids the user sees, without reading their whole streets' grids: counted (one query
        whenever they hold a whole street, read or not, so a page asks the same of any district)."""
        if not self.streets:
            return len(self.grids)
        return self._others + Grid.objects.filter(community__street_id__any=list(self.streets)).count()

    def units(self) -> list[Unit]:
        return [*self.streets.values(), *self.communities.values(), *self.grids.values()]

    def picker(self, scope: "Scope") -> list[Unit]:
        """The units the scope select offers: all of them while the user's grids are few; otherwise the
        streets and communities, and the grids of the community in view (chosen, or the chosen grid's).
        A district's thousands of grids are thousands of options to draw on every dashboard, and no one
        picks from them: the grids of another community are a choice of that community away, and every
        ranking row links to its grid."""
        if not self.communities or self.grid_count() <= PICKER_ALL_GRIDS:
            return self.units()  # few grids, or grids alone (no community of theirs to choose first)
        unit = scope.unit
        if unit is None or unit.level == "street":
            grids = []
        elif unit.level == "community":
            grids = [self.grids[pk] for pk in unit.grid_ids]
        elif unit.parent is not None:
            grids = [self.grids[pk] for pk in unit.parent.grid_ids]
        else:
            grids = [unit]  # a grid of a community the user does not hold as a whole
        return [*self.streets.values(), *self.communities.values(), *grids]

    def default(self) -> Scope:
        """The one unit that covers everything the user sees, if there is one: their one whole street
        when they see nothing outside it; else, holding no whole street, their one community or grid."""
        if self.streets:
            if len(self.streets) == 1 and not self._others:
                return self.scope(next(iter(self.streets.values())))
            return self.everything()
        everything = self.all_grid_ids
        for level in (self.communities, self.grids):
            if len(level) == 1 and len(everything) == len(next(iter(level.values())).grid_ids):
                return self.scope(next(iter(level.values())))
        return self.everything()

    def everything(self) -> Scope:
        return Scope(unit=None, grid_ids=self.all_grid_ids, label=self.everything_label)

    def scope(self, unit: Unit) -> Scope:
        street = {"street": unit, "community": unit.parent}.get(unit.level)  # a grid's unit is read already
        if street is not None:
            self.read([street.pk])
        return Scope(unit=unit, grid_ids=unit.grid_ids, label=unit.name)

    def parse(self, param: str) -> Scope:
        """The scope named by `param` ("community:3"), or Http404 when it is not the user's."""
        if not param:
            return self.default()
        if param == "all":
            return self.everything()
        level, _sep, pk = param.partition(":")
        units = {"street": self.streets, "community": self.communities, "grid": self.grids}.get(level)
        if units is None or not pk.isdigit() or int(pk) not in units:
            raise Http404
        return self.scope(units[int(pk)])


def scope_tree(user) -> ScopeTree:
    """The user's units: the communities of the streets they hold whole (with the streets' names), and
    the grids they see outside those streets (with their places), from the assignments already read.
    The whole streets' grids are read when needed (ScopeTree.read)."""
    grids: list[int] = []
    communities: list[int] = []
    if user.is_superuser:
        whole_streets: set[int] | None = None  # every street
    else:
        grids, communities, streets = held_places(user)
        whole_streets = set(streets)
    places: list[tuple[str, str, int, int | None]] = []
    if whole_streets is None or whole_streets:
        with_grids = Community.objects.filter(Exists(Grid.objects.filter(community=OuterRef("pk"))))
        if whole_streets is not None:
            with_grids = with_grids.filter(street_id__any=sorted(whole_streets))
        places = list(with_grids.order_by().values_list("street__name", "name", "pk", "street_id"))
    others: list[tuple] = []
    if grids or communities:
        outside = Grid.objects.visible_to(user)
        if whole_streets:
            outside = outside.exclude(community__street_id__in=whole_streets)
        others = list(
            outside.order_by().values_list(
                "community__street__name", "community__name", "code", "pk", "name", "community_id"
            )
        )
    # The user's whole communities outside their whole streets: those they are assigned to.
    assigned = set(communities)
    places += {(row[0], row[1], row[5], None) for row in others if row[5] in assigned}
    # By street and community name (and the grids below by code), sorted here: PostgreSQL took 6.5 ms to
    # sort a district's 2,000 grids by their places' names, Python takes well under one.
    places.sort()
    street_units: dict[int, Unit] = {}
    community_units: dict[int, Unit] = {}
    for street_name, community_name, community_id, street_id in places:
        street = None  # a community held outside the user's whole streets has no street unit above it
        if street_id is not None:
            street = street_units.get(street_id)
            if street is None:
                street = street_units[street_id] = Unit("street", street_id, street_name)
        community_units[community_id] = Unit("community", community_id, community_name, street)
    label = _("全区") if user.is_superuser else _("我负责的全部网格")
    tree = ScopeTree(street_units, community_units, set(street_units), len(others), str(label))
    for street_name, community_name, code, pk, name, community_id in sorted(others):
        community = community_units.get(community_id)
        if community is not None:
            community.grid_ids.append(pk)
        tree.grids.add(pk, name, (street_name, community_name, code), community)
    return tree


# --------------------------------------------------------------------------------------------- period

PERIOD_KINDS = {
    "week": _("本周"),
    "month": _("本月"),
    "quarter": _("本季度"),
    "custom": _("自定义"),
}
MAX_CUSTOM_DAYS = 366
TREND_MIN_WEEKS = 8


@dataclass(frozen=True)
class Period:
    """Local days `first` to `last`, both included; `start`/`end` are the half-open aware bounds."""

    first: datetime.date
    last: datetime.date

    @property
    def start(self) -> datetime.datetime:
        return day_start(self.first)

    @property
    def end(self) -> datetime.datetime:
        return day_end(self.last)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def trend_weeks(self) -> list[datetime.date]:
        """The Mondays of the weekly trend: the period's weeks, and at least TREND_MIN_WEEKS."""
        last_monday = self.last - datetime.timedelta(days=self.last.weekday())
        first_monday = self.first - datetime.timedelta(days=self.first.weekday())
        first_monday = min(first_monday, last_monday - datetime.timedelta(weeks=TREND_MIN_WEEKS - 1))
        weeks = (last_monday - first_monday).days // 7 + 1
        return [first_monday + datetime.timedelta(weeks=i) for i in range(weeks)]


def period_of(kind: str, today: datetime.date) -> Period:
    """This week (from Monday), this month, or this quarter, up to and including today."""
    if kind == "week":
        return Period(today - datetime.timedelta(days=today.weekday()), today)
    if kind == "quarter":
        return Period(today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1), today)
    return Period(today.replace(day=1), today)


def last_month(today: datetime.date) -> Period:
    """The monthly report's default: the last whole month."""
    day = today.replace(day=1) - datetime.timedelta(days=1)
    return month_period(day.year, day.month)


def month_period(year: int, month: int) -> Period:
    first = datetime.date(year, month, 1)
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    return Period(first, following - datetime.timedelta(days=1))


# ------------------------------------------------------------------------------------------ dashboard


@dataclass
class UnitRow:
    """One line of the ranking table: a grid (or community) with its figures and its rank."""

    unit: Unit
    figures: Figures
    coverage: Rate
    rank: int | None = None


@dataclass
class Dashboard:
    scope: Scope
    period: Period
    now: datetime.datetime
    today: datetime.date
    totals: Figures
    coverage: Rate
    grid_rows: list[UnitRow]
    community_rows: list[UnitRow]
    categories: list[tuple[Category, int]]
    states: list[tuple[str, str, int]]
    trend: list[tuple[datetime.date, Figures]]
    rank_by: str


def rank(rows: list[UnitRow], key: str) -> list[UnitRow]:
    """Rank by one rate, highest first; rows whose rate rests on fewer than MIN_CASES_TO_RANK cases keep
    rank None and follow the ranked ones, so one lucky case does not top the table. Ties share a rank."""

    def rate(row: UnitRow) -> Rate:
        return row.coverage if key == COVERAGE.key else row.figures.rates[key]

    ranked = sorted((r for r in rows if rate(r).rankable), key=lambda r: (-(rate(r).value or 0), r.unit.name))
    previous, position = None, 0
    for i, row in enumerate(ranked, start=1):
        if rate(row).value != previous:
            position, previous = i, rate(row).value
        row.rank = position
    unranked = sorted((r for r in rows if not rate(r).rankable), key=lambda r: r.unit.name)
    return ranked + unranked


def dashboard(
    tree: ScopeTree,
    scope: Scope,
    period: Period,
    now: datetime.datetime,
    today: datetime.date,
    rank_by: str = "resolution",
) -> Dashboard:
    """Every figure of the scope in the period. Eight queries, whatever the district's size: the
    measures by grid (the days' stored counts, what those cannot hold, the reopen events), care
    coverage by grid, categories and states (counted in one, then the categories' names), and the weekly
    trend (the weeks' stored counts and the open cases never taken; one more for a last week cut short by
    a custom period)."""
    cases = Case.objects.filter(grid_id__any=scope.grid_ids)
    by_grid = measures.figures_by_grid(scope.grid_ids, period.first, period.last, now)
    coverage = coverage_by(scope.grid_ids, "grid_id", today)
    empty = Figures.from_row({})

    grid_rows = []
    for pk in scope.grid_ids:
        enrolled, covered = coverage.get(pk, (0, 0))
        grid_rows.append(UnitRow(tree.grids[pk], by_grid.get(pk, empty), Rate(hit=covered, n=enrolled)))
    totals = Figures.total(row.figures for row in grid_rows)
    total_coverage = sum((row.coverage for row in grid_rows), Rate(0, 0))
    community_rows = []
    if scope.level in ("street", "all"):
        by_community: dict[int, tuple[Unit, list[UnitRow]]] = {}
        for row in grid_rows:
            if row.unit.parent is not None:
                by_community.setdefault(row.unit.parent.pk, (row.unit.parent, []))[1].append(row)
        for community, rows in by_community.values():
            figures = Figures.total(row.figures for row in rows)
            covered = sum((row.coverage for row in rows), Rate(0, 0))
            community_rows.append(UnitRow(community, figures, covered))
        community_rows = rank(community_rows, rank_by)

    received, by_state = measures.counts_by(cases, ["category", "status"], period.start, period.end)
    categories = [(c, received[c.pk]) for c in Category.objects.filter(pk__in=received)]
    categories.sort(key=lambda pair: (-pair[1], pair[0].sort_order, pair[0].name))
    states = [(value, str(label), by_state.get(value, 0)) for value, label in Status.choices]

    weeks = period.trend_weeks()
    weekly = measures.weekly(scope.grid_ids, weeks[0], period.end, now)
    trend = [(week, weekly.get(week, empty)) for week in weeks]

    return Dashboard(
        scope=scope,
        period=period,
        now=now,
        today=today,
        totals=totals,
        coverage=total_coverage,
        grid_rows=rank(grid_rows, rank_by) if len(grid_rows) > 1 else grid_rows,
        community_rows=community_rows,
        categories=categories,
        states=states,
        trend=trend,
        rank_by=rank_by,
    )


# ------------------------------------------------------------------------------------------- workload


def workload_grid_ids(user, scope: Scope) -> list[int]:
    """The scope's grids whose workers the user leads (WORKLOAD_ROLES): a grid leader their grid, the
    community's staff and leader the community, the street leader the street."""
    led = set(
        grids_served_by(user, WORKLOAD_ROLES).filter(pk__any=scope.grid_ids).values_list("pk", flat=True)
    )
    return [pk for pk in scope.grid_ids if pk in led]


@dataclass
class WorkerRow:
    """One grid worker in the workload table: who, their grids in the scope, and each figure."""

    user_id: int
    first_name: str
    username: str
    grids: list[str]
    figures: dict[str, int]

    @property
    def name(self) -> str:
        return self.first_name or self.username


def workload(grid_ids: list[int]) -> list[WorkerRow]:
    """Each grid worker of these grids with their grids in them, by name; `count_workload` gives a page of
    them their figures. One query whatever the number of workers, read as values: a street's 450 workers
    took 36 ms as users and grids, 7 as values."""
    # The workers' roles are grid roles, held on the grid itself (Assignment's check constraint), so the
    # grid's own assignments are all that serve it with one.
    assignments = (
        Assignment.objects.filter(role__in=sorted(CASE_WORKER_ROLES), grid_id__any=grid_ids)
        .order_by("user__first_name", "user__username", "user_id", "grid__code")
        .values_list("user_id", "user__first_name", "user__username", "grid__name")
    )
    rows: dict[int, WorkerRow] = {}
    for user_id, first_name, username, grid in assignments:
        row = rows.setdefault(user_id, WorkerRow(user_id, first_name, username, [], {}))
        if grid is not None and grid not in row.grids:
            row.grids.append(grid)
    return list(rows.values())


def count_workload(
    rows: Sequence[WorkerRow], grid_ids: list[int], period: Period, now: datetime.datetime
) -> None:
    """Fill in the WORKLOAD measures (cases/measures.py) and the visits made (visits/measures.py) of these
    workers over the cases and visits of these grids: three queries (the cases they hold, the period's take
    and resolve lines, the visits), over these workers only, so a page of a street's table costs what a
    page of a community's does."""
    workers = [row.user_id for row in rows]
    by_worker = measures.workload_by_worker(grid_ids, period.start, period.end, now, workers=workers)
    visits = visits_by_visitor(grid_ids, period.first, period.last, visitors=workers)
    for row in rows:
        row.figures = {key: by_worker.get(row.user_id, {}).get(key, 0) for key in measures.WORKLOAD}
        row.figures["visits"] = visits.get(row.user_id, 0)


def workload_worker(grid_ids: list[int], pk: str):
    """The grid worker of these grids with this id (as typed), or None."""
    if not str(pk).isdigit():
        return None
    found = (
        Assignment.objects.filter(user_id=int(pk), role__in=sorted(CASE_WORKER_ROLES), grid_id__any=grid_ids)
        .select_related("user")
        .first()
    )
    return found.user if found else None


def workload_cases(grid_ids: list[int], key: str, worker_id: int, period: Period, now: datetime.datetime):
    """The cases behind one worker's figure in the workload table, with what a case row shows."""
    cases = measures.workload_drill(grid_ids, key, worker_id, period.start, period.end, now)
    return cases.select_related(
        "category", "grid", "building", "handler", "assigned_worker", "requester"
    ).order_by("-created_at", "-id")


# ------------------------------------------------------------------------------------- co-governance


def place_of(tree: ScopeTree, scope: Scope) -> Place:
    """What the scope covers for the co-governance figures: its grids, and (above a grid) the whole
    communities among them, whose community-wide records count too."""
    if scope.unit is None:
        whole = list(tree.communities)  # every community unit is one the user sees every grid of
    elif scope.level == "street":
        whole = [pk for pk, community in tree.communities.items() if community.parent is scope.unit]
    elif scope.level == "community":
        whole = [scope.unit.pk]
    else:
        whole = []
    return Place(scope.grid_ids, whole)


@dataclass
class CoRow:
    """A line of the co-governance table: a community, a grid, or a community's community-wide records."""

    label: str
    figures: CoFigures
    scope_param: str = ""  # the unit to look at next (empty for community-wide records)

    @property
    def values(self) -> list:
        """Each figure's value, in FIGURES' order (the table's columns)."""
        return [self.figures.value(key) for key in co_measures.FIGURES]


@dataclass
class CoGovernance:
    totals: CoFigures
    rows: list[CoRow]

    @property
    def cards(self) -> list:
        """(figure, value) of the scope, in FIGURES' order."""
        return [(figure, self.totals.value(key)) for key, figure in co_measures.FIGURES.items()]


def cogovernance(tree: ScopeTree, scope: Scope, period: Period, now: datetime.datetime) -> CoGovernance:
    """The co-governance figures (projects/measures.py) of the scope in the period, with a line per
    community (a street or everything) or per grid (a community). Six queries."""
    place = place_of(tree, scope)
    by_grid = scope.level not in ("street", "all")
    by_unit = co_measures.figures_by_unit(place, period.start, period.end, now, by_grid=by_grid)
    totals = CoFigures.total(by_unit.values())
    rows: list[CoRow] = []
    if scope.level in ("street", "all"):
        for (community_id, _grid_id), figures in by_unit.items():
            unit = tree.communities.get(community_id)
            # A community the user sees only some grids of is not a unit of theirs: its grids' records.
            label = unit.name if unit else str(_("其他网格"))
            rows.append(CoRow(label, figures, unit.param if unit else ""))
    elif scope.level == "community":
        for (_community_id, grid_id), figures in by_unit.items():
            grid = tree.grids.get(grid_id) if grid_id is not None else None
            if grid is None:
                rows.append(CoRow(str(_("全社区")), figures))
            else:
                rows.append(CoRow(grid.name, figures, grid.param))
    # In the scope tree's order (communities by street and name, grids by code); community-wide records last.
    if scope.level in ("street", "all"):
        order = {f"community:{pk}": i for i, pk in enumerate(tree.communities)}
    else:
        order = {f"grid:{pk}": i for i, pk in enumerate(scope.grid_ids)}
    rows.sort(key=lambda row: (row.scope_param == "", order.get(row.scope_param, 0), row.label))
    return CoGovernance(totals, rows)


# What each kind of record behind a co-governance figure is read with, for its drill-down list.
_CO_RECORDS = {
    "activity": lambda rows: (
        rows.select_related("community", "grid", "team")
        .annotate(hours_credited=Sum("sign_ups__hours", filter=Q(sign_ups__attended=True)))
        .order_by("-ends_at", "-id")
    ),
    "member": lambda rows: rows.select_related("grid__community", "unit").order_by("-reported_on", "id"),
    "meeting": lambda rows: rows.select_related("deliberation__community").order_by("-held_at", "-id"),
    "deliberation": lambda rows: rows.select_related("community", "grid").order_by("-decided_at", "-id"),
    "need": lambda rows: rows.select_related("community", "grid").order_by("-created_at", "-id"),
}


def cogovernance_records(
    tree: ScopeTree, scope: Scope, period: Period, figure: co_measures.Figure, now: datetime.datetime
) -> QuerySet:
    """The records behind one co-governance figure of the scope in the period (exactly what
    projects.measures counts for it), with what their list shows."""
    rows = co_measures.drill(place_of(tree, scope), figure.key, period.start, period.end, now)
    return _CO_RECORDS[figure.record](rows)
