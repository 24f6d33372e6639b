"""The co-governance figures leaders watch (共建共治), each defined once, here.

Shaped like the case measures (cases/measures.py): each figure names the records it counts (`rows`, for
a period), so the dashboard's count and its drill-down list rest on the very same condition.

Where a record counts: a record tied to a grid (an activity for one grid, a reporting member, a need or a
deliberation of one grid) counts for that grid, its community and its street; a community-wide record
(no grid) counts for its community and street only, so it shows in a scope that covers its whole
community. `Place` says which grids and whole communities a scope covers.
"""

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cases.models import Deliberation, Meeting
from visits.models import Visit
from volunteers.models import Activity, ActivitySignUp, ReportingMember

from .models import Need, NeedClosure, NeedStatus


@dataclass(frozen=True)
class Place:
    """What a scope covers: its grids, and the communities it covers whole (for community-wide records)."""

    grid_ids: list[int]
    community_ids: list[int]

    def condition(self, grid: str, community: str) -> Q:
        """Records whose grid (`grid` path) is one of the grids, or community-wide records of a whole
        community (`community` path)."""
        return Q(**{f"{grid}__any": self.grid_ids}) | Q(
            **{f"{grid}__isnull": True, f"{community}__any": self.community_ids}
        )


def _held(start: datetime.datetime, end: datetime.datetime, now: datetime.datetime) -> Q:
    # Ended in the period, attendance taken (签到已记录): an activity that took place.
    return Q(ends_at__gte=start, ends_at__lt=end, ends_at__lte=now, attendance_taken_at__isnull=False)


def held_activities(place: Place, start, end, now) -> QuerySet[Activity]:
    return Activity.objects.filter(place.condition("grid", "community"), _held(start, end, now))


def _served(start, end, now) -> Q:
    """A reporting member who, through their volunteer record, attended an activity held
    in the period or went on a visit in it."""
    attended = ActivitySignUp.objects.filter(
        volunteer__reporting_member=OuterRef("pk"),
        attended=True,
        activity__ends_at__gte=start,
        activity__ends_at__lt=end,
        activity__ends_at__lte=now,
    )
    visited = Visit.volunteers.through.objects.filter(
        volunteer__reporting_member=OuterRef("pk"), visit__visited_at__gte=start, visit__visited_at__lt=end
    )
    return Q(Exists(attended)) | Q(Exists(visited))


def reporting_members(place: Place, start, end, now) -> QuerySet[ReportingMember]:
    """Members of the scope's grids who had reported by the period's end."""
    return ReportingMember.objects.filter(grid_id__any=place.grid_ids, reported_on__lt=end.date())


def active_members(place: Place, start, end, now) -> QuerySet[ReportingMember]:
    return reporting_members(place, start, end, now).filter(_served(start, end, now))


def deliberation_meetings(place: Place, start, end, now) -> QuerySet[Meeting]:
    return Meeting.objects.filter(
        place.condition("deliberation__grid", "deliberation__community"),
        deliberation__isnull=False,
        held_at__gte=start,
        held_at__lt=end,
    )


def deliberations_settled(place: Place, start, end, now) -> QuerySet[Deliberation]:
    # 议定: a decision reached (形成决议) in the period.
    return Deliberation.objects.filter(
        place.condition("grid", "community"), decided_at__gte=start, decided_at__lt=end
    )


def needs_registered(place: Place, start, end, now) -> QuerySet[Need]:
    return Need.objects.filter(
        place.condition("grid", "community"), created_at__gte=start, created_at__lt=end
    )


NEED_MATCHED = Q(status=NeedStatus.MATCHED) | Q(closure=NeedClosure.DONE)
NEED_OPEN = Q(status=NeedStatus.OPEN)
NEED_UNMATCHED = Q(closure=NeedClosure.UNMATCHED)


@dataclass(frozen=True)
class Figure:
    """One co-governance figure: what it counts (`rows`, a queryset for a place and a period), the kind of
    record its drill-down lists, and the unit its number is printed with. The hours add up the attended
    sign-ups' hours of the activities `rows` gives (figures_by_unit)."""

    key: str
    label: str
    definition: str
    rows: Callable[..., QuerySet]
    record: str  # what the drill-down lists: "activity", "member", "meeting", "deliberation", "need"
    unit: str = pgettext_lazy("unit of a figure", "件")  # what the number counts (the report, the workbook)


FIGURES = {
    f.key: f
    for f in (
        Figure(
            "activities",
            _("开展活动"),
            _("本期结束、已签到的志愿服务和睦邻活动场次。"),
            held_activities,
            "activity",
            pgettext_lazy("unit of a figure", "场"),
        ),
        Figure(
            "hours",
            _("志愿服务时长"),
            _("本期开展的活动中，到场志愿者获记的服务时长合计（小时）。"),
            held_activities,
            "activity",
            pgettext_lazy("unit of a figure", "小时"),
        ),
        Figure(
            "members",
            _("报到在职党员"),
            _("期末前已到所选网格报到的在职党员人数。"),
            reporting_members,
            "member",
            pgettext_lazy("unit of a figure", "人"),
        ),
        Figure(
            "members_active",
            _("参与服务的在职党员"),
            _("报到的在职党员中，本期以志愿者身份到场参加活动或同行走访的人数。"),
            active_members,
            "member",
            pgettext_lazy("unit of a figure", "人"),
        ),
        Figure(
            "meetings",
            _("议事会议"),
            _("本期召开的居民议事会议次数（不含工单的协商会议）。"),
            deliberation_meetings,
            "meeting",
            pgettext_lazy("unit of a figure", "次"),
        ),
        Figure(
            "settled",
            _("议定事项"),
            _("本期经议事形成决议的议题件数。"),
            deliberations_settled,
            "deliberation",
        ),
        Figure(
            "needs",
            _("新增需求"),
            _("本期列入需求清单的需求件数。"),
            needs_registered,
            "need",
        ),
        Figure(
            "needs_matched",
            _("需求已匹配"),
            _("本期登记的需求中，已匹配项目（含项目已完成而关闭）的件数。"),
            lambda *a: needs_registered(*a).filter(NEED_MATCHED),
            "need",
        ),
        Figure(
            "needs_open",
            _("需求待匹配"),
            _("本期登记的需求中，此刻仍待匹配的件数。"),
            lambda *a: needs_registered(*a).filter(NEED_OPEN),
            "need",
        ),
        Figure(
            "needs_unmatched",
            _("未匹配关闭"),
            _("本期登记的需求中，未匹配资源而关闭（写明原因）的件数。"),
            lambda *a: needs_registered(*a).filter(NEED_UNMATCHED),
            "need",
        ),
    )
}


# The figures that count records (every one but the hours).
_COUNTED = [key for key in FIGURES if key != "hours"]


@dataclass
class CoFigures:
    """Every co-governance figure of one unit (the scope, a community, a grid); hours in Decimal."""

    counts: dict[str, int]
    hours: Decimal

    @classmethod
    def empty(cls) -> "CoFigures":
        return cls(dict.fromkeys(_COUNTED, 0), Decimal(0))

    @classmethod
    def total(cls, many: Iterable["CoFigures"]) -> "CoFigures":
        """The figures of several units together, figure by figure in one pass (a street's 450 grids)."""
        many = list(many)
        return cls(
            {key: sum(f.counts[key] for f in many) for key in _COUNTED},
            sum((f.hours for f in many), Decimal(0)),
        )

    def __add__(self, other: "CoFigures") -> "CoFigures":
        return CoFigures.total([self, other])

    def value(self, key: str):
        return self.hours if key == "hours" else self.counts[key]


def figures_by_unit(
    place: Place, start, end, now, by_grid: bool = True
) -> dict[tuple[int, int | None], CoFigures]:
    """Every figure per (community id, grid id or None for community-wide records), in six grouped
    queries whatever the district's size: activities with their hours, members, meetings, decisions,
    needs. The scope's figures are the sum; a community's the sum of its keys.

    Without `by_grid`, per community alone (keys (community id, None)): a street's table has a line per
    community, and its 450 grids' figures made in Python only to be added up again cost more than the
    queries."""
    out: dict[tuple[int, int | None], CoFigures] = {}

    def _grouped(rows: QuerySet, grid: str, community: str, **aggregates) -> list[dict]:
        # `aggregates` of `rows` per (grid, community), or per community: one grouped query.
        keys = {"g": F(grid), "c": F(community)} if by_grid else {"c": F(community)}
        return [{"g": None, **row} for row in rows.values(**keys).annotate(**aggregates).order_by()]

    def add(key: tuple[int, int | None], name: str, n) -> None:
        figures = out.get(key)
        if figures is None:
            figures = out[key] = CoFigures.empty()
        if name == "hours":
            figures.hours += n or Decimal(0)
        else:
            figures.counts[name] += n or 0

    activities = held_activities(place, start, end, now)
    for row in _grouped(activities, "grid_id", "community_id", n=Count("pk")):
        add((row["c"], row["g"]), "activities", row["n"])
    hours = ActivitySignUp.objects.filter(activity__in=activities, attended=True)
    for row in _grouped(hours, "activity__grid_id", "activity__community_id", n=Sum("hours")):
        add((row["c"], row["g"]), "hours", row["n"])
    members = reporting_members(place, start, end, now)
    served = _served(start, end, now)
    for row in _grouped(
        members, "grid_id", "grid__community_id", n=Count("pk"), active=Count("pk", filter=served)
    ):
        add((row["c"], row["g"]), "members", row["n"])
        add((row["c"], row["g"]), "members_active", row["active"])
    meetings = deliberation_meetings(place, start, end, now)
    for row in _grouped(meetings, "deliberation__grid_id", "deliberation__community_id", n=Count("pk")):
        add((row["c"], row["g"]), "meetings", row["n"])
    settled = deliberations_settled(place, start, end, now)
    for row in _grouped(settled, "grid_id", "community_id", n=Count("pk")):
        add((row["c"], row["g"]), "settled", row["n"])
    needs = needs_registered(place, start, end, now)
    for row in _grouped(
        needs,
        "grid_id",
        "community_id",
        n=Count("pk"),
        matched=Count("pk", filter=NEED_MATCHED),
        open=Count("pk", filter=NEED_OPEN),
        unmatched=Count("pk", filter=NEED_UNMATCHED),
    ):
        key = (row["c"], row["g"])
        add(key, "needs", row["n"])
        add(key, "needs_matched", row["matched"])
        add(key, "needs_open", row["open"])
        add(key, "needs_unmatched", row["unmatched"])
    return out


def drill(place: Place, key: str, start, end, now) -> QuerySet:
    """The records behind one figure: exactly what figures_by_unit counts for it."""
    return FIGURES[key].rows(place, start, end, now)
