"""Generate a synthetic district (streets down to residents) for benchmarks, at realistic proportions.

About 250 households per grid, 5 buildings per grid, 50 grids per community and 10 communities per
street; one household per dwelling, one to four residents per household, care enrolments for about 8%
of households and Party-member links for a few; one generated 专职网格员 per grid, and about two
door-knock visits per household over the last half year, most of them to the households in care, at
their visit interval. Every run adds new streets, so running it again grows the district. The big tables
are loaded with PostgreSQL COPY; SQLite gets plain INSERTs (slow, but enough for a small demo).

Each table has its own method on DistrictGenerator, in dependency order, so more kinds of rows
(cases) can be added one method at a time.
"""

import contextlib
import datetime
import math
import random
import time
from array import array
from collections.abc import Iterable
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone

from grids.models import Assignment, Building, Community, Dwelling, Grid, Role, Street
from portal.synthetic import make_birth_date, make_id_number, make_mobile, make_name
from residents import identity
from residents.models import (
    CareCategory,
    CareEnrolment,
    DisabilityGrade,
    DisabilityType,
    Household,
    LiaisonLink,
    Resident,
)
from visits import services as visit_services
from visits.models import SEVERE_DISABILITY, SEVERE_DISABILITY_MAX_GRADE, Visit, VisitGift, VisitPlan
from visits.selectors import interval_by_rule

HOUSEHOLDS_PER_GRID = 250
BUILDINGS_PER_GRID = 5
GRIDS_PER_COMMUNITY = 50
COMMUNITIES_PER_STREET = 10
ENROLLED_SHARE = 0.08
LIAISON_SHARE = 0.03
MEAN_HOUSEHOLD_SIZE = 2.7  # what member_plan() gives on average
NAME_SEARCH_INDEX = "resident_name_ngrams_gin"  # residents/migrations/0002_name_search_index.py
BENCH_PASSWORD = "bench-pass"  # synthetic accounts on a throwaway benchmark database
UNUSABLE_PASSWORD = "!"  # the generated grid workers cannot sign in

# Visits: every household in care has a history at its interval over VISIT_HISTORY_DAYS; the others share
# the rest of VISITS_PER_HOUSEHOLD. The latest visit of VISIT_OVERDUE_SHARE of the households in care is
# late, so the overdue lists have work to show.
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


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Names from 兰州市城关区, so pages look like the real thing.
STREET_NAMES = _words(
    "酒泉路街道 张掖路街道 雁南街道 临夏路街道 雁北街道 五泉街道 白银路街道 皋兰路街道 广武门街道 "
    "伏龙坪街道 靖远路街道 草场街街道 火车站街道 拱星墩街道 东岗街道 团结新村街道 东岗西路街道 "
    "铁路东村街道 铁路西村街道 渭源路街道 盐场路街道 嘉峪关路街道 焦家湾街道 青白石街道"
)
COMMUNITY_NAMES = _words(
    "雁园 雁滩 南河 安定门 平凉路 秦安路 金昌路 静宁路 民勤街 天水路 南昌路 定西路 中山林 八一 "
    "五泉山 皋兰山 东方红 庆阳路 永昌路 武都路 邓家花园 曹家巷 宏建 宁卧庄 东湖 大砂坪 甘南路 "
    "畅家巷 双城门 柏道路 七里河 东郊 火车站 鱼池子 拱星墩 段家滩 东部市场 红星巷 农民巷 兰园"
)
ROADS = _words(
    "靖远路 雁滩路 东岗西路 南昌路 天水南路 庆阳路 张掖路 酒泉路 皋兰路 白银路 平凉路 民主东路 "
    "静宁路 火车站东路 五泉南路 嘉峪关西路 焦家湾路 盐场路 九州大道 北滨河东路 南滨河东路 雁西路 "
    "团结路 甘南路 武都路 西津东路 定西路 金昌南路 秦安路 东方红广场"
)

H, S, C, P, G = (
    Resident.Relation.HEAD,
    Resident.Relation.SPOUSE,
    Resident.Relation.CHILD,
    Resident.Relation.PARENT,
    Resident.Relation.GRANDCHILD,
)
PARTY = (Resident.PoliticalStatus.PARTY_MEMBER, Resident.PoliticalStatus.PROBATIONARY)


def split_evenly(total: int, parts: int) -> list[int]:
    """`total` in `parts` near-equal whole shares, the larger ones first."""
    share, extra = divmod(total, parts)
    return [share + (i < extra) for i in range(parts)]


def member_plan(rng: random.Random) -> list[tuple[str, bool, int]]:
    """(relation to the head, is male, age) of each member of one household, head first."""
    male = rng.random() < 0.6
    age = rng.randint

    def couple(head_age: int) -> list[tuple[str, bool, int]]:
        return [(H, male, head_age), (S, not male, max(20, head_age + rng.randint(-5, 5)))]

    def children(head_age: int, n: int) -> list[tuple[str, bool, int]]:
        return [(C, rng.random() < 0.5, age(max(0, head_age - 40), head_age - 22)) for _ in range(n)]

    kind = rng.random()
    if kind < 0.08:  # an elderly person living alone
        return [(H, rng.random() < 0.4, age(65, 95))]
    if kind < 0.16:  # a younger adult, now and then with a sibling or a lodger
        plan = [(H, male, age(20, 59))]
        if rng.random() < 0.2:
            relation = rng.choice((Resident.Relation.SIBLING, Resident.Relation.OTHER))
            plan.append((relation, rng.random() < 0.5, age(18, 59)))
        return plan
    if kind < 0.30:  # an elderly couple whose children live elsewhere
        return couple(age(60, 90))
    if kind < 0.44:  # a couple without children at home
        return couple(age(24, 59))
    if kind < 0.84:  # parents with one or two children
        head_age = age(28, 58)
        return couple(head_age) + children(head_age, 1 + (rng.random() < 0.5))
    if kind < 0.90:  # one parent with one or two children
        head_age = age(28, 55)
        return [(H, male, head_age)] + children(head_age, 1 + (rng.random() < 0.5))
    head_age = age(50, 75)  # three generations
    if rng.random() < 0.5:
        return couple(head_age) + [
            (C, rng.random() < 0.5, head_age - age(22, 30)),
            (G, rng.random() < 0.5, age(0, max(0, head_age - 48))),
        ]
    return couple(head_age) + [
        (P, rng.random() < 0.3, min(100, head_age + age(22, 30))),
        (C, rng.random() < 0.5, age(max(0, head_age - 40), head_age - 22)),
    ]


def political_status(rng: random.Random, age: int) -> str:
    r = rng.random()
    if age >= 18 and r < 0.09:
        return Resident.PoliticalStatus.PARTY_MEMBER
    if age >= 18 and r < 0.095:
        return Resident.PoliticalStatus.PROBATIONARY
    if age >= 18 and r < 0.098:
        return Resident.PoliticalStatus.DEMOCRATIC_PARTY
    if 14 <= age <= 28 and r < 0.45:
        return Resident.PoliticalStatus.LEAGUE_MEMBER
    return Resident.PoliticalStatus.MASSES


def phone_for(rng: random.Random, age: int) -> str:
    share = 0.0 if age < 12 else 0.3 if age < 18 else 0.6 if age >= 80 else 0.95
    return make_mobile(rng) if rng.random() < share else ""


class DistrictGenerator:
    """Adds one synthetic district's rows to the database, table by table."""

    def __init__(self, *, households: int, seed: int, street_name: str | None, out):
        self.households_wanted = households
        self.street_name = street_name
        self.out = out
        self.postgres = connection.vendor == "postgresql"
        self.today = timezone.localdate()
        # What auto_now(_add) would store, adapted once for the database at hand.
        self.now = connection.ops.adapt_datetimefield_value(timezone.now())
        self.added: dict[type[models.Model], int] = {}
        first_street_id = self.next_id(Street)
        # A new seed per run, so a second run does not repeat the first run's people.
        self.rng = random.Random(f"{seed}-{first_street_id}")

    # -- writing ---------------------------------------------------------------------------------

    def next_id(self, model: type[models.Model]) -> int:
        """The first free id of a table; ids are assigned here so rows can refer to each other."""
        if self.postgres:
            with connection.cursor() as cursor:
                # No other writer may take ids between here and the end of this run.
                cursor.execute(f"LOCK TABLE {model._meta.db_table} IN EXCLUSIVE MODE")
        return (model.objects.aggregate(m=models.Max("id"))["m"] or 0) + 1

    def insert_select(self, model: type[models.Model], sql: str, params: list) -> None:
        """Rows made by the database from rows already there (INSERT ... SELECT); ids from the sequence."""
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            count = cursor.rowcount
        self.added[model] = self.added.get(model, 0) + count

    def insert(self, model: type[models.Model], columns: tuple[str, ...], rows: Iterable[tuple]) -> None:
        """Write rows (ids included) with COPY on PostgreSQL, INSERT elsewhere; then move the id sequence."""
        table = model._meta.db_table
        count = 0
        with connection.cursor() as cursor:
            if self.postgres:
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                        count += 1
            else:
                placeholders = ", ".join(["%s"] * len(columns))
                sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"
                batch = list(rows)
                cursor.executemany(sql, batch)
                count = len(batch)
            for statement in connection.ops.sequence_reset_sql(no_style(), [model]):
                cursor.execute(statement)
        self.added[model] = self.added.get(model, 0) + count

    # -- one method per table --------------------------------------------------------------------

    def streets(self, count: int) -> list[int]:
        taken = set(Street.objects.values_list("name", flat=True))
        if self.street_name:
            wanted = [self.street_name] + [f"{self.street_name}{k}" for k in range(2, count + 1)]
            if clash := taken.intersection(wanted):
                raise CommandError(
                    f"Street {sorted(clash)[0]!r} already exists; choose another --street-name."
                )
        else:
            pool = [name for name in STREET_NAMES if name not in taken]
            pool += [f"第{k}街道" for k in range(1, len(taken) + count + 1) if f"第{k}街道" not in taken]
            wanted = pool[:count]
        first = self.next_id(Street)
        ids = list(range(first, first + count))
        self.insert(Street, ("id", "name"), zip(ids, wanted, strict=True))
        return ids

    def communities(self, street_ids: list[int], count: int) -> list[int]:
        rows = []
        next_id = self.next_id(Community)
        for street_id, n in zip(street_ids, split_evenly(count, len(street_ids)), strict=True):
            for k in range(n):
                name = COMMUNITY_NAMES[k % len(COMMUNITY_NAMES)] + "社区"
                if k >= len(COMMUNITY_NAMES):
                    name += str(k // len(COMMUNITY_NAMES) + 1)
                rows.append((next_id + len(rows), street_id, name))
        self.insert(Community, ("id", "street_id", "name"), rows)
        return [row[0] for row in rows]

    def grids(self, community_ids: list[int], count: int) -> list[int]:
        rows = []
        next_id = self.next_id(Grid)
        for community_id, n in zip(community_ids, split_evenly(count, len(community_ids)), strict=True):
            for k in range(n):
                grid_id = next_id + len(rows)
                # The id makes the code unique across runs; the name is what the grid is called locally.
                rows.append((grid_id, community_id, f"BG{grid_id:06d}", f"第{k + 1}网格"))
        self.insert(Grid, ("id", "community_id", "code", "name"), rows)
        return [row[0] for row in rows]

    def buildings(self, grid_ids: list[int], households: list[int]) -> list[tuple[int, int, int]]:
        """Buildings of each grid; returns (building id, grid id, number of dwellings) per building."""
        rows, plan = [], []
        next_id = self.next_id(Building)
        for grid_id, grid_households in zip(grid_ids, households, strict=True):
            road = self.rng.choice(ROADS)
            first_number = self.rng.randrange(1, 200, 2)
            for k, dwellings in enumerate(split_evenly(grid_households, BUILDINGS_PER_GRID)):
                if dwellings:
                    building_id = next_id + len(rows)
                    rows.append((building_id, grid_id, f"{road}{first_number + 2 * k}号"))
                    plan.append((building_id, grid_id, dwellings))
        self.insert(Building, ("id", "grid_id", "address"), rows)
        return plan

    def dwellings(self, buildings: list[tuple[int, int, int]]) -> list[tuple[int, int]]:
        """Flats numbered by entrance, floor and door (1单元 302室); returns (dwelling id, grid id)."""
        plan = []
        next_id = self.next_id(Dwelling)

        def rows():
            for building_id, grid_id, count in buildings:
                for i in range(count):
                    unit, floor, door = i // 18 + 1, i % 18 // 2 + 1, i % 2 + 1
                    dwelling_id = next_id + len(plan)
                    plan.append((dwelling_id, grid_id))
                    yield (dwelling_id, building_id, str(unit), f"{floor}{door:02d}")

        self.insert(Dwelling, ("id", "building_id", "unit", "room"), rows())
        return plan

    def households(self, dwellings: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """One active household per dwelling, in the dwelling's grid; returns (household id, grid id)."""
        first = self.next_id(Household)
        plan = [(first + i, grid_id) for i, (_dwelling_id, grid_id) in enumerate(dwellings)]
        rows = (
            (household_id, dwelling_id, grid_id, Household.Status.ACTIVE, None, "", self.now, self.now)
            for (household_id, grid_id), (dwelling_id, _) in zip(plan, dwellings, strict=True)
        )
        columns = (
            "id",
            "dwelling_id",
            "grid_id",
            "status",
            "moved_out_on",
            "note",
            "created_at",
            "updated_at",
        )
        self.insert(Household, columns, rows)
        return plan

    def residents(self, households: list[tuple[int, int]]) -> list[list[tuple[int, int, bool]]]:
        """Members of each household; returns (resident id, age, is a Party member) for each one."""
        rng, today = self.rng, self.today
        taken = set(Resident.objects.values_list("id_number", flat=True).iterator(chunk_size=50_000))
        members: list[list[tuple[int, int, bool]]] = []
        next_id = self.next_id(Resident)

        def unique_id_number(birth: datetime.date, male: bool) -> tuple[datetime.date, str]:
            # 4 region codes x 500 sequence numbers per birth date and sex; on a clash draw again,
            # and after many clashes move the birthday a day back.
            for attempt in range(1000):
                day = birth - datetime.timedelta(days=attempt // 20)
                number = make_id_number(day, male, rng)
                if number not in taken:
                    taken.add(number)
                    return day, number
            raise CommandError("Could not find a free ID number; the district is too dense.")

        def rows():
            nonlocal next_id
            for household_id, _grid_id in households:
                residence = rng.choices(Resident.ResidenceType.values, weights=(78, 14, 8))[0]
                surname = None
                people = []
                for relation, male, age in member_plan(rng):
                    birth, id_number = unique_id_number(make_birth_date(rng, age, age, today), male)
                    # Children and grandchildren take the head's surname, spouses and parents their own.
                    name = make_name(male, rng, surname if relation in (C, G) else None)
                    surname = surname or name[0]
                    status = political_status(rng, age)
                    people.append((next_id, age, status in PARTY))
                    yield (
                        next_id,
                        household_id,
                        name,
                        id_number,
                        identity.MALE if male else identity.FEMALE,
                        birth,
                        phone_for(rng, age),
                        relation,
                        status,
                        residence,
                        Resident.Status.ACTIVE,
                        None,
                        self.now,
                        self.now,
                    )
                    next_id += 1
                members.append(people)

        columns = (
            "id",
            "household_id",
            "name",
            "id_number",
            "sex",
            "birth_date",
            "phone",
            "relation_to_head",
            "political_status",
            "residence_type",
            "status",
            "status_date",
            "created_at",
            "updated_at",
        )
        # Building the name-search GIN index from scratch costs about half as much per row as updating it
        # row by row (1.3 million residents: 11 s against 22 s), so drop it when the table more than doubles.
        rebuild = self.postgres and len(households) * MEAN_HOUSEHOLD_SIZE > len(taken)
        with index_dropped(NAME_SEARCH_INDEX) if rebuild else contextlib.nullcontext():
            self.insert(Resident, columns, rows())
        return members

    def care_enrolments(
        self, households: list[tuple[int, int]], members: list[list[tuple[int, int, bool]]]
    ) -> dict[int, tuple[str, int | None]]:
        """About 8% of households in one care category each, chosen from what the household is.

        Returns, for each household enrolled today, its visit-interval rule and the resident enrolled.
        """
        rng = self.rng
        rows = []
        active: dict[int, tuple[str, int | None]] = {}
        next_id = self.next_id(CareEnrolment)
        for (household_id, _grid_id), people in zip(households, members, strict=True):
            if rng.random() >= ENROLLED_SHARE:
                continue
            ages = [age for _id, age, _party in people]
            choices = [CareCategory.DISABLED, CareCategory.MINIMUM_ALLOWANCE]
            if len(people) == 1 and ages[0] >= 60:
                choices += [CareCategory.ELDERLY_LIVING_ALONE] * 4 + [CareCategory.EXTREME_POVERTY_SUPPORT]
            if len(people) == 2 and min(ages) >= 60:
                choices += [CareCategory.EMPTY_NEST_ELDERLY] * 3 + [CareCategory.BEREAVED_PARENTS]
            if max(ages) >= 80:
                choices += [CareCategory.VERY_OLD] * 2
            if any(party for _id, _age, party in people):
                choices.append(CareCategory.PARTY_MEMBER_IN_HARDSHIP)
            category = rng.choice(choices)

            # Household-wide categories name no one; the rest name the person, enrolled in their lifetime.
            resident_id, years = None, 12
            if category in (CareCategory.ELDERLY_LIVING_ALONE, CareCategory.DISABLED):
                resident_id, age, _party = rng.choice(people)
                years = min(years, age)
            elif category == CareCategory.VERY_OLD:
                resident_id, age = next((rid, age) for rid, age, _party in people if age >= 80)
                years = min(years, age - 80)
            elif category == CareCategory.PARTY_MEMBER_IN_HARDSHIP:
                resident_id = next(rid for rid, _age, party in people if party)

            disability_type, disability_grade = "", None
            if category == CareCategory.DISABLED:
                disability_type = rng.choice(DisabilityType.values)
                disability_grade = rng.choice(DisabilityGrade.values)
            amount, certificate = None, ""
            if category == CareCategory.MINIMUM_ALLOWANCE:
                amount = Decimal(rng.randrange(45_000, 90_000, 500)) / 100
                certificate = f"LB{rng.randrange(10**8):08d}"
            elif category == CareCategory.EXTREME_POVERTY_SUPPORT:
                amount = Decimal(rng.randrange(90_000, 130_000, 500)) / 100
                certificate = f"TK{rng.randrange(10**8):08d}"

            since = self.today - datetime.timedelta(days=rng.randrange(years * 365 + 1))
            until = None
            if rng.random() < 0.1:  # an enrolment that has ended
                until = min(self.today, since + datetime.timedelta(days=rng.randrange(0, 3 * 365)))
            if until is None or until >= self.today:
                severe = disability_grade is not None and disability_grade <= SEVERE_DISABILITY_MAX_GRADE
                active[household_id] = (SEVERE_DISABILITY if severe else category, resident_id)
            rows.append(
                (
                    next_id + len(rows),
                    household_id,
                    resident_id,
                    category,
                    since,
                    until,
                    disability_type,
                    disability_grade,
                    amount,
                    certificate,
                    "",
                    self.now,
                )
            )
        columns = (
            "id",
            "household_id",
            "resident_id",
            "category",
            "since",
            "until",
            "disability_type",
            "disability_grade",
            "allowance_monthly_amount",
            "allowance_certificate",
            "note",
            "created_at",
        )
        self.insert(CareEnrolment, columns, rows)
        return active

    def liaison_links(
        self, households: list[tuple[int, int]], members: list[list[tuple[int, int, bool]]]
    ) -> None:
        """A few households of each grid linked to a Party member living in the same grid."""
        rng = self.rng
        party_by_grid: dict[int, list[tuple[int, int]]] = {}
        for (household_id, grid_id), people in zip(households, members, strict=True):
            party_by_grid.setdefault(grid_id, []).extend(
                (rid, household_id) for rid, _a, party in people if party
            )
        rows = []
        next_id = self.next_id(LiaisonLink)
        for household_id, grid_id in households:
            candidates = party_by_grid.get(grid_id)
            if not candidates or rng.random() >= LIAISON_SHARE:
                continue
            party_member_id, home = rng.choice(candidates)
            if home != household_id:
                since = self.today - datetime.timedelta(days=rng.randrange(0, 5 * 365))
                rows.append((next_id + len(rows), party_member_id, household_id, since, None))
        self.insert(LiaisonLink, ("id", "party_member_id", "household_id", "since", "until"), rows)

    def grid_workers(self, grid_ids: list[int]) -> dict[int, int]:
        """One 专职网格员 per grid (gw_<grid id>, no usable password); returns user id by grid id."""
        user_model = get_user_model()
        taken = set(user_model.objects.filter(username__startswith="gw_").values_list("username", flat=True))
        first = self.next_id(user_model)
        workers, rows = {}, []
        for grid_id in grid_ids:
            username = f"gw_{grid_id}"
            while username in taken:
                username += "_"
            user_id = first + len(rows)
            workers[grid_id] = user_id
            name = make_name(self.rng.random() < 0.4, self.rng)
            rows.append((user_id, UNUSABLE_PASSWORD, False, username, name, "", "", False, True, self.now))
        columns = (
            "id",
            "password",
            "is_superuser",
            "username",
            "first_name",
            "last_name",
            "email",
            "is_staff",
            "is_active",
            "date_joined",
        )
        self.insert(user_model, columns, rows)
        first = self.next_id(Assignment)
        self.insert(
            Assignment,
            ("id", "user_id", "role", "grid_id", "community_id", "street_id"),
            (
                (first + i, workers[grid_id], Role.GRID_WORKER, grid_id, None, None)
                for i, grid_id in enumerate(grid_ids)
            ),
        )
        return workers

    def visits(
        self,
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
        rng, postgres = self.rng, self.postgres
        intervals = interval_by_rule()
        adapt = connection.ops.adapt_datetimefield_value
        # Midnight of each day back from today, in the portal's time zone: due dates are counted in it.
        midnight = [
            timezone.make_aware(
                datetime.datetime.combine(self.today - datetime.timedelta(days=d), datetime.time())
            )
            for d in range(VISIT_HISTORY_DAYS + 1)
        ]
        minutes = [datetime.timedelta(minutes=m) for m in range(8 * 60 + 30, 17 * 60 + 30)]
        met_visits, met_residents = array("q"), array("q")
        overrides: dict[int, tuple[int, str]] = {}
        first_id = next_id = self.next_id(Visit)
        wellbeing, needs, policy = Visit.Kind.WELLBEING, Visit.Kind.NEEDS, Visit.Kind.POLICY_OUTREACH
        normal, attention, urgent = Visit.Condition.NORMAL, Visit.Condition.ATTENTION, Visit.Condition.URGENT

        def row(household_id: int, grid_id: int, days_ago: int, kind: str, met: int | None, condition: str):
            nonlocal next_id
            visited_at = midnight[days_ago] + rng.choice(minutes)
            notes, needs_found = rng.choice(VISIT_NOTES[kind]), ""
            if kind == needs:
                needs_found = rng.choice(NEEDS_FOUND)
            if condition != normal:
                notes = rng.choice(ATTENTION_NOTES)
            if met is not None:
                met_visits.append(next_id)
                met_residents.append(met)
            next_id += 1
            if not postgres:
                visited_at = adapt(visited_at)
            return (
                next_id - 1,
                household_id,
                visited_at,
                kind,
                condition,
                notes,
                needs_found,
                workers[grid_id],
                self.now,
                self.now,
            )

        def condition_of() -> str:
            roll = rng.random()
            return normal if roll < 0.89 else attention if roll < 0.99 else urgent

        def rows():
            in_care = [
                (h, g, people) for (h, g), people in zip(households, members, strict=True) if h in enrolled
            ]
            for household_id, grid_id, people in in_care:
                rule, resident_id = enrolled[household_id]
                interval = intervals[rule]
                if rng.random() < VISIT_OVERRIDE_SHARE:
                    overrides[household_id] = rng.choice(VISIT_OVERRIDES)
                    interval = overrides[household_id][0]
                history = SHORT_INTERVAL_HISTORY_DAYS if interval <= 3 else VISIT_HISTORY_DAYS
                roll = rng.random()
                if roll < VISIT_OVERDUE_SHARE:
                    days_ago = interval + rng.randint(1, max(3, interval // 2))
                elif roll < VISIT_OVERDUE_SHARE + VISIT_DUE_TODAY_SHARE or interval == 1:
                    days_ago = interval
                else:
                    days_ago = rng.randint(1, interval - 1)
                met = resident_id or people[0][0]
                while days_ago <= history:
                    if household_id in overrides:
                        kind = Visit.Kind.HOME_SERVICE
                    else:
                        roll = rng.random()
                        kind = (
                            wellbeing
                            if roll < 0.55
                            else needs
                            if roll < 0.7
                            else policy
                            if roll < 0.8
                            else Visit.Kind.HOME_SERVICE
                            if roll < 0.95
                            else Visit.Kind.CONDOLENCE
                        )
                    yield row(household_id, grid_id, days_ago, kind, met, condition_of())
                    days_ago += max(1, round(interval * rng.uniform(0.85, 1.15)))
            # The rest of the visits, spread over the other households.
            others = [
                (h, g, people)
                for (h, g), people in zip(households, members, strict=True)
                if h not in enrolled
            ]
            wanted = round(VISITS_PER_HOUSEHOLD * len(households)) - (next_id - first_id)
            mean = max(wanted, 0) / max(len(others), 1)
            for household_id, grid_id, people in others:
                count = int(rng.expovariate(1 / mean) + 0.5) if mean else 0
                for _ in range(count):
                    roll = rng.random()
                    kind = wellbeing if roll < 0.35 else needs if roll < 0.6 else policy
                    met = people[0][0] if rng.random() < 0.6 else None
                    condition = normal if rng.random() < 0.95 else attention
                    yield row(household_id, grid_id, rng.randint(1, VISIT_HISTORY_DAYS), kind, met, condition)

        columns = (
            "id",
            "household_id",
            "visited_at",
            "kind",
            "condition",
            "notes",
            "needs_found",
            "author_id",
            "created_at",
            "updated_at",
        )
        self.insert(Visit, columns, rows())
        self.first_visit_id = first_id
        return met_visits, met_residents, overrides

    def visit_visitors(self) -> None:
        """Who went on each visit: its author, the grid's worker."""
        self.insert_select(
            Visit.visitors.through,
            "INSERT INTO visits_visit_visitors (visit_id, user_id) "
            "SELECT id, author_id FROM visits_visit WHERE id >= %s",
            [self.first_visit_id],
        )

    def visit_residents_met(self, visits: array, residents: array) -> None:
        first = self.next_id(Visit.residents_met.through)
        self.insert(
            Visit.residents_met.through,
            ("id", "visit_id", "resident_id"),
            ((first + i, v, r) for i, (v, r) in enumerate(zip(visits, residents, strict=True))),
        )

    def visit_gifts(self) -> None:
        """Rice and oil brought on each condolence visit."""
        for item, quantity, value in GIFTS:
            self.insert_select(
                VisitGift,
                "INSERT INTO visits_visitgift (visit_id, item, quantity, value) "
                "SELECT id, %s, %s, %s FROM visits_visit WHERE id >= %s AND kind = %s",
                [item, quantity, Decimal(value), self.first_visit_id, Visit.Kind.CONDOLENCE],
            )

    def visit_plans(self, overrides: dict[int, tuple[int, str]]) -> None:
        """Each visited household's plan: the time of its latest visit, and its own interval if it has one."""
        self.insert_select(
            VisitPlan,
            "INSERT INTO visits_visitplan (household_id, interval_override_days, override_reason, "
            "last_visited_at) SELECT household_id, NULL, '', MAX(visited_at) FROM visits_visit "
            "WHERE id >= %s GROUP BY household_id",
            [self.first_visit_id],
        )
        for (days, reason), household_ids in _group_by_value(overrides).items():
            for start in range(0, len(household_ids), 10_000):
                VisitPlan.objects.filter(household_id__in=household_ids[start : start + 10_000]).update(
                    interval_override_days=days, override_reason=reason
                )
        # Store each plan's schedule the way the portal does after every visit.
        visit_services.schedule_refresh(households=Household.objects.filter(enrolments__isnull=False))

    def bench_users(self) -> None:
        """bench_worker and bench_staff in the first street; bench_street leads every street.

        bench_street's scope grows with each run, so its name search covers the whole district.
        """
        street = Street.objects.order_by("id").first()
        community = Community.objects.filter(street=street).order_by("id").first()
        grid = Grid.objects.filter(community=community).order_by("id").first()
        places = [
            ("bench_worker", Role.GRID_WORKER, {"grid": grid}),
            ("bench_staff", Role.COMMUNITY_STAFF, {"community": community}),
        ] + [("bench_street", Role.STREET_LEADER, {"street": s}) for s in Street.objects.order_by("id")]
        for username, role, place in places:
            user, created = get_user_model().objects.get_or_create(username=username)
            if created:
                user.set_password(BENCH_PASSWORD)
                user.save(update_fields=["password"])
            if role != Role.STREET_LEADER and Assignment.objects.filter(user=user, role=role).exists():
                continue
            Assignment.objects.get_or_create(user=user, role=role, **place)

    # -- the whole run ---------------------------------------------------------------------------

    def run(self) -> None:
        """Every table in dependency order, at the proportions at the top of this module."""
        n_grids = math.ceil(self.households_wanted / HOUSEHOLDS_PER_GRID)
        n_communities = math.ceil(n_grids / GRIDS_PER_COMMUNITY)
        n_streets = math.ceil(n_communities / COMMUNITIES_PER_STREET)
        per_grid = split_evenly(self.households_wanted, n_grids)
        if self.postgres:
            # Check each COPY's foreign keys when it ends rather than at commit: a bad row fails here
            # (also inside a test's transaction), and the index rebuild finds no checks pending.
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

        street_ids = self.streets(n_streets)
        community_ids = self.communities(street_ids, n_communities)
        grid_ids = self.grids(community_ids, n_grids)
        buildings = self.buildings(grid_ids, per_grid)
        dwellings = self.step("dwellings", self.dwellings, buildings)
        households = self.step("households", self.households, dwellings)
        members = self.step("residents", self.residents, households)
        enrolled = self.step("care enrolments", self.care_enrolments, households, members)
        self.step("liaison links", self.liaison_links, households, members)
        workers = self.step("grid workers", self.grid_workers, grid_ids)
        met, residents, overrides = self.step("visits", self.visits, households, members, enrolled, workers)
        del members
        self.step("visit visitors", self.visit_visitors)
        self.step("residents met", self.visit_residents_met, met, residents)
        self.step("visit gifts", self.visit_gifts)
        self.step("visit plans", self.visit_plans, overrides)
        self.bench_users()

    def step(self, label: str, function, *args):
        started = time.perf_counter()
        result = function(*args)
        self.out.write(f"  {label:<18} {time.perf_counter() - started:7.1f} s")
        return result


def _group_by_value(mapping: dict) -> dict:
    """{value: [keys with that value]}."""
    groups: dict = {}
    for key, value in mapping.items():
        groups.setdefault(value, []).append(key)
    return groups


@contextlib.contextmanager
def index_dropped(name: str):
    """Drop a PostgreSQL index for the duration of a bulk load, then rebuild it from its own definition."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [name])
        row = cursor.fetchone()
        if row:
            cursor.execute(f"DROP INDEX {name}")
    yield
    if row:
        with connection.cursor() as cursor:
            cursor.execute(row[0])


class Command(BaseCommand):
    help = "Add a synthetic district of N households (with streets, grids and residents) for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--households", type=int, required=True, help="How many households to add.")
        parser.add_argument("--seed", type=int, default=2026, help="Random seed (default 2026).")
        parser.add_argument("--street-name", help="Name of the (first) new street; must not exist yet.")

    def handle(self, *args, households: int, seed: int, street_name: str | None, **options):
        if households < 1:
            raise CommandError("--households must be at least 1.")
        started = time.perf_counter()
        with transaction.atomic():
            generator = DistrictGenerator(
                households=households, seed=seed, street_name=street_name, out=self.stdout
            )
            generator.run()
        with connection.cursor() as cursor:
            for model in generator.added:
                cursor.execute(f"ANALYZE {model._meta.db_table}")
        elapsed = time.perf_counter() - started
        self.stdout.write(f"Generated {households:,} households in {elapsed:.1f} s.")
        self.stdout.write(f"{'table':<28} {'added':>10} {'total':>10}")
        for model, added in generator.added.items():
            total = model.objects.count()
            self.stdout.write(f"{model._meta.db_table:<28} {added:>10,} {total:>10,}")
