"""The demo's visits: the reports' visits (data/visits.toml), and a history for every household in care.

Visits are counted back from the day the demo is loaded, so that the due and overdue lists look like a
working week whenever it is loaded; which household is overdue is still drawn from the seed.
"""

import datetime
import random
from collections import Counter
from decimal import Decimal

from django.db.models import Prefetch
from django.utils import timezone

from grids.models import Role, WorkTeamMember
from residents.models import CareCategory, CareEnrolment, Household, Resident
from visits import selectors as visit_selectors
from visits import services as visit_services
from visits.models import Visit

from .accounts import ACCOUNTS
from .common import SEED, data
from .places import COMMUNITY_OF, GRID_CODES

VISIT_SEED = SEED + 2
VISIT_HISTORY_DAYS = 90  # each household in care has this many days of visits behind it
OVERDUE_SHARE = 0.18  # households in care whose visit is late (at least one in the `worker`'s grid)
WORKERS_GRID = "JCG-01"
DUE_TODAY_SHARE = 0.1
CONDOLENCE_DAYS_AGO = 70  # the festival round of condolence visits to families in hardship
POLICY_VISITS = 8  # policy outreach at doors outside the care groups

ELDERLY_CATEGORIES = frozenset(
    {
        CareCategory.ELDERLY_LIVING_ALONE,
        CareCategory.EMPTY_NEST_ELDERLY,
        CareCategory.VERY_OLD,
        CareCategory.BEREAVED_PARENTS,
    }
)
CONDOLENCE_CATEGORIES = frozenset(
    {
        CareCategory.MINIMUM_ALLOWANCE,
        CareCategory.EXTREME_POVERTY_SUPPORT,
        CareCategory.PARTY_MEMBER_IN_HARDSHIP,
        CareCategory.BEREAVED_PARENTS,
    }
)
SU, DU, ZHU = data("visits")["su"], data("visits")["du"], data("visits")["zhu"]
NOTES = data("visits")["notes"]


def _gift(item: str, quantity: int, value: str) -> visit_services.Gift:
    return visit_services.Gift(item, quantity, Decimal(value))


GIFTS = tuple(_gift(*gift) for gift in data("visits")["gifts"]["everyone"])
CASH_GIFT = _gift(*data("visits")["gifts"]["cash"])


def grid_people(users: dict) -> tuple[dict[str, object], dict[str, list]]:
    """The 专职网格员 of each grid, and who else goes on visits there (网格长, 指导员, community staff)."""
    workers, companions = {}, {code: [] for code in GRID_CODES}
    for username, _name, role, place in ACCOUNTS:
        if role == Role.GRID_WORKER:
            workers[place] = users[username]
        elif role in (Role.GRID_LEADER, Role.GRID_INSTRUCTOR):
            companions[place].append(users[username])
        elif role == Role.COMMUNITY_STAFF:
            for code, community in COMMUNITY_OF.items():
                if community == place:
                    companions[code].append(users[username])
    return workers, companions


class VisitWriter:
    """Logs the demo's visits through visits.services, on days counted back from today."""

    def __init__(self, users: dict, team: dict[str, list[WorkTeamMember]], counts: Counter) -> None:
        self.rng = random.Random(VISIT_SEED)
        self.today = timezone.localdate()
        self.workers, self.companions = grid_people(users)
        self.team = team
        self.counts = counts

    def at(self, days_ago: int) -> datetime.datetime:
        """A working hour `days_ago` days before today (never today, so never in the future)."""
        day = self.today - datetime.timedelta(days=days_ago)
        clock = datetime.time(self.rng.randint(9, 16), self.rng.choice((0, 10, 20, 30, 40, 50)))
        return timezone.make_aware(datetime.datetime.combine(day, clock))

    def log(
        self,
        household: Household,
        days_ago: int,
        kind: str,
        notes: str,
        met: list[Resident],
        *,
        visitors: list | None = None,
        condition: str = Visit.Condition.NORMAL,
        needs_found: str = "",
        team: list[WorkTeamMember] | None = None,
        gifts: tuple[visit_services.Gift, ...] = (),
    ) -> Visit:
        visitors = visitors or [self.workers[household.grid.code]]
        details = visit_services.VisitDetails(
            visited_at=self.at(days_ago),
            kind=kind,
            condition=condition,
            notes=notes,
            needs_found=needs_found,
            residents_met=list(met),
            visitors=list(visitors),
            team_members=list(team or []),
            gifts=list(gifts),
        )
        visit = visit_services.visit_log(household=household, author=visitors[0], details=details)
        self.counts["visits"] += 1
        self.counts["visit_gifts"] += len(gifts)
        return visit

    def party(self, code: str) -> tuple[list, list[WorkTeamMember]]:
        """The grid worker, now and then with a colleague and a member of the "一亲三心" team."""
        visitors = [self.workers[code]]
        if self.companions[code] and self.rng.random() < 0.35:
            visitors.append(self.rng.choice(self.companions[code]))
        team = []
        if self.team.get(code) and self.rng.random() < 0.25:
            team.append(self.rng.choice(self.team[code]))
        return visitors, team


def load_visits(
    grids: dict, users: dict, team: dict[str, list[WorkTeamMember]], people: dict, counts: Counter
) -> None:
    """Visits of the last months: the reports' visits, and a history for every household in care."""
    writer = VisitWriter(users, team, counts)
    su, du, zhu = people[SU["resident"]], people[DU["resident"]], people[ZHU["resident"]]
    _du_deliveries(writer, du)
    _su_weekly_visits(writer, su)
    _zhu_needs_visit(writer, zhu)
    visited = _care_histories(writer, grids, skip=[su.household_id, du.household_id])
    _policy_outreach(writer, grids, visited={su.household_id, du.household_id, zhu.household_id, *visited})


def _du_deliveries(writer: VisitWriter, du: Resident) -> None:
    """杜先生: supplies delivered on Monday, Wednesday and Friday, so his visit is due every two days."""
    visit_services.visit_plan_set(
        household=du.household,
        interval_override_days=DU["override_days"],
        override_reason=DU["override_reason"],
    )
    delivery_days = [
        days_ago
        for days_ago in range(1, 7 * DU["deliveries"])
        if (writer.today - datetime.timedelta(days=days_ago)).weekday() in DU["delivery_weekdays"]
    ][: DU["deliveries"]]
    visitors = [writer.workers[du.household.grid.code]]
    for days_ago in reversed(delivery_days):
        writer.log(du.household, days_ago, Visit.Kind.HOME_SERVICE, DU["note"], [du], visitors=visitors)


def _su_weekly_visits(writer: VisitWriter, su: Resident) -> None:
    """苏奶奶: a caring visit every week or so; the last one a week ago, so she is due today."""
    latest = SU["last_visit_days_ago"]
    days = [latest]
    while days[-1] + 8 <= VISIT_HISTORY_DAYS:
        days.append(days[-1] + writer.rng.choice((6, 7, 7, 8)))
    for i, days_ago in enumerate(reversed(days)):
        visitors, members = writer.party(su.household.grid.code)
        writer.log(
            su.household,
            days_ago,
            Visit.Kind.WELLBEING,
            SU["latest_note"] if days_ago == latest else SU["notes"][i % len(SU["notes"])],
            [su],
            visitors=visitors,
            team=members,
        )


def _zhu_needs_visit(writer: VisitWriter, zhu: Resident) -> None:
    """朱先生: the visit that found his family's hardship."""
    writer.log(
        zhu.household,
        ZHU["days_ago"],
        Visit.Kind.NEEDS,
        ZHU["notes"],
        [zhu],
        condition=Visit.Condition.ATTENTION,
        needs_found=ZHU["needs_found"],
    )


def _care_histories(writer: VisitWriter, grids: dict, skip: list[int]) -> dict[int, bool]:
    """Every other household in care: a history at its interval, the latest visit late for some.

    Returns whether each household's visit is overdue, by household id.
    """
    rng, today = writer.rng, writer.today
    schedule = list(
        visit_selectors.care_schedule(Household.objects.filter(grid__in=grids.values()), today)
        .exclude(pk__in=skip)
        .select_related("grid")
        .prefetch_related(
            Prefetch("members", queryset=Resident.objects.current().order_by("id"), to_attr="current"),
            Prefetch(
                "enrolments", queryset=CareEnrolment.objects.active_on(today).order_by("id"), to_attr="active"
            ),
        )
        .order_by("id")
    )
    overdue = {household.pk: rng.random() < OVERDUE_SHARE for household in schedule}
    in_workers_grid = [h.pk for h in schedule if h.grid.code == WORKERS_GRID]
    if not any(overdue[pk] for pk in in_workers_grid):
        overdue[in_workers_grid[0]] = True
    for household in schedule:
        _log_history(writer, household, overdue[household.pk])
    return overdue


def _policy_outreach(writer: VisitWriter, grids: dict, visited: set[int]) -> None:
    """Policy outreach at a few doors outside the care groups."""
    rng = writer.rng
    others = list(
        Household.objects.filter(grid__in=grids.values(), status=Household.Status.ACTIVE)
        .exclude(pk__in=visited)
        .select_related("grid")
        .prefetch_related(
            Prefetch("members", queryset=Resident.objects.current().order_by("id"), to_attr="current")
        )
        .order_by("id")
    )
    for household in rng.sample(others, POLICY_VISITS):
        writer.log(
            household,
            rng.randint(10, 60),
            Visit.Kind.POLICY_OUTREACH,
            rng.choice(NOTES["policy"]),
            household.current[:1],
        )


def _history_days(rng: random.Random, interval: int, last_days_ago: int) -> list[int]:
    """Days ago of a household's visits over VISIT_HISTORY_DAYS, latest first, about `interval` apart."""
    days = [last_days_ago]
    while True:
        gap = max(1, round(interval * rng.uniform(0.85, 1.15)))
        if days[-1] + gap > VISIT_HISTORY_DAYS:
            return days
        days.append(days[-1] + gap)


def _last_visit_days_ago(rng: random.Random, interval: int, overdue: bool) -> int:
    """How long ago the latest visit was: late, due today, or due within the interval."""
    if overdue:
        return interval + rng.randint(1, max(3, interval // 2))
    if interval == 1 or rng.random() < DUE_TODAY_SHARE / (1 - OVERDUE_SHARE):
        return interval
    return rng.randint(1, interval - 1)


def _log_history(writer: VisitWriter, household: Household, overdue: bool) -> None:
    rng, code = writer.rng, household.grid.code
    categories = {e.category for e in household.active}
    elderly = bool(categories & ELDERLY_CATEGORIES)
    enrolled = {e.resident_id for e in household.active if e.resident_id}
    focus = [m for m in household.current if m.pk in enrolled] or household.current[:1]
    days = _history_days(
        rng, household.interval_days, _last_visit_days_ago(rng, household.interval_days, overdue)
    )
    condolence = None
    if categories & CONDOLENCE_CATEGORIES:
        condolence = min(days, key=lambda d: abs(d - CONDOLENCE_DAYS_AGO))
    for days_ago in reversed(days):
        visitors, team = writer.party(code)
        met = focus + [m for m in household.current if m not in focus and rng.random() < 0.3]
        if days_ago == condolence:
            party_member = CareCategory.PARTY_MEMBER_IN_HARDSHIP in categories
            special = party_member or CareCategory.EXTREME_POVERTY_SUPPORT in categories
            writer.log(
                household,
                days_ago,
                Visit.Kind.CONDOLENCE,
                NOTES["condolence_party_member"] if party_member else NOTES["condolence"],
                met,
                visitors=visitors,
                team=team,
                gifts=(*GIFTS, CASH_GIFT) if special else GIFTS,
            )
            continue
        kind, condition, notes, needs_found = _drawn_visit(rng, elderly)
        writer.log(
            household,
            days_ago,
            kind,
            notes,
            met,
            visitors=visitors,
            condition=condition,
            needs_found=needs_found,
            team=team,
        )


def _drawn_visit(rng: random.Random, elderly: bool) -> tuple[str, str, str, str]:
    """The kind, condition, notes and needs found of one visit of a household's history."""
    roll = rng.random()
    if roll < 0.1:
        notes, needs_found = rng.choice(NOTES["attention"])
        return Visit.Kind.WELLBEING, Visit.Condition.ATTENTION, notes, needs_found
    if roll < 0.25:
        notes, needs_found = rng.choice(NOTES["needs"])
        return Visit.Kind.NEEDS, Visit.Condition.NORMAL, notes, needs_found
    if roll < 0.35:
        return Visit.Kind.POLICY_OUTREACH, Visit.Condition.NORMAL, rng.choice(NOTES["policy"]), ""
    if roll < 0.45 and elderly:
        return Visit.Kind.HOME_SERVICE, Visit.Condition.NORMAL, rng.choice(NOTES["home_service"]), ""
    notes = rng.choice(NOTES["elderly"] if elderly else NOTES["general"])
    return Visit.Kind.WELLBEING, Visit.Condition.NORMAL, notes, ""
