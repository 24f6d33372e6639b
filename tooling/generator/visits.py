"""Door-knock visits over the last half year, who went and whom they met, gifts, and each household's plan.

Every household in care has a history at its interval over VISIT_HISTORY_DAYS; the others share the rest
of VISITS_PER_HOUSEHOLD. The latest visit of VISIT_OVERDUE_SHARE of the households in care is late, so
the overdue lists have work to show.
"""

import datetime
from array import array
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from residents.models import Household
from visits import services as visit_services
from visits.models import Visit, VisitGift, VisitPlan
from visits.selectors import interval_by_rule

from .district import District

VISITS_PER_HOUSEHOLD = 2.0
VISIT_HISTORY_DAYS = 180
SHORT_INTERVAL_HISTORY_DAYS = 56  # households visited every two or three days: the last eight weeks
VISIT_OVERDUE_SHARE = 0.15
VISIT_DUE_TODAY_SHARE = 0.05
VISIT_OVERRIDE_SHARE = 0.01
VISIT_OVERRIDES = ((2, "每周三次上门送生活物资"), (3, "每周两次送餐上门"))
GIFTS = (("米", 1, "60.00"), ("食用油", 1, "80.00"))
VISIT_NOTES = {
    Visit.Kind.WELLBEING: (
        "陪老人聊天，帮忙收拾整理房间",
        "询问身体状况和饮食起居，一切正常",
        "了解家庭近况，家中一切正常",
        "检查燃气、水电使用安全",
    ),
    Visit.Kind.NEEDS: ("询问生活中的困难和需求", "征求对社区服务的意见建议"),
    Visit.Kind.POLICY_OUTREACH: (
        "宣传城乡居民医疗保险参保缴费政策",
        "讲解高龄补贴、养老服务补贴申领办法",
        "宣传防范电信网络诈骗知识",
    ),
    Visit.Kind.HOME_SERVICE: ("送生活物资，聊天鼓励", "送餐上门", "代购药品，送药上门"),
    Visit.Kind.CONDOLENCE: ("走访慰问，送去米、油",),
}
NEEDS_FOUND = ("希望社区协助预约上门体检", "卫生间水管漏水，需要上门维修", "楼道灯不亮，夜间出行不便", "")
ATTENTION_NOTES = ("近日血压偏高，已提醒就医并告知家属", "腿脚不便，近期很少下楼，需要多关注")
VISIT_COLUMNS = (
    "id",
    "household_id",
    "visited_at",
    "kind",
    "outcome",
    "condition",
    "notes",
    "needs_found",
    "author_id",
    "created_at",
    "updated_at",
)
WELLBEING, NEEDS, POLICY = Visit.Kind.WELLBEING, Visit.Kind.NEEDS, Visit.Kind.POLICY_OUTREACH
NORMAL, ATTENTION, URGENT = Visit.Condition.NORMAL, Visit.Condition.ATTENTION, Visit.Condition.URGENT


def visits(
    district: District,
    households: list[tuple[int, int]],
    members: list[list[tuple[int, int, bool]]],
    enrolled: dict[int, tuple[str, int | None]],
    workers: dict[int, int],
) -> tuple[array, array, dict[int, tuple[int, str]]]:
    """About VISITS_PER_HOUSEHOLD visits per household, each by its grid's worker.

    Households in care are visited at their interval; the rest of the visits fall on other households
    at random days. Returns the (visit id, resident met) pairs and the households given their own
    interval, for the tables that follow.
    """
    drawn = _VisitRows(district, households, members, enrolled, workers)
    district.loader.insert(Visit, VISIT_COLUMNS, drawn.rows())
    district.first_visit_id = drawn.first_id
    return drawn.met_visits, drawn.met_residents, drawn.overrides


class _VisitRows:
    """The visits table's rows, drawn household by household as the COPY reads them."""

    def __init__(
        self,
        district: District,
        households: list[tuple[int, int]],
        members: list[list[tuple[int, int, bool]]],
        enrolled: dict[int, tuple[str, int | None]],
        workers: dict[int, int],
    ) -> None:
        self.district, self.rng = district, district.rng
        self.households, self.members, self.enrolled, self.workers = households, members, enrolled, workers
        self.intervals = interval_by_rule()
        # Midnight of each day back from today, in the portal's time zone: due dates are counted in it.
        self.midnight = [
            timezone.make_aware(
                datetime.datetime.combine(district.today - datetime.timedelta(days=d), datetime.time())
            )
            for d in range(VISIT_HISTORY_DAYS + 1)
        ]
        self.minutes = [datetime.timedelta(minutes=m) for m in range(8 * 60 + 30, 17 * 60 + 30)]
        self.met_visits, self.met_residents = array("q"), array("q")
        self.overrides: dict[int, tuple[int, str]] = {}
        self.first_id = self.next_id = district.loader.next_id(Visit)

    def rows(self):
        yield from self.in_care()
        yield from self.others()

    def in_care(self):
        """Each household in care at its interval (or its own), the latest visit late for some."""
        rng = self.rng
        for (household_id, grid_id), people in zip(self.households, self.members, strict=True):
            if household_id not in self.enrolled:
                continue
            rule, resident_id = self.enrolled[household_id]
            interval = self.intervals[rule]
            if rng.random() < VISIT_OVERRIDE_SHARE:
                self.overrides[household_id] = rng.choice(VISIT_OVERRIDES)
                interval = self.overrides[household_id][0]
            history = SHORT_INTERVAL_HISTORY_DAYS if interval <= 3 else VISIT_HISTORY_DAYS
            days_ago = self.last_visit_days_ago(interval)
            met = resident_id or people[0][0]
            while days_ago <= history:
                kind = Visit.Kind.HOME_SERVICE if household_id in self.overrides else self.kind_in_care()
                yield self.row(household_id, grid_id, days_ago, kind, met, self.condition())
                days_ago += max(1, round(interval * rng.uniform(0.85, 1.15)))

    def last_visit_days_ago(self, interval: int) -> int:
        """How long ago the latest visit was: late, due today, or due within the interval."""
        rng = self.rng
        roll = rng.random()
        if roll < VISIT_OVERDUE_SHARE:
            return interval + rng.randint(1, max(3, interval // 2))
        if roll < VISIT_OVERDUE_SHARE + VISIT_DUE_TODAY_SHARE or interval == 1:
            return interval
        return rng.randint(1, interval - 1)

    def kind_in_care(self) -> str:
        roll = self.rng.random()
        if roll < 0.55:
            return WELLBEING
        if roll < 0.7:
            return NEEDS
        if roll < 0.8:
            return POLICY
        if roll < 0.95:
            return Visit.Kind.HOME_SERVICE
        return Visit.Kind.CONDOLENCE

    def condition(self) -> str:
        roll = self.rng.random()
        return NORMAL if roll < 0.89 else ATTENTION if roll < 0.99 else URGENT

    def others(self):
        """The rest of the visits, spread over the other households."""
        rng = self.rng
        others = [
            (h, g, people)
            for (h, g), people in zip(self.households, self.members, strict=True)
            if h not in self.enrolled
        ]
        wanted = round(VISITS_PER_HOUSEHOLD * len(self.households)) - (self.next_id - self.first_id)
        mean = max(wanted, 0) / max(len(others), 1)
        for household_id, grid_id, people in others:
            count = int(rng.expovariate(1 / mean) + 0.5) if mean else 0
            for _ in range(count):
                roll = rng.random()
                kind = WELLBEING if roll < 0.35 else NEEDS if roll < 0.6 else POLICY
                met = people[0][0] if rng.random() < 0.6 else None
                condition = NORMAL if rng.random() < 0.95 else ATTENTION
                yield self.row(
                    household_id, grid_id, rng.randint(1, VISIT_HISTORY_DAYS), kind, met, condition
                )

    def row(self, household_id: int, grid_id: int, days_ago: int, kind: str, met: int | None, condition: str):
        rng, visit_id = self.rng, self.next_id
        visited_at = self.midnight[days_ago] + rng.choice(self.minutes)
        notes, needs_found = rng.choice(VISIT_NOTES[kind]), ""
        if kind == NEEDS:
            needs_found = rng.choice(NEEDS_FOUND)
            if needs_found:
                self.district.needs_visits.append(
                    (visit_id, household_id, visited_at.timestamp(), needs_found)
                )
        if condition != NORMAL:
            notes = rng.choice(ATTENTION_NOTES)
        if met is not None:
            self.met_visits.append(visit_id)
            self.met_residents.append(met)
        self.next_id += 1
        if not self.district.loader.postgres:
            visited_at = connection.ops.adapt_datetimefield_value(visited_at)
        now = self.district.loader.now
        return (
            visit_id,
            household_id,
            visited_at,
            kind,
            Visit.Outcome.MET,  # the generator's visits all found someone at home
            condition,
            notes,
            needs_found,
            self.workers[grid_id],
            now,
            now,
        )


def visit_visitors(district: District) -> None:
    """Who went on each visit: its author, the grid's worker."""
    district.loader.insert_select(
        Visit.visitors.through,
        "INSERT INTO visits_visit_visitors (visit_id, user_id) "
        "SELECT id, author_id FROM visits_visit WHERE id >= %s",
        [district.first_visit_id],
    )


def visit_residents_met(district: District, visits: array, residents: array) -> None:
    first = district.loader.next_id(Visit.residents_met.through)
    district.loader.insert(
        Visit.residents_met.through,
        ("id", "visit_id", "resident_id"),
        ((first + i, v, r) for i, (v, r) in enumerate(zip(visits, residents, strict=True))),
    )


def visit_gifts(district: District) -> None:
    """Rice and oil brought on each condolence visit."""
    for item, quantity, value in GIFTS:
        district.loader.insert_select(
            VisitGift,
            "INSERT INTO visits_visitgift (visit_id, item, quantity, value) "
            "SELECT id, %s, %s, %s FROM visits_visit WHERE id >= %s AND kind = %s",
            [item, quantity, Decimal(value), district.first_visit_id, Visit.Kind.CONDOLENCE],
        )


def visit_plans(district: District, overrides: dict[int, tuple[int, str]]) -> None:
    """Each visited household's plan: the time of its latest visit, and its own interval if it has one."""
    district.loader.insert_select(
        VisitPlan,
        "INSERT INTO visits_visitplan (household_id, interval_override_days, override_reason, "
        "last_visited_at) SELECT household_id, NULL, '', MAX(visited_at) FROM visits_visit "
        "WHERE id >= %s AND outcome = %s GROUP BY household_id",  # the visits that count (counted())
        [district.first_visit_id, Visit.Outcome.MET],
    )
    for (days, reason), household_ids in _group_by_value(overrides).items():
        for start in range(0, len(household_ids), 10_000):
            VisitPlan.objects.filter(household_id__in=household_ids[start : start + 10_000]).update(
                interval_override_days=days, override_reason=reason
            )
    # Store each plan's schedule the way the portal does after every visit.
    visit_services.schedule_refresh(households=Household.objects.filter(enrolments__isnull=False))


def _group_by_value(mapping: dict) -> dict:
    """{value: [keys with that value]}."""
    groups: dict = {}
    for key, value in mapping.items():
        groups.setdefault(value, []).append(key)
    return groups
