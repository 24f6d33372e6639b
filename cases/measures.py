"""The measures leaders watch (DOMAIN.md, "Measures leaders watch"), each defined once, here.

A measure counts the cases whose own date (`field`) falls in the period and that meet `base`; a rate is
the share of those that also meet `hit`. The dashboard counts both in SQL (`Count` with a filter) and the
drill-down list filters with the very same conditions (`drill`), so a list's count is the figure.

Periods are half-open: [start, end) in aware datetimes (the dashboard turns local days into them).
"""

import datetime
import functools
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    Count,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.dates import day_end, day_start

from .models import HANDLING_STATUSES, Case, CaseEvent, Outcome, Satisfaction, Status
from .tallies import DAY_COLUMNS, CaseDayTally, CaseWeekTally
from .workflow import Action

# A rate resting on fewer cases than this is shown, but the unit is not ranked by it.
MIN_CASES_TO_RANK = 5

# Outcomes of cases that were handled as cases of their own (merged ones live on in their target;
# rejected ones were never accepted).
HANDLED_OUTCOMES = [Outcome.RESOLVED, Outcome.UNRESOLVED]


@dataclass(frozen=True)
class Measure:
    """One figure: which cases it counts (`base`) and, for a rate, which of them count as a success.

    `base` and `hit` take the time of the request: whether a case's time to be taken has run out depends
    on it. `parts` are further drill-downs of the base (the three-way satisfaction split).
    """

    key: str
    label: str
    kind: str  # "rate", "count" or "duration"
    field: str | None  # the date that places a case in a period; None: the state now
    definition: str
    base: Callable[[datetime.datetime], Q]
    hit: Callable[[datetime.datetime], Q] | None = None
    hit_label: str = ""
    miss_label: str = ""
    # duration measures: the average of (field - since) over the base
    since: str = ""
    parts: dict[str, tuple[str, Q]] = field(default_factory=dict)

    def in_period(self, start: datetime.datetime | None, end: datetime.datetime | None) -> Q:
        """Its date in [start, end); an open bound (None) does not limit."""
        return _between(self.field, start, end) if self.field else Q()


def _between(date_field: str, start: datetime.datetime | None, end: datetime.datetime | None) -> Q:
    bounds = {}
    if start is not None:
        bounds[f"{date_field}__gte"] = start
    if end is not None:
        bounds[f"{date_field}__lt"] = end
    return Q(**bounds)


def _always(now: datetime.datetime) -> Q:
    return Q()


# The first response deadline. `response_due` itself moves on when a resolved case is reopened (its
# clock resumes where it stood), so the measure goes back to acceptance plus the limit; no pause can come
# before the first take, so nothing else moves it.
FIRST_RESPONSE_DUE = ExpressionWrapper(F("accepted_at") + F("response_limit"), output_field=DateTimeField())

# The case's last resolution (the one `resolved_at` holds; a reopen clears it) was made while it stood
# 已上报街道: the street resolved it. Its timeline line has the same time as `resolved_at`
# (cases.services.case_transition writes both with one `now`), found through the (case, at) index.
RESOLVED_BY_STREET = Exists(
    CaseEvent.objects.filter(
        case=OuterRef("pk"), at=OuterRef("resolved_at"), action=Action.RESOLVE, from_status=Status.ESCALATED
    )
)


def measured(cases: QuerySet[Case]) -> QuerySet[Case]:
    """`cases` with what the measures' conditions refer to besides the columns."""
    return cases.alias(first_response_due=FIRST_RESPONSE_DUE, resolved_by_street=RESOLVED_BY_STREET)


def _response_decided(now: datetime.datetime) -> Q:
    # Taken; or its time to be taken ran out while it was still open. A case closed untaken before its
    # deadline (merged into another, withdrawn) never owed a response.
    return (
        Q(first_taken_at__isnull=False)
        | Q(closed_at__isnull=True, first_response_due__lte=now)
        | Q(closed_at__isnull=False, first_response_due__lte=F("closed_at"))
    )


RESPONSE = Measure(
    key="response",
    label=_("响应率"),
    kind="rate",
    field="accepted_at",
    definition=_(
        "本期受理派单的工单中，在接单期限内被网格员接单的比例。分母为本期受理、且已接单或接单期限已过"
        "（归档前已过）的工单；期限未到、尚未接单的不计入。"
    ),
    base=_response_decided,
    hit=lambda now: Q(first_taken_at__isnull=False, first_taken_at__lte=F("first_response_due")),
    hit_label=_("按时接单"),
    miss_label=_("超时接单或未接单"),
)

RESOLUTION = Measure(
    key="resolution",
    label=_("解决率"),
    kind="rate",
    field="followed_up_at",
    definition=_(
        "本期回访的工单中，诉求人确认问题已解决的比例。每件工单按其最近一次回访计；重办后再次办结的，"
        "以新的回访为准。"
    ),
    base=_always,
    hit=lambda now: Q(follow_up_resolved=True),
    hit_label=_("确认已解决"),
    miss_label=_("表示未解决"),
)

SATISFACTION = Measure(
    key="satisfaction",
    label=_("满意率"),
    kind="rate",
    field="followed_up_at",
    definition=_("本期回访并评价的工单中，评价为“满意”或“基本满意”的比例；同时列出三项评价各自的件数。"),
    base=lambda now: ~Q(satisfaction=""),
    hit=lambda now: Q(satisfaction__in=[Satisfaction.SATISFIED, Satisfaction.BASICALLY]),
    hit_label=_("满意或基本满意"),
    miss_label=_("不满意"),
    parts={value: (label, Q(satisfaction=value)) for value, label in Satisfaction.choices},
)

ON_TIME = Measure(
    key="on_time",
    label=_("按时办结率"),
    kind="rate",
    field="resolved_at",
    definition=_(
        "本期办结的工单中，在办结期限内办结的比例。期限已计入暂停计时的时长；重办的工单以最近一次办结为准。"
    ),
    base=lambda now: Q(resolution_due__isnull=False),
    hit=lambda now: Q(resolved_at__lte=F("resolution_due")),
    hit_label=_("按时办结"),
    miss_label=_("超期办结"),
)

LOCAL = Measure(
    key="local",
    label=_("小事不出社区率"),
    kind="rate",
    field="closed_at",
    definition=_(
        "本期归档的工单中，从未上报街道的比例。只计已解决或未解决归档的工单；合并和不予受理的不计入。"
    ),
    base=lambda now: Q(outcome__in=HANDLED_OUTCOMES),
    hit=lambda now: Q(escalated_at__isnull=True),
    hit_label=_("社区内办结"),
    miss_label=_("曾上报街道"),
)

# 大事不出街道: of the cases that went up to the street, those the street itself resolved. Dated like
# LOCAL (archived in the period), so its base is exactly LOCAL's "曾上报街道" part and both are final.
STREET = Measure(
    key="street",
    label=_("大事不出街道率"),
    kind="rate",
    field="closed_at",
    definition=_(
        "本期归档、曾上报街道的工单中，由街道办结且回访确认已解决的比例。分母即小事不出社区率中"
        "“曾上报街道”的件数（已解决或未解决归档，合并和不予受理的不计入）；街道回派社区后由社区办结的，"
        "或回访表示未解决的，不计为街道办结。"
    ),
    base=lambda now: Q(outcome__in=HANDLED_OUTCOMES, escalated_at__isnull=False),
    # The subquery last: PostgreSQL evaluates the conditions in order and stops at the first false one.
    hit=lambda now: Q(outcome=Outcome.RESOLVED) & Q(resolved_by_street=True),
    hit_label=_("街道办结"),
    miss_label=_("回派社区或未解决"),
)

OVERDUE_NOW = Measure(
    key="overdue_now",
    label=_("当前超期"),
    kind="count",
    field=None,
    definition=_(
        "此刻未归档、且正在计时的期限（接单或办结期限）已过的工单件数；暂停计时的不计入。与所选时段无关。"
    ),
    base=lambda now: ~Q(status=Status.CLOSED) & Q(clock_due_at__lte=now),
)

RECEIVED = Measure(
    key="received",
    label=_("登记件数"),
    kind="count",
    field="created_at",
    definition=_("本期登记的诉求件数，含之后不予受理或合并的。"),
    base=_always,
)

TAKE_TIME = Measure(
    key="take_time",
    label=_("平均接单用时"),
    kind="duration",
    field="first_taken_at",
    definition=_("本期首次接单的工单，从受理派单到首次接单的平均时长。"),
    base=lambda now: Q(accepted_at__isnull=False),
    since="accepted_at",
)

RESOLVE_TIME = Measure(
    key="resolve_time",
    label=_("平均办结用时"),
    kind="duration",
    field="resolved_at",
    definition=_("本期办结的工单，从受理派单到办结的平均时长（含暂停计时的时间）。"),
    base=lambda now: Q(accepted_at__isnull=False),
    since="accepted_at",
)

REOPENED = Measure(
    key="reopened",
    label=_("重办工单"),
    kind="count",
    field=None,
    definition=_("本期因回访未解决或不满意而重办的工单件数；同一工单本期重办多次只计一件。"),
    base=_always,
)

# The order the dashboard shows them in.
MEASURES = {
    m.key: m
    for m in (
        RESPONSE,
        RESOLUTION,
        SATISFACTION,
        ON_TIME,
        LOCAL,
        STREET,
        OVERDUE_NOW,
        RECEIVED,
        TAKE_TIME,
        RESOLVE_TIME,
        REOPENED,
    )
}
# The rates, in the dashboard's order: the cards, the ranking table's columns, the export.
RATE_KEYS = [m.key for m in MEASURES.values() if m.kind == "rate"]
# What a drill-down may ask for: the base, its successes, the rest, or a named part.
PART_NAMES = ["all", "hit", "miss", *Satisfaction.values]


@dataclass(frozen=True)
class Rate:
    """A share with what it rests on; `value` is None when nothing was counted (shown as "—")."""

    hit: int
    n: int

    @property
    def value(self) -> float | None:
        return None if self.n == 0 else self.hit * 100 / self.n

    @property
    def miss(self) -> int:
        return self.n - self.hit

    @property
    def rankable(self) -> bool:
        return self.n >= MIN_CASES_TO_RANK

    def __add__(self, other: "Rate") -> "Rate":
        return Rate(hit=self.hit + other.hit, n=self.n + other.n)


@dataclass(frozen=True)
class Average:
    n: int
    seconds: float

    @property
    def hours(self) -> float | None:
        return None if self.n == 0 else self.seconds / self.n / 3600

    def __add__(self, other: "Average") -> "Average":
        return Average(n=self.n + other.n, seconds=self.seconds + other.seconds)


def _reopens(start: datetime.datetime | None, end: datetime.datetime | None) -> QuerySet[CaseEvent]:
    """The reopen events of the period, which REOPENED counts (by case) and drills into."""
    return CaseEvent.objects.filter(_between("at", start, end), action=Action.REOPEN)


def drill(
    cases: QuerySet[Case],
    key: str,
    part: str,
    start: datetime.datetime | None,
    end: datetime.datetime | None,
    now: datetime.datetime,
) -> QuerySet[Case]:
    """The cases behind one figure: the base of `key` ("all"), its successes ("hit"), the rest ("miss"),
    or one of its named parts. Exactly the conditions `figures` counts with."""
    measure = MEASURES[key]
    if measure is REOPENED:
        return cases.filter(pk__in=_reopens(start, end).values("case_id"))
    cases = measured(cases).filter(measure.in_period(start, end) & measure.base(now))
    if part == "hit" and measure.hit is not None:
        return cases.filter(measure.hit(now))
    if part == "miss" and measure.hit is not None:
        return cases.exclude(measure.hit(now))
    if part in measure.parts:
        return cases.filter(measure.parts[part][1])
    return cases


def _aggregates(measures: list[Measure], now: datetime.datetime, parts: bool = True) -> dict:
    """Conditional counts (and duration sums) of these measures over cases already in their period, for
    one aggregate query; their named parts too unless `parts` is false (the trend shows none)."""
    out = {}
    for m in measures:
        counted = m.base(now)
        out[f"{m.key}__n"] = Count("pk", filter=counted)
        if m.hit is not None:
            out[f"{m.key}__hit"] = Count("pk", filter=counted & m.hit(now))
        for name, (_label, condition) in (m.parts if parts else {}).items():
            out[f"{m.key}__{name}"] = Count("pk", filter=counted & condition)
        if m.kind == "duration":
            out[f"{m.key}__seconds"] = Sum(
                ExpressionWrapper(F(m.field) - F(m.since), output_field=DurationField()), filter=counted
            )
    return out


def _by_date(measures: Iterable[Measure]) -> dict[str | None, list[Measure]]:
    """Measures grouped by the date that places a case in a period (None: the state now)."""
    out: dict[str | None, list[Measure]] = {}
    for m in measures:
        out.setdefault(m.field, []).append(m)
    return out


@dataclass
class Figures:
    """Every measure for one unit (the scope, a community, a grid) in one period."""

    rates: dict[str, Rate] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    averages: dict[str, Average] = field(default_factory=dict)
    parts: dict[str, dict[str, int]] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: dict, reopened: int = 0) -> "Figures":
        figures = cls()
        for m, n, hit, seconds, parts in _ROW_KEYS:
            if m is REOPENED:
                figures.counts[m.key] = reopened
            elif m.kind == "rate":
                figures.rates[m.key] = Rate(hit=row.get(hit) or 0, n=row.get(n) or 0)
            elif m.kind == "count":
                figures.counts[m.key] = row.get(n) or 0
            else:
                duration = row.get(seconds)
                figures.averages[m.key] = Average(
                    n=row.get(n) or 0, seconds=duration.total_seconds() if duration is not None else 0.0
                )
            if parts:
                figures.parts[m.key] = {name: row.get(column) or 0 for name, column in parts}
        return figures

    @classmethod
    def total(cls, many: Iterable["Figures"]) -> "Figures":
        """The figures of several units together (each from `from_row`, so each holds every measure),
        added up measure by measure: a street's 500 grids in one pass, not 500 intermediate sums."""
        many = list(many)
        if not many:
            return cls.from_row({})
        first = many[0]
        return cls(
            rates={
                key: Rate(hit=sum(f.rates[key].hit for f in many), n=sum(f.rates[key].n for f in many))
                for key in first.rates
            },
            counts={key: sum(f.counts[key] for f in many) for key in first.counts},
            averages={
                key: Average(
                    n=sum(f.averages[key].n for f in many), seconds=sum(f.averages[key].seconds for f in many)
                )
                for key in first.averages
            },
            parts={
                key: {name: sum(f.parts[key][name] for f in many) for name in split}
                for key, split in first.parts.items()
            },
        )

    def __add__(self, other: "Figures") -> "Figures":
        return Figures.total([self, other])


# The names of each measure's columns in a row of counts (`_aggregates`), worked out once.
_ROW_KEYS = [
    (
        m,
        f"{m.key}__n",
        f"{m.key}__hit",
        f"{m.key}__seconds",
        [(name, f"{m.key}__{name}") for name in m.parts],
    )
    for m in MEASURES.values()
]


def figures_by_grid(
    grid_ids: list[int], first: datetime.date, last: datetime.date, now: datetime.datetime
) -> dict[int, Figures]:
    """Every measure per grid of `grid_ids` over the local days `first` to `last`, in three queries: the
    days' stored counts (CaseDayTally, kept by the database as cases are written), what no stored count
    can know counted from the cases themselves (`_unstored`), and the reopen events. Grids with nothing to
    count are absent; the scope's figures are the sum (`Figures.total`). What `counted_by_grid` gives for
    the same days (tests/test_case_tally.py).

    A street's month is its 200 grids' 30 days of stored rows, read from their index: counting the cases
    themselves read some 6,000 index entries for each of six dates (20-50 ms at 500,000 households)."""
    start, end = day_start(first), day_end(last)
    counts: dict[int, dict] = {}
    days = (
        CaseDayTally.objects.filter(grid_id__any=grid_ids, day__gte=first, day__lte=last)
        .values("grid_id")
        .annotate(**{name: Sum(name) for name in DAY_COLUMNS})
        .order_by()
    )
    for row in days:
        counts[row.pop("grid_id")] = _from_days(row)
    unstored = _unstored(start, end, now)
    rows = (
        measured(Case.objects.filter(grid_id__any=grid_ids))
        .filter(functools.reduce(operator.or_, unstored.values()))
        .values("grid_id")
        .annotate(**{key: Count("pk", filter=condition) for key, condition in unstored.items()})
        .order_by()
    )
    for row in rows:
        grid_counts = counts.setdefault(row.pop("grid_id"), {})
        for key, n in row.items():
            grid_counts[key] = grid_counts.get(key, 0) + n
    return _with_reopens(counts, grid_ids, start, end)


_RATINGS = Satisfaction.values  # read once: each read of an enum's values builds the list anew


def _from_days(row: dict) -> dict:
    """The measures' counts (`_aggregates`' names) from CaseDayTally's columns added up (see its docstring
    for what each column holds)."""
    rated = row["satisfied"] + row["basically"] + row["unsatisfied"]
    return {
        "received__n": row["received"],
        "response__n": row["taken"] + row["lapsed_closed"],
        "response__hit": row["taken_on_time"],
        "resolution__n": row["followed_up"],
        "resolution__hit": row["follow_up_resolved"],
        "satisfaction__n": rated,
        "satisfaction__hit": row["satisfied"] + row["basically"],
        **{f"satisfaction__{value}": row[value] for value in _RATINGS},
        "on_time__n": row["resolved_due"],
        "on_time__hit": row["resolved_on_time"],
        "local__n": row["closed_handled"],
        "local__hit": row["closed_handled"] - row["closed_escalated"],
        "street__n": row["closed_escalated"],
        "take_time__n": row["first_taken_accepted"],
        "take_time__seconds": datetime.timedelta(microseconds=row["take_us"]),
        "resolve_time__n": row["resolved_accepted"],
        "resolve_time__seconds": datetime.timedelta(microseconds=row["resolve_us"]),
    }


def _unstored(start: datetime.datetime, end: datetime.datetime, now: datetime.datetime) -> dict[str, Q]:
    """The counts CaseDayTally cannot hold, by the name `_aggregates` gives them, each from the measure's own
    conditions: the open cases never taken whose time to be taken has run out by `now` (RESPONSE's base
    counts them), the cases the street resolved (STREET's hit reads the timeline), the cases overdue now.
    Each a few dozen to a few hundred cases a street, read through its own partial index."""
    return {
        "response__n": RESPONSE.in_period(start, end)
        & Q(first_taken_at__isnull=True, closed_at__isnull=True, first_response_due__lte=now),
        "street__hit": STREET.in_period(start, end) & STREET.base(now) & STREET.hit(now),
        "overdue_now__n": OVERDUE_NOW.base(now),
    }


def _with_reopens(
    counts: dict[int, dict], grid_ids: list[int], start: datetime.datetime, end: datetime.datetime
) -> dict[int, Figures]:
    """The figures of each grid's counts, with REOPENED: the cases reopened in the period, by grid (the
    period's reopen lines first, a street's month has a few hundred, then their cases, rather than the
    grids' every case joined to the lines)."""
    reopened = dict(
        Case.objects.filter(grid_id__any=grid_ids, pk__any=_reopens(start, end).values("case_id").order_by())
        .values("grid_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("grid_id", "n")
    )
    by_grid = {grid_id: Figures.from_row(row, reopened.get(grid_id, 0)) for grid_id, row in counts.items()}
    for grid_id, n in reopened.items():
        if grid_id not in by_grid:
            by_grid[grid_id] = Figures.from_row({}, n)
    return by_grid


def counted_by_grid(
    grid_ids: list[int], start: datetime.datetime, end: datetime.datetime, now: datetime.datetime
) -> dict[int, Figures]:
    """Every measure per grid of `grid_ids` in [start, end), counted from the cases themselves: one grouped
    query per date the measures go by (and one for the state now), then the reopen events. No page reads
    it: it is what `figures_by_grid` (the stored days) is held to in tests/test_case_tally.py.

    Each date's query reads that date's (grid, date) index alone, which carries every column its measures'
    conditions read (cases.models._INDEX_COLUMNS)."""
    counts: dict[int, dict] = {}
    cases = measured(Case.objects.filter(grid_id__any=grid_ids))  # its expressions resolved once for all
    # REOPENED counts the timeline's reopen lines (_with_reopens).
    for date_field, measures in _by_date(m for m in MEASURES.values() if m is not REOPENED).items():
        if date_field is None:  # the state now: only the cases it counts (the open ones overdue now)
            where = functools.reduce(operator.or_, (m.base(now) for m in measures))
        else:
            where = measures[0].in_period(start, end)
        rows = cases.filter(where).values("grid_id").annotate(**_aggregates(measures, now)).order_by()
        for row in rows:
            counts.setdefault(row.pop("grid_id"), {}).update(row)
    return _with_reopens(counts, grid_ids, start, end)


def counts_by(
    cases: QuerySet[Case], columns: list[str], start: datetime.datetime, end: datetime.datetime
) -> list[dict[Any, int]]:
    """Cases registered in the period, counted by each of `columns` (category, status): one query, grouped
    by all of them together (a street's month: some 14 categories by 7 states), added up here column by
    column."""
    counts: list[dict[Any, int]] = [{} for _ in columns]
    rows = (
        cases.filter(RECEIVED.in_period(start, end))
        .values_list(*columns)
        .annotate(n=Count("pk"))
        .order_by()
        .values_list(*columns, "n")
    )
    for *values, n in rows:
        for by_column, value in zip(counts, values, strict=True):
            by_column[value] = by_column.get(value, 0) + n
    return counts


# The weekly trend: measures grouped by the week of their own date, one query per date.
TREND = [RECEIVED, RESPONSE, RESOLUTION, SATISFACTION]


def weekly(
    grid_ids: list[int], first: datetime.date, end: datetime.datetime, now: datetime.datetime
) -> dict[datetime.date, Figures]:
    """The TREND measures of these grids' cases per week (Monday, local time), from the week of Monday
    `first` up to `end` (the end of a local day), in two queries: the weeks' stored counts (CaseWeekTally,
    kept by the database as cases are written), and the open cases never taken whose time to be taken has
    run out by `now`, which RESPONSE counts too and no stored count can know in advance. A last week that
    `end` cuts short before `now` (a custom period ending midweek) adds up its days' stored counts
    (CaseDayTally): one more query."""
    last = timezone.localtime(end - datetime.timedelta(microseconds=1)).date()
    last_monday = last - datetime.timedelta(days=last.weekday())
    cut_short = end < day_start(last_monday + datetime.timedelta(weeks=1)) and end < now
    tallied_until = last_monday if cut_short else last_monday + datetime.timedelta(weeks=1)
    weeks: dict[datetime.date, dict] = {}
    tallies = (
        CaseWeekTally.objects.filter(grid_id__any=grid_ids, week__gte=first, week__lt=tallied_until)
        .values("week")
        .annotate(**{name: Sum(name) for name in _TALLIED})
        .order_by()
    )
    for row in tallies:
        weeks[row.pop("week")] = {
            f"{key}__{part}": sum(row[name] for name in names) for (key, part), names in _TALLIED_AS.items()
        }
    if cut_short:
        days = _from_days(
            CaseDayTally.objects.filter(grid_id__any=grid_ids, day__gte=last_monday, day__lte=last).aggregate(
                **{name: Sum(name, default=0) for name in DAY_COLUMNS}
            )
        )
        weeks[last_monday] = {key: days[key] for key in _TREND_COUNTS}
    lapsed = (
        measured(
            Case.objects.filter(grid_id__any=grid_ids, first_taken_at__isnull=True, closed_at__isnull=True)
        )
        .filter(_between("accepted_at", day_start(first), end), first_response_due__lte=now)
        .annotate(week=TruncWeek("accepted_at"))
        .values("week")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in lapsed:
        week = row["week"].date() if isinstance(row["week"], datetime.datetime) else row["week"]
        counts = weeks.setdefault(week, {})
        counts["response__n"] = counts.get("response__n", 0) + row["n"]
    return {week: Figures.from_row(row) for week, row in weeks.items()}


# What each TREND figure adds up of CaseWeekTally's columns (their conditions: its docstring).
_TALLIED_AS = {
    ("received", "n"): ["received"],
    ("response", "n"): ["taken", "lapsed_closed"],
    ("response", "hit"): ["taken_on_time"],
    ("resolution", "n"): ["followed_up"],
    ("resolution", "hit"): ["follow_up_resolved"],
    ("satisfaction", "n"): ["rated"],
    ("satisfaction", "hit"): ["satisfied"],
}
_TALLIED = sorted({name for names in _TALLIED_AS.values() for name in names})
# The counts a trend week holds (a week cut short takes them from its days' `_from_days`).
_TREND_COUNTS = [f"{key}__{part}" for key, part in _TALLIED_AS]


def counted_weekly(
    cases: QuerySet[Case], start: datetime.datetime, end: datetime.datetime, now: datetime.datetime
) -> dict[datetime.date, Figures]:
    """The TREND measures per week (Monday, local time) of [start, end), counted from the cases
    themselves: one query per date the measures go by. No page reads it: it is what the stored weeks
    (CaseWeekTally), and a week cut short added up from its stored days, are held to in
    tests/test_case_tally.py, week by week."""
    weeks: dict[datetime.date, dict] = {}
    for date_field, measures in _by_date(TREND).items():
        rows = (
            measured(cases)
            .filter(measures[0].in_period(start, end))
            .annotate(week=TruncWeek(date_field))
            .values("week")
            .annotate(**_aggregates(measures, now, parts=False))
            .order_by()
        )
        for row in rows:
            week = row.pop("week")
            week = week.date() if isinstance(week, datetime.datetime) else week
            weeks.setdefault(week, {}).update(row)
    return {week: Figures.from_row(row) for week, row in weeks.items()}


# ------------------------------------------------------------------------------ each worker's workload


@dataclass(frozen=True)
class WorkloadMeasure:
    """One column of the workload table (工作量): a count per grid worker, and the cases behind it.

    Either a state now (`held`: a condition on the cases the worker holds as handler) or what the worker
    did in the period (`action`: the cases with a timeline line of that action written by the worker in
    these grids, the line's grid being its case's when written; each case once however many such lines
    it has).
    """

    key: str
    label: str
    definition: str
    held: Callable[[datetime.datetime], Q] | None = None
    action: str = ""


def _held(now: datetime.datetime) -> Q:
    return Q(status__in=sorted(HANDLING_STATUSES))


HELD = WorkloadMeasure(
    key="held",
    label=_("在办工单"),
    definition=_("此刻由该网格员承办、尚未办结的工单（办理中、已上报街道、协商中）。与所选时段无关。"),
    held=_held,
)
HELD_OVERDUE = WorkloadMeasure(
    key="held_overdue",
    label=_("在办超期"),
    definition=_("在办工单中，正在计时的办结期限已过的件数；暂停计时的不计入。与所选时段无关。"),
    held=lambda now: _held(now) & Q(clock_due_at__lte=now),
)
TAKEN = WorkloadMeasure(
    key="taken",
    label=_("本期接单"),
    definition=_("本期内该网格员接单的工单件数；同一工单多次接单只计一件。"),
    action=Action.TAKE,
)
RESOLVED_BY = WorkloadMeasure(
    key="resolved",
    label=_("本期办结"),
    definition=_("本期内该网格员办结的工单件数；同一工单多次办结只计一件。"),
    action=Action.RESOLVE,
)
WORKLOAD = {m.key: m for m in (HELD, HELD_OVERDUE, TAKEN, RESOLVED_BY)}


def _worker_lines(
    grid_ids: list[int], actions: list[str], start: datetime.datetime, end: datetime.datetime
) -> QuerySet[CaseEvent]:
    """The period's timeline lines of these actions written in these grids (the case_event_grid_action
    index: a street's month of lines, not the district's)."""
    return CaseEvent.objects.filter(_between("at", start, end), grid_id__any=grid_ids, action__in=actions)


def workload_by_worker(
    grid_ids: list[int],
    start: datetime.datetime,
    end: datetime.datetime,
    now: datetime.datetime,
    workers: list[int] | None = None,
) -> dict[int, dict[str, int]]:
    """Every WORKLOAD measure per user over the cases of these grids, in two grouped queries (the cases
    held now, then the period's timeline lines); users with nothing to count are absent. Given `workers`,
    only theirs: a page of the workload table counts its own fifty workers, not the street's hundreds."""
    out: dict[int, dict[str, int]] = {}
    held = {m.key: Count("pk", filter=m.held(now)) for m in WORKLOAD.values() if m.held is not None}
    # Every held measure is a part of the held cases: only those are grouped (the case_grid_status_due index).
    cases = Case.objects.filter(_held(now), grid_id__any=grid_ids)
    if workers is not None:
        cases = cases.filter(handler_id__any=workers)
    for row in cases.values("handler_id").annotate(**held).order_by():
        out.setdefault(row.pop("handler_id"), {}).update(row)
    done = [m for m in WORKLOAD.values() if m.action]
    lines = _worker_lines(grid_ids, [m.action for m in done], start, end)
    if workers is not None:
        lines = lines.filter(actor_id__any=workers)
    lines = (
        lines.values("actor_id")
        .annotate(**{m.key: Count("case_id", distinct=True, filter=Q(action=m.action)) for m in done})
        .order_by()
    )
    for row in lines:
        out.setdefault(row.pop("actor_id"), {}).update(row)
    return out


def workload_drill(
    grid_ids: list[int],
    key: str,
    worker_id: int,
    start: datetime.datetime,
    end: datetime.datetime,
    now: datetime.datetime,
) -> QuerySet[Case]:
    """The cases behind one worker's figure: exactly what workload_by_worker counts."""
    measure = WORKLOAD[key]
    if measure.held is not None:
        return Case.objects.filter(measure.held(now), grid_id__any=grid_ids, handler_id=worker_id)
    lines = _worker_lines(grid_ids, [measure.action], start, end).filter(actor_id=worker_id)
    return Case.objects.filter(pk__in=lines.values("case_id"))
