"""The demo community the portal opens with: 金城关社区 and 草场街社区 of 兰州市城关区.

The residents the local press wrote about (苏奶奶, 朱先生, 赵女士, 杜先生) live here among a few hundred
synthetic residents with valid ID numbers and phones. `load()` is what `manage.py load_demo`
runs on every `make demo`: it writes everything in one transaction, or nothing when the demo is already
there, so whatever users have added or changed since survives.

Everything is drawn from a fixed seed and counted from a fixed reference date, not from today, so every
machine loads the same rows. Visits, patrols and cases alone are counted back from the moment the demo is
loaded, so that the due and overdue lists look like a working week and the cases' clocks stand where the
story wants them (临期, 超期) whenever it is loaded; which household is overdue is still drawn from the seed.
Cases go through cases.services like every case the portal records, so their timelines are real.
"""

import dataclasses
import datetime
import functools
import random
from collections import Counter
from decimal import Decimal

from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch
from django.utils import timezone

from cases import catalogue
from cases import services as case_services
from cases.models import (
    Case,
    Category,
    Channel,
    Meeting,
    Participant,
    Satisfaction,
    UnresolvedReason,
)
from cases.workflow import Action
from grids.models import (
    COMMUNITY_ROLES,
    GRID_ROLES,
    Assignment,
    Building,
    Community,
    Dwelling,
    Grid,
    Role,
    Street,
    WorkTeam,
    WorkTeamMember,
)
from portal import synthetic
from residents import services
from residents.models import (
    CareCategory,
    CareEnrolment,
    DisabilityGrade,
    DisabilityType,
    Household,
    Resident,
)
from visits import selectors as visit_selectors
from visits import services as visit_services
from visits.models import PatrolFinding, Visit

DEMO_PASSWORD = "demo12345"
SEED = 20230309
# Ages, enrolment and status dates are counted from this day; it lies in the past so no date is in the future.
REFERENCE_DATE = datetime.date(2026, 1, 1)
REGION = "620102"  # 兰州市城关区

# 金城关社区 lies on the north bank of the Yellow River along 靖远路 (朱先生 lives at 靖远路9号). The reports
# do not name its 街道, so the demo files it under 靖远路街道, the sub-district of 城关区 named after that
# road. 草场街社区 is in 草场街街道, as the reports say. With two streets the `street` user sees 金城关社区
# and its four grids only.
STREET_JCG = "靖远路街道"
STREET_CCJ = "草场街街道"
COMMUNITY_JCG = "金城关社区"
COMMUNITY_CCJ = "草场街社区"
WORK_TEAM = "“一亲三心”工作队"

# (street, community, grids); a grid is (code, name, buildings); a building is (address, entrances, floors).
# Entrances 0 means a courtyard of single-storey houses numbered 1..floors, with no 单元.
LAYOUT = (
    (
        STREET_JCG,
        COMMUNITY_JCG,
        (
            (
                "JCG-01",
                "金城关第一网格",
                (
                    ("靖远路9号", 2, 6),
                    ("靖远路11号", 0, 8),
                    ("靖远路23号院1号楼", 3, 6),
                    ("靖远路23号院2号楼", 2, 5),
                ),
            ),
            (
                "JCG-02",
                "金城关第二网格",
                (
                    ("北滨河中路186号", 2, 6),
                    ("北滨河中路188号（黄河食渡东侧）", 2, 7),
                    ("北滨河中路192号院1号楼", 3, 6),
                ),
            ),
            (
                "JCG-03",
                "金城关第三网格",
                (
                    ("靖远路37号", 2, 6),
                    ("靖远路41号金城关小区1号楼", 3, 6),
                    ("靖远路41号金城关小区2号楼", 3, 6),
                    ("靖远路45号", 0, 6),
                ),
            ),
            (
                "JCG-04",
                "金城关第四网格",
                (
                    ("北滨河东路8号", 2, 5),
                    ("北滨河东路12号院1号楼", 2, 6),
                    ("北滨河东路12号院2号楼", 2, 6),
                ),
            ),
        ),
    ),
    (
        STREET_CCJ,
        COMMUNITY_CCJ,
        (
            (
                "CCJ-01",
                "草场街第一网格",
                (
                    ("草场街12号", 2, 6),
                    ("草场街16号院1号楼", 3, 6),
                    ("草场街16号院2号楼", 2, 6),
                ),
            ),
            (
                "CCJ-02",
                "草场街第二网格",
                (
                    ("草场后街5号", 0, 6),
                    ("草场后街9号", 2, 5),
                    ("草场后街21号院1号楼", 2, 6),
                    ("草场后街21号院2号楼", 2, 6),
                ),
            ),
            (
                "CCJ-03",
                "草场街第三网格",
                (
                    ("南滨河东路102号", 2, 7),
                    ("南滨河东路108号院1号楼", 3, 6),
                    ("南滨河东路108号院2号楼", 2, 6),
                ),
            ),
            (
                "CCJ-04",
                "草场街第四网格",
                (
                    ("草场街38号", 2, 6),
                    ("草场街42号", 0, 5),
                    ("草场街46号院1号楼", 2, 6),
                    ("草场街46号院2号楼", 2, 6),
                ),
            ),
        ),
    ),
)
GRID_CODES = tuple(code for _street, _community, grids in LAYOUT for code, _name, _buildings in grids)
SYNTHETIC_HOUSEHOLDS_PER_GRID = 15

# Accounts: (username, first_name, role, place). The place is a grid code, a community or a street name,
# by the level the role is held at. The first four are the accounts the demo is shown with.
ACCOUNTS = (
    ("worker", "马晓燕", Role.GRID_WORKER, "JCG-01"),
    ("staff", "张丽娟", Role.COMMUNITY_STAFF, COMMUNITY_JCG),
    ("leader", "魏玲", Role.COMMUNITY_LEADER, COMMUNITY_JCG),
    ("street", "杨志刚", Role.STREET_LEADER, STREET_JCG),
    ("gw2", "罗婷", Role.GRID_WORKER, "JCG-02"),
    ("gw3", "韩磊", Role.GRID_WORKER, "JCG-03"),
    ("gw4", "孟静", Role.GRID_WORKER, "JCG-04"),
    ("gw5", "曹雪", Role.GRID_WORKER, "CCJ-01"),
    ("gw6", "冯佳欣", Role.GRID_WORKER, "CCJ-02"),
    ("gw7", "邓超", Role.GRID_WORKER, "CCJ-03"),
    ("gw8", "彭丽", Role.GRID_WORKER, "CCJ-04"),
    ("gl1", "田建平", Role.GRID_LEADER, "JCG-01"),
    ("gl2", "吕红梅", Role.GRID_LEADER, "JCG-02"),
    ("gl3", "孔德明", Role.GRID_LEADER, "JCG-03"),
    ("gl4", "侯桂英", Role.GRID_LEADER, "JCG-04"),
    ("gl5", "姚文博", Role.GRID_LEADER, "CCJ-01"),
    ("gl6", "秦燕", Role.GRID_LEADER, "CCJ-02"),
    ("gl7", "邵宇", Role.GRID_LEADER, "CCJ-03"),
    ("gl8", "汪晶", Role.GRID_LEADER, "CCJ-04"),
    ("gi1", "孙磊", Role.GRID_INSTRUCTOR, "JCG-01"),
    ("gi2", "田静", Role.GRID_INSTRUCTOR, "JCG-02"),
    ("gi3", "袁鹏", Role.GRID_INSTRUCTOR, "JCG-03"),
    ("gi4", "龚倩", Role.GRID_INSTRUCTOR, "JCG-04"),
    ("bh1", "薛国庆", Role.BUILDING_HEAD, "JCG-01"),
    ("bh2", "毛秀英", Role.BUILDING_HEAD, "JCG-02"),
    ("bh3", "戴永红", Role.BUILDING_HEAD, "CCJ-02"),
    ("bh4", "郝建军", Role.BUILDING_HEAD, "CCJ-04"),
    ("ccj_staff", "蒋敏", Role.COMMUNITY_STAFF, COMMUNITY_CCJ),
    ("ccj_leader", "钟海燕", Role.COMMUNITY_LEADER, COMMUNITY_CCJ),
    ("ccj_street", "谭志勇", Role.STREET_LEADER, STREET_CCJ),
)
ADMIN = ("admin", "周海峰")

# The "一亲三心" team of 靖远路街道: (name, kind, username or None, grid code).
WORK_TEAM_MEMBERS = (
    ("杨志刚", WorkTeamMember.Kind.STREET_LEADER, "street", "JCG-01"),
    ("何建平", WorkTeamMember.Kind.STREET_LEADER, None, "JCG-03"),
    ("高建华", WorkTeamMember.Kind.PARTY_MEMBER, None, "JCG-01"),
    ("陈淑芬", WorkTeamMember.Kind.PARTY_MEMBER, None, "JCG-02"),
    ("石玉成", WorkTeamMember.Kind.PARTY_MEMBER, None, "JCG-04"),
    ("罗永福", WorkTeamMember.Kind.RETURNING_LOCAL, None, "JCG-02"),
    ("段国荣", WorkTeamMember.Kind.RETURNING_LOCAL, None, "JCG-04"),
    ("孙磊", WorkTeamMember.Kind.CADRE, "gi1", "JCG-01"),
    ("田静", WorkTeamMember.Kind.CADRE, "gi2", "JCG-02"),
    ("袁鹏", WorkTeamMember.Kind.CADRE, "gi3", "JCG-03"),
    ("龚倩", WorkTeamMember.Kind.CADRE, "gi4", "JCG-04"),
)

# Residence regions of people registered elsewhere: other districts of 兰州 and counties of 甘肃 and beyond.
OTHER_REGIONS = ("620103", "620104", "620105", "620122", "620421", "621121", "620523", "622921", "610113")

Sex = Resident.Sex
Relation = Resident.Relation
Political = Resident.PoliticalStatus
Residence = Resident.ResidenceType
Status = Resident.Status


@dataclasses.dataclass
class Person:
    name: str
    male: bool
    birth: datetime.date
    relation: str
    phone: str = ""
    political: str = Political.MASSES
    residence: str = Residence.REGISTERED
    region: str = REGION
    status: str = Status.ACTIVE
    status_date: datetime.date | None = None
    id_number: str = ""

    @property
    def active(self) -> bool:
        return self.status == Status.ACTIVE

    def age(self, on: datetime.date = REFERENCE_DATE) -> int:
        return on.year - self.birth.year - ((on.month, on.day) < (self.birth.month, self.birth.day))


@dataclasses.dataclass
class Enrolment:
    category: str
    since: datetime.date
    person: Person | None = None  # None: the whole household
    until: datetime.date | None = None
    disability_type: str = ""
    disability_grade: int | None = None
    amount: Decimal | None = None
    certificate: str = ""
    note: str = ""


@dataclasses.dataclass
class HouseholdPlan:
    grid: str
    dwelling: tuple[str, str, str]  # (building address, unit, room)
    members: list[Person]
    kind: str = ""
    note: str = ""
    moved_out_on: datetime.date | None = None
    enrolments: list[Enrolment] = dataclasses.field(default_factory=list)
    liaison: Person | None = None  # the Party member linked to this household (联户)
    liaison_since: datetime.date | None = None


def _d(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def _birthday(birth: datetime.date, age: int) -> datetime.date:
    """The day someone born on `birth` turns `age` (1 March for those born on 29 February)."""
    try:
        return birth.replace(year=birth.year + age)
    except ValueError:
        return datetime.date(birth.year + age, 3, 1)


def dwellings_of(address: str, entrances: int, floors: int) -> list[tuple[str, str]]:
    """(unit, room) of every dwelling in a building: two doors a floor per entrance (101, 102, 201…)."""
    if entrances == 0:
        return [("", str(number)) for number in range(1, floors + 1)]
    return [
        (str(unit), f"{floor}0{door}")
        for unit in range(1, entrances + 1)
        for floor in range(1, floors + 1)
        for door in (1, 2)
    ]


# The people of the reports. Their households are fixed; everyone else is drawn from the seed.
STORY_NAMES = frozenset(
    {
        "苏秀兰",
        "张德福",
        "高建华",
        "刘淑珍",
        "朱建国",
        "李秀梅",
        "朱浩宇",
        "赵丽萍",
        "孙建华",
        "杜志强",
        "王桂英",
    }
)
SU_DWELLING = ("靖远路23号院1号楼", "1", "102")
GAO_DWELLING = ("靖远路23号院1号楼", "2", "401")
ZHU_DWELLING = ("靖远路9号", "2", "302")
ZHAO_DWELLING = ("草场后街21号院2号楼", "1", "602")
DU_DWELLING = ("草场街46号院1号楼", "1", "101")


class _Planner:
    """Draws the demo's households from the seed, in memory, before anything is written."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.id_numbers: set[str] = set()
        self.certificates = Counter()

    # People -----------------------------------------------------------------------------------------

    def name(self, male: bool, surname: str | None = None) -> str:
        while True:
            name = synthetic.make_name(male, self.rng, surname)
            if name not in STORY_NAMES:
                return name

    def birth(self, min_age: int, max_age: int) -> datetime.date:
        return synthetic.make_birth_date(self.rng, min_age, max_age, REFERENCE_DATE)

    def between(self, start: datetime.date, end: datetime.date) -> datetime.date:
        return start + datetime.timedelta(days=self.rng.randrange((end - start).days + 1))

    def phone(self, age: int) -> str:
        roll = self.rng.random()
        if age < 16 or (age >= 70 and roll < 0.2) or roll < 0.04:
            return ""
        if age >= 70 and roll < 0.6:
            return f"0931-8{self.rng.randrange(10**6):06d}"  # a 兰州 landline
        return synthetic.make_mobile(self.rng)

    def political(self, age: int) -> str:
        roll = self.rng.random()
        if age >= 25 and roll < 0.1:
            return Political.PARTY_MEMBER
        if 22 <= age < 45 and roll < 0.12:
            return Political.PROBATIONARY
        if age >= 40 and roll < 0.115:
            return Political.DEMOCRATIC_PARTY
        if 14 <= age <= 28 and roll < 0.45:
            return Political.LEAGUE_MEMBER
        return Political.MASSES

    def person(
        self,
        relation: str,
        min_age: int,
        max_age: int,
        *,
        male: bool | None = None,
        surname: str | None = None,
        birth: datetime.date | None = None,
    ) -> Person:
        male = self.rng.random() < 0.5 if male is None else male
        birth = birth or self.birth(min_age, max_age)
        person = Person(name=self.name(male, surname), male=male, birth=birth, relation=relation)
        person.phone = self.phone(person.age())
        person.political = self.political(person.age())
        return person

    def child_of(self, parents: list[Person]) -> Person:
        """A child born when the younger parent was 22 to 38, never after the reference date."""
        youngest = max(p.birth for p in parents)
        start = _birthday(youngest, 22)
        end = min(_birthday(youngest, 38), REFERENCE_DATE - datetime.timedelta(days=60))
        father = next((p for p in parents if p.male), None)
        return self.person(
            Relation.CHILD, 0, 0, surname=father.name[0] if father else None, birth=self.between(start, end)
        )

    def couple(self, min_age: int, max_age: int) -> list[Person]:
        """A head and spouse of about the same age; the head is more often the husband."""
        head_male = self.rng.random() < 0.75
        head = self.person(Relation.HEAD, min_age, max_age, male=head_male)
        spouse_birth = min(
            head.birth + datetime.timedelta(days=self.rng.randrange(-5 * 365, 3 * 365)),
            REFERENCE_DATE - datetime.timedelta(days=min_age * 365),
        )
        spouse = self.person(Relation.SPOUSE, 0, 0, male=not head_male, birth=spouse_birth)
        return [head, spouse]

    def dies(self, person: Person, earliest: datetime.date) -> None:
        person.status = Status.DECEASED
        person.status_date = self.between(max(earliest, _birthday(person.birth, 55)), _d("2025-10-31"))
        person.phone = ""

    def moves_out(self, person: Person) -> None:
        person.status = Status.MOVED_OUT
        person.status_date = self.between(
            max(_d("2018-01-01"), _birthday(person.birth, 18)), _d("2025-10-31")
        )

    # Households -------------------------------------------------------------------------------------

    KINDS = (
        ("alone_elderly", 14),
        ("elderly_couple", 14),
        ("family", 30),
        ("three_generations", 14),
        ("couple_adult_child", 16),
        ("tenant", 10),
        ("single_adult", 6),
    )

    def household(self, kind: str) -> tuple[list[Person], str]:
        """The members of a household of a kind, and its note."""
        rng = self.rng
        note = ""
        if kind == "alone_elderly":
            head = self.person(Relation.HEAD, 65, 93)
            members = [head]
            if rng.random() < 0.6:
                spouse = self.person(
                    Relation.SPOUSE, 0, 0, male=not head.male, birth=head.birth - datetime.timedelta(days=900)
                )
                self.dies(spouse, _d("2012-01-01"))
                members.append(spouse)
            note = rng.choice(("子女在外地工作", "子女在本市另住", "无子女", ""))
        elif kind == "elderly_couple":
            members = self.couple(62, 88)
            note = rng.choice(("子女在外地工作", "子女定居外省", ""))
        elif kind == "family":
            members = self.couple(28, 48)
            for _ in range(1 if rng.random() < 0.6 else 2):
                members.append(self.child_of(members[:2]))
        elif kind == "three_generations":
            members = self.couple(32, 50)
            head = members[0]
            # The head's parents: the father shares the head's surname.
            father_birth = self.between(_birthday(head.birth, -36), _birthday(head.birth, -24))
            old = [
                self.person(Relation.PARENT, 0, 0, male=True, surname=head.name[0], birth=father_birth),
                self.person(
                    Relation.PARENT, 0, 0, male=False, birth=father_birth + datetime.timedelta(days=700)
                ),
            ]
            if rng.random() < 0.35:
                self.dies(old[0], _d("2015-01-01"))
            members += old
            members.append(self.child_of(members[:2]))
            if rng.random() < 0.4:
                members.append(self.child_of(members[:2]))
        elif kind == "couple_adult_child":
            members = self.couple(46, 64)
            child = self.child_of(members[:2])
            while child.age() < 18:
                child = self.child_of(members[:2])
            members.append(child)
            if rng.random() < 0.3:
                self.moves_out(child)
        elif kind == "tenant":
            members = self.couple(22, 38) if rng.random() < 0.5 else [self.person(Relation.HEAD, 20, 35)]
            region = rng.choice(OTHER_REGIONS)
            for p in members:
                p.residence = Residence.FLOATING
                p.region = region
                if not p.phone:
                    p.phone = synthetic.make_mobile(rng)
            note = "租住"
        else:  # single_adult
            members = [self.person(Relation.HEAD, 30, 59)]
        if kind != "tenant" and rng.random() < 0.18:
            # Registered elsewhere but living here for years (常住).
            region = rng.choice(OTHER_REGIONS[:5])
            for p in members:
                p.residence = Residence.PERMANENT
                p.region = region
        return members, note

    def certificate(self, prefix: str, since: datetime.date) -> str:
        self.certificates[prefix] += 1
        return f"{prefix}{REGION}{since.year}{self.certificates[prefix] + 100:04d}"

    def synthetic_households(self, dwellings: dict[str, list[tuple[str, str, str]]]) -> list[HouseholdPlan]:
        rng = self.rng
        kinds = [kind for kind, _weight in self.KINDS]
        weights = [weight for _kind, weight in self.KINDS]
        plans = []
        for code in GRID_CODES:
            free = list(dwellings[code])
            rng.shuffle(free)
            for dwelling in free[:SYNTHETIC_HOUSEHOLDS_PER_GRID]:
                kind = rng.choices(kinds, weights)[0]
                members, note = self.household(kind)
                plans.append(
                    HouseholdPlan(grid=code, dwelling=dwelling, members=members, kind=kind, note=note)
                )
        return plans

    def enrol(self, plans: list[HouseholdPlan]) -> None:
        """Care enrolments of the synthetic households: by age and living situation, then drawn."""
        rng = self.rng
        for plan in plans:
            living = [p for p in plan.members if p.active]
            if plan.kind == "alone_elderly" and living and living[0].age() >= 60:
                widowed = [p.status_date for p in plan.members if p.status == Status.DECEASED]
                since = widowed[0] if widowed else self.between(_d("2016-01-01"), _d("2024-12-31"))
                plan.enrolments.append(Enrolment(CareCategory.ELDERLY_LIVING_ALONE, since, living[0]))
            if plan.kind == "elderly_couple" and all(p.age() >= 60 for p in living):
                plan.enrolments.append(
                    Enrolment(
                        CareCategory.EMPTY_NEST_ELDERLY, self.between(_d("2017-01-01"), _d("2024-12-31"))
                    )
                )
            for p in plan.members:
                turned_80 = _birthday(p.birth, 80)
                if turned_80 > REFERENCE_DATE or (p.status_date and p.status_date <= turned_80):
                    continue
                if p.status == Status.DECEASED:
                    plan.enrolments.append(
                        Enrolment(CareCategory.VERY_OLD, turned_80, p, until=p.status_date)
                    )
                elif p.active:
                    plan.enrolments.append(Enrolment(CareCategory.VERY_OLD, turned_80, p))

        registered = [p for p in plans if all(m.residence == Residence.REGISTERED for m in p.members)]

        # 失独家庭: two elderly couples who lost their only child (instead of the empty-nest enrolment).
        couples = [p for p in registered if p.kind == "elderly_couple" and p.enrolments]
        for plan in rng.sample(couples, 2):
            plan.enrolments = [e for e in plan.enrolments if e.category != CareCategory.EMPTY_NEST_ELDERLY]
            plan.enrolments.append(
                Enrolment(
                    CareCategory.BEREAVED_PARENTS,
                    self.between(_d("2014-01-01"), _d("2022-12-31")),
                    note="独生子女病故",
                )
            )
            plan.note = ""
        # One empty-nest enrolment ended: a son came back to live with his parents.
        nests = [p for p in plans if any(e.category == CareCategory.EMPTY_NEST_ELDERLY for e in p.enrolments)]
        nest = rng.choice(nests)
        for e in nest.enrolments:
            if e.category == CareCategory.EMPTY_NEST_ELDERLY:
                e.until = self.between(e.since + datetime.timedelta(days=200), _d("2025-09-30"))
                e.note = "儿子回兰同住"
        younger = max(m.birth for m in nest.members)
        father = next((m for m in nest.members if m.male), None)
        son = self.person(
            Relation.CHILD,
            0,
            0,
            male=True,
            surname=father.name[0] if father else None,
            birth=self.between(_birthday(younger, 24), _birthday(younger, 34)),
        )
        son.phone = son.phone or synthetic.make_mobile(rng)
        nest.members.append(son)
        nest.note = ""

        # 残疾人: six residents besides 杜先生.
        people = [(plan, p) for plan in plans for p in plan.members if p.active and p.age() >= 3]
        for plan, p in rng.sample(people, 6):
            plan.enrolments.append(
                Enrolment(
                    CareCategory.DISABLED,
                    self.between(max(p.birth, _d("2008-01-01")), _d("2025-06-30")),
                    p,
                    disability_type=rng.choice(DisabilityType.values),
                    disability_grade=rng.choice(DisabilityGrade.values),
                )
            )

        # 低保户: five registered households of working age; the last one left the allowance.
        poor = [p for p in registered if p.kind in ("family", "three_generations", "single_adult")]
        for i, plan in enumerate(rng.sample(poor, 5)):
            since = self.between(_d("2016-01-01"), _d("2023-12-31"))
            living = sum(1 for m in plan.members if m.active)
            enrolment = Enrolment(
                CareCategory.MINIMUM_ALLOWANCE,
                since,
                amount=Decimal(living * rng.randrange(30, 70) * 10),
                certificate=self.certificate("DB", since),
            )
            if i == 4:
                enrolment.until = self.between(since + datetime.timedelta(days=365), _d("2025-06-30"))
                enrolment.note = "家庭收入提高，退出低保"
            plan.enrolments.append(enrolment)

        # 特困供养: two people living alone without support.
        alone = [
            p
            for p in registered
            if p.kind in ("alone_elderly", "single_adult")
            and not any(e.category == CareCategory.MINIMUM_ALLOWANCE for e in p.enrolments)
        ]
        for plan in rng.sample(alone, 2):
            person = next(p for p in plan.members if p.active)
            since = self.between(_d("2015-01-01"), _d("2023-12-31"))
            plan.enrolments.append(
                Enrolment(
                    CareCategory.EXTREME_POVERTY_SUPPORT,
                    since,
                    person,
                    amount=Decimal(rng.randrange(105, 125) * 10),
                    certificate=self.certificate("TK", since),
                )
            )
            plan.note = "无法定赡养人"

        # 困难党员: three elderly Party members; one has recovered.
        elders = [(plan, p) for plan in registered for p in plan.members if p.active and p.age() >= 60]
        for i, (plan, p) in enumerate(rng.sample(elders, 3)):
            p.political = Political.PARTY_MEMBER
            since = self.between(_d("2019-01-01"), _d("2024-06-30"))
            enrolment = Enrolment(CareCategory.PARTY_MEMBER_IN_HARDSHIP, since, p, note="长期患病")
            if i == 2:
                enrolment.until = self.between(since + datetime.timedelta(days=180), _d("2025-09-30"))
                enrolment.note = "病愈，生活恢复正常"
            plan.enrolments.append(enrolment)

        # Two tenant households have since left; they and their members are kept, dated.
        tenants = [p for p in plans if p.kind == "tenant" and not p.enrolments]
        for plan in rng.sample(tenants, 2):
            plan.moved_out_on = self.between(_d("2024-01-01"), _d("2025-10-31"))

    def link_party_members(self, plans: list[HouseholdPlan]) -> None:
        """Each household in care gets a Party member of its grid (or its community) as liaison (联户)."""
        rng = self.rng
        members = {
            code: [
                (plan, p)
                for plan in plans
                if plan.grid == code and plan.moved_out_on is None
                for p in plan.members
                if p.active and p.political == Political.PARTY_MEMBER and p.age() < 75
            ]
            for code in GRID_CODES
        }
        links = Counter()
        for plan in plans:
            if plan.liaison or plan.moved_out_on or not any(e.until is None for e in plan.enrolments):
                continue
            community = plan.grid[:3]
            nearby = [(h, p) for h, p in members[plan.grid] if h is not plan] or [
                (h, p)
                for code in GRID_CODES
                if code.startswith(community)
                for h, p in members[code]
                if h is not plan
            ]
            if not nearby:
                continue
            _home, person = min(nearby, key=lambda hp: (links[id(hp[1])], rng.random()))
            links[id(person)] += 1
            plan.liaison = person
            plan.liaison_since = self.between(_d("2021-03-01"), _d("2025-06-30"))

    def id_numbers_for(self, plans: list[HouseholdPlan]) -> None:
        for plan in plans:
            for p in plan.members:
                while not p.id_number or p.id_number in self.id_numbers:
                    p.id_number = synthetic.make_id_number(p.birth, p.male, self.rng, p.region)
                self.id_numbers.add(p.id_number)


def story_households(planner: _Planner) -> list[HouseholdPlan]:
    """苏奶奶, her liaison Party member, 朱先生, 赵女士 and 杜先生, as the reports tell of them."""
    mobile = synthetic.make_mobile
    rng = planner.rng

    su = Person("苏秀兰", False, _d("1944-03-12"), Relation.HEAD, phone="0931-8456721")
    su_husband = Person(
        "张德福",
        True,
        _d("1941-11-02"),
        Relation.SPOUSE,
        status=Status.DECEASED,
        status_date=_d("2019-10-08"),
    )
    su_household = HouseholdPlan(
        "JCG-01",
        SU_DWELLING,
        [su, su_husband],
        note="子女在外地工作，老人独居",
        enrolments=[
            Enrolment(CareCategory.ELDERLY_LIVING_ALONE, _d("2019-10-08"), su),
            Enrolment(CareCategory.VERY_OLD, _birthday(su.birth, 80), su),
        ],
    )

    gao = Person(
        "高建华", True, _d("1965-06-18"), Relation.HEAD, phone=mobile(rng), political=Political.PARTY_MEMBER
    )
    gao_wife = Person("刘淑珍", False, _d("1967-01-25"), Relation.SPOUSE, phone=mobile(rng))
    gao_household = HouseholdPlan("JCG-01", GAO_DWELLING, [gao, gao_wife])
    su_household.liaison = gao
    su_household.liaison_since = _d("2022-03-09")

    zhu = Person("朱建国", True, _d("1974-08-16"), Relation.HEAD, phone=mobile(rng))
    zhu_wife = Person("李秀梅", False, _d("1976-04-03"), Relation.SPOUSE, phone=mobile(rng))
    zhu_son = Person(
        "朱浩宇", True, _d("2005-09-21"), Relation.CHILD, phone=mobile(rng), political=Political.LEAGUE_MEMBER
    )
    zhu_household = HouseholdPlan(
        "JCG-01", ZHU_DWELLING, [zhu, zhu_wife, zhu_son], note="妻子患癌长期化疗，儿子在读大学"
    )

    zhao = Person("赵丽萍", False, _d("1968-07-21"), Relation.HEAD, phone=mobile(rng))
    zhao_husband = Person("孙建华", True, _d("1966-12-09"), Relation.SPOUSE, phone=mobile(rng))
    zhao_household = HouseholdPlan(
        "CCJ-02", ZHAO_DWELLING, [zhao, zhao_husband], note="顶层住户，楼顶装有太阳能"
    )

    du = Person("杜志强", True, _d("1962-09-05"), Relation.HEAD, phone=mobile(rng))
    du_mother = Person(
        "王桂英",
        False,
        _d("1936-05-14"),
        Relation.PARENT,
        status=Status.DECEASED,
        status_date=_d("2025-02-16"),
    )
    du_household = HouseholdPlan(
        "CCJ-04",
        DU_DWELLING,
        [du, du_mother],
        note="母亲已去世，妹妹无法时常照料",
        enrolments=[
            Enrolment(
                CareCategory.DISABLED,
                _d("2009-05-20"),
                du,
                disability_type=DisabilityType.PHYSICAL,
                disability_grade=DisabilityGrade.GRADE_2,
            ),
            Enrolment(CareCategory.ELDERLY_LIVING_ALONE, _d("2025-02-16"), du),
            Enrolment(
                CareCategory.VERY_OLD, _birthday(du_mother.birth, 80), du_mother, until=_d("2025-02-16")
            ),
        ],
    )
    for household in (su_household, gao_household, zhu_household, zhao_household, du_household):
        household.kind = "story"
    return [su_household, gao_household, zhu_household, zhao_household, du_household]


def plan_households() -> list[HouseholdPlan]:
    """Every household of the demo, with members, enrolments and liaisons, drawn from SEED."""
    planner = _Planner(random.Random(SEED))
    stories = story_households(planner)
    taken = {h.dwelling for h in stories}
    dwellings = {
        code: [
            (address, unit, room)
            for address, entrances, floors in buildings
            for unit, room in dwellings_of(address, entrances, floors)
            if (address, unit, room) not in taken
        ]
        for _street, _community, grids in LAYOUT
        for code, _name, buildings in grids
    }
    plans = planner.synthetic_households(dwellings)
    planner.enrol(plans)
    everyone = stories + plans
    planner.id_numbers_for(everyone)
    planner.link_party_members(everyone)
    return everyone


def already_loaded() -> bool:
    """The demo is there once any of its streets or grids is: then nothing is loaded again."""
    return (
        Street.objects.filter(name__in=[STREET_JCG, STREET_CCJ]).exists()
        or Grid.objects.filter(code__in=GRID_CODES).exists()
    )


@transaction.atomic
def load() -> Counter | None:
    """Load the demo community; return what was created, or None when it was already loaded."""
    if already_loaded():
        return None
    counts = Counter()
    grids, communities, streets, dwellings = _load_places(counts)
    story_people = _load_households(dwellings, counts)
    users, team = _load_accounts(grids, communities, streets, counts)
    _load_visits(grids, users, team, story_people, counts)
    findings = _load_patrols(grids, users, counts)
    _load_cases(grids, users, story_people, findings, counts)
    return counts


def _load_places(counts: Counter):
    grids, communities, streets, dwellings = {}, {}, {}, {}
    for street_name, community_name, grid_specs in LAYOUT:
        street = streets[street_name] = Street.objects.create(name=street_name)
        community = communities[community_name] = Community.objects.create(street=street, name=community_name)
        counts["streets"] += 1
        counts["communities"] += 1
        for code, name, buildings in grid_specs:
            grid = grids[code] = Grid.objects.create(community=community, code=code, name=name)
            counts["grids"] += 1
            for address, entrances, floors in buildings:
                building = Building.objects.create(grid=grid, address=address)
                counts["buildings"] += 1
                for unit, room in dwellings_of(address, entrances, floors):
                    dwellings[address, unit, room] = Dwelling.objects.create(
                        building=building, unit=unit, room=room
                    )
                    counts["dwellings"] += 1
    return grids, communities, streets, dwellings


def _load_households(dwellings: dict, counts: Counter) -> dict[str, Resident]:
    """Households, residents, enrolments and liaison links; returns the reports' people by name."""
    plans = plan_households()
    residents: dict[int, Resident] = {}
    households: dict[int, Household] = {}
    spare = random.Random(SEED + 1)
    for plan in plans:
        household = services.household_create(dwelling=dwellings[plan.dwelling], note=plan.note)
        households[id(plan)] = household
        counts["households"] += 1
        for p in plan.members:
            # A number someone already entered by hand is left to them; this one takes another.
            while Resident.objects.filter(id_number=p.id_number).exists():
                p.id_number = synthetic.make_id_number(p.birth, p.male, spare, p.region)
            resident = Resident(
                household=household,
                name=p.name,
                id_number=p.id_number,
                sex=Sex.MALE if p.male else Sex.FEMALE,
                birth_date=p.birth,
                phone=p.phone,
                relation_to_head=p.relation,
                political_status=p.political,
                residence_type=p.residence,
                status=p.status,
                status_date=p.status_date,
            )
            residents[id(p)] = services.resident_save(resident=resident)
            counts["residents"] += 1
        for e in plan.enrolments:
            services.enrolment_save(
                enrolment=CareEnrolment(
                    household=household,
                    resident=residents[id(e.person)] if e.person else None,
                    category=e.category,
                    since=e.since,
                    until=e.until,
                    disability_type=e.disability_type,
                    disability_grade=e.disability_grade,
                    allowance_monthly_amount=e.amount,
                    allowance_certificate=e.certificate,
                    note=e.note,
                )
            )
            counts["enrolments"] += 1
    # Links and moves come last: a liaison may live in a household created after the one they serve.
    for plan in plans:
        if plan.liaison:
            services.liaison_link(
                party_member=residents[id(plan.liaison)],
                household=households[id(plan)],
                since=plan.liaison_since,
            )
            counts["liaison_links"] += 1
        if plan.moved_out_on:
            services.household_move_out(household=households[id(plan)], on=plan.moved_out_on)
            counts["moved_out_households"] += 1
    return {p.name: residents[id(p)] for plan in plans if plan.kind == "story" for p in plan.members}


def _load_accounts(
    grids: dict, communities: dict, streets: dict, counts: Counter
) -> tuple[dict, dict[str, list[WorkTeamMember]]]:
    """Demo accounts, all with DEMO_PASSWORD; an account that already exists is left as it is.

    Returns the accounts by username and the work-team members by the grid code they serve.
    """
    user_model = get_user_model()
    password = make_password(DEMO_PASSWORD)  # hashed once: the hasher is slow on purpose
    users = {}

    def account(username: str, first_name: str, **flags):
        user, created = user_model.objects.get_or_create(
            username=username, defaults={"first_name": first_name, "password": password, **flags}
        )
        counts["users"] += created
        users[username] = user
        return user

    account(ADMIN[0], ADMIN[1], is_staff=True, is_superuser=True)
    for username, first_name, role, place in ACCOUNTS:
        user = account(username, first_name)
        if role in GRID_ROLES:
            level = {"grid": grids[place]}
        elif role in COMMUNITY_ROLES:
            level = {"community": communities[place]}
        else:
            level = {"street": streets[place]}
        Assignment.objects.get_or_create(user=user, role=role, **level)
        counts["assignments"] += 1

    team = WorkTeam.objects.create(street=streets[STREET_JCG], name=WORK_TEAM)
    members: dict[str, list[WorkTeamMember]] = {}
    for name, kind, username, code in WORK_TEAM_MEMBERS:
        member = WorkTeamMember.objects.create(
            team=team, name=name, kind=kind, user=users.get(username), grid=grids[code]
        )
        members.setdefault(code, []).append(member)
        counts["work_team_members"] += 1
    return users, members


# Visits and patrols ------------------------------------------------------------------------------------

VISIT_SEED = SEED + 2
VISIT_HISTORY_DAYS = 90  # each household in care has this many days of visits behind it
OVERDUE_SHARE = 0.18  # households in care whose visit is late (at least one in the `worker`'s grid)
WORKERS_GRID = "JCG-01"
DUE_TODAY_SHARE = 0.1
SU_LAST_VISIT_DAYS_AGO = 7  # 苏奶奶 is visited weekly: her next visit is due today
DU_OVERRIDE_DAYS = 2
DU_OVERRIDE_REASON = "每周三次上门送生活物资"
DU_DELIVERY_WEEKDAYS = (0, 2, 4)  # Monday, Wednesday, Friday
DU_DELIVERIES = 24  # the last eight weeks
ZHU_VISIT_DAYS_AGO = 24
ZHU_NEEDS = "妻子患癌长期化疗，儿子在读大学，家庭收入难以维持，申请临时救助"
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
SU_NOTES = (
    "陪老人聊天，帮她收拾整理房间",
    "询问老人身体状况，提醒她按时服药",
    "陪老人聊家常，帮她打扫厨房和卫生间",
    "帮老人检查燃气阀门和电器，提醒注意用气用电安全",
    "老人说女儿常打电话回来，精神很好；帮她收拾整理房间",
)
SU_LATEST_NOTE = "陪老人聊天，帮她收拾整理房间。老人很高兴，说“你们就像我的亲人一样”"
DU_NOTE = "送生活物资，聊天鼓励"
ELDERLY_NOTES = (
    "陪老人聊天，帮忙收拾整理房间",
    "询问老人身体状况和饮食起居，一切正常",
    "提醒老人按时服药，留下网格员联系电话",
    "检查燃气、水电使用安全，老人生活正常",
    "陪老人聊家常，了解子女联系和照料情况",
)
GENERAL_NOTES = (
    "了解家庭近况和生活困难，家中一切正常",
    "询问家人身体和就业情况",
    "了解子女上学情况，介绍社区服务项目",
    "入户核实家庭人口和居住情况",
)
NEEDS_NOTES = (
    ("询问生活中的困难和需求", "希望社区协助预约上门体检"),
    ("征求对社区服务的意见建议", "楼道灯不亮，夜间出行不便"),
    ("询问生活中的困难和需求", ""),
    ("询问生活中的困难和需求，暂无新的需求", ""),
)
ATTENTION_NOTES = (
    ("近日血压偏高，已提醒就医并告知家属", "希望社区协助联系家庭医生上门"),
    ("腿脚不便，近期很少下楼，需要多关注", ""),
    ("卫生间水管漏水，自己无力维修", "卫生间水管漏水，需要上门维修"),
    ("家人住院，陪护压力大，生活较困难", "希望了解医疗救助申请办法"),
)
POLICY_NOTES = (
    "宣传城乡居民医疗保险参保缴费政策，发放宣传资料",
    "讲解高龄补贴、养老服务补贴申领办法",
    "宣传防范电信网络诈骗知识",
    "介绍社区“接单服务”项目，留下网格员联系电话",
)
HOME_SERVICE_NOTES = (
    "送餐上门，询问饮食起居",
    "代购药品，送药上门",
    "上门办理养老金领取资格认证",
)
CONDOLENCE_NOTE = "节前走访慰问，送去米、油，叮嘱注意身体，有困难及时联系社区"
CONDOLENCE_PARTY_NOTE = "走访慰问困难党员，送去慰问品和慰问金，了解身体和生活情况"
GIFTS = (
    visit_services.Gift("米", 1, Decimal("60.00")),
    visit_services.Gift("食用油", 1, Decimal("80.00")),
)
CASH_GIFT = visit_services.Gift("慰问金", 1, Decimal("500.00"))


def _grid_people(users: dict) -> tuple[dict[str, object], dict[str, list]]:
    """The 专职网格员 of each grid, and who else goes on visits there (网格长, 指导员, community staff)."""
    community_of = {code: community for _s, community, grids in LAYOUT for code, _n, _b in grids}
    workers, companions = {}, {code: [] for code in GRID_CODES}
    for username, _name, role, place in ACCOUNTS:
        if role == Role.GRID_WORKER:
            workers[place] = users[username]
        elif role in (Role.GRID_LEADER, Role.GRID_INSTRUCTOR):
            companions[place].append(users[username])
        elif role == Role.COMMUNITY_STAFF:
            for code, community in community_of.items():
                if community == place:
                    companions[code].append(users[username])
    return workers, companions


class _VisitWriter:
    """Logs the demo's visits through visits.services, on days counted back from today."""

    def __init__(self, users: dict, team: dict[str, list[WorkTeamMember]], counts: Counter) -> None:
        self.rng = random.Random(VISIT_SEED)
        self.today = timezone.localdate()
        self.workers, self.companions = _grid_people(users)
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


def _load_visits(
    grids: dict, users: dict, team: dict[str, list[WorkTeamMember]], people: dict, counts: Counter
) -> None:
    """Visits of the last months: the reports' visits, and a history for every household in care."""
    writer = _VisitWriter(users, team, counts)
    rng = writer.rng
    su, du, zhu = people["苏秀兰"], people["杜志强"], people["朱建国"]

    # 杜先生: supplies delivered on Monday, Wednesday and Friday, so his visit is due every two days.
    visit_services.visit_plan_set(
        household=du.household, interval_override_days=DU_OVERRIDE_DAYS, override_reason=DU_OVERRIDE_REASON
    )
    delivery_days = [
        days_ago
        for days_ago in range(1, 7 * DU_DELIVERIES)
        if (writer.today - datetime.timedelta(days=days_ago)).weekday() in DU_DELIVERY_WEEKDAYS
    ][:DU_DELIVERIES]
    du_visitors = [writer.workers["CCJ-04"]]
    for days_ago in reversed(delivery_days):
        writer.log(du.household, days_ago, Visit.Kind.HOME_SERVICE, DU_NOTE, [du], visitors=du_visitors)

    # 苏奶奶: a caring visit every week or so; the last one a week ago, so she is due today.
    su_days = [SU_LAST_VISIT_DAYS_AGO]
    while su_days[-1] + 8 <= VISIT_HISTORY_DAYS:
        su_days.append(su_days[-1] + rng.choice((6, 7, 7, 8)))
    for i, days_ago in enumerate(reversed(su_days)):
        latest = days_ago == SU_LAST_VISIT_DAYS_AGO
        visitors, members = writer.party("JCG-01")
        writer.log(
            su.household,
            days_ago,
            Visit.Kind.WELLBEING,
            SU_LATEST_NOTE if latest else SU_NOTES[i % len(SU_NOTES)],
            [su],
            visitors=visitors,
            team=members,
        )

    # 朱先生: the visit that found his family's hardship.
    writer.log(
        zhu.household,
        ZHU_VISIT_DAYS_AGO,
        Visit.Kind.NEEDS,
        "入户走访了解家庭情况，朱先生反映妻子治病开支大，家庭生活困难；已协助准备临时救助申请材料",
        [zhu],
        condition=Visit.Condition.ATTENTION,
        needs_found=ZHU_NEEDS,
    )

    # Every other household in care: a history at its interval, the latest visit late for some.
    today = writer.today
    schedule = list(
        visit_selectors.care_schedule(Household.objects.filter(grid__in=grids.values()), today)
        .exclude(pk__in=[su.household_id, du.household_id])
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

    # Policy outreach at a few doors outside the care groups.
    visited = {su.household_id, du.household_id, zhu.household_id, *overdue}
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
            rng.choice(POLICY_NOTES),
            household.current[:1],
        )


def _log_history(writer: _VisitWriter, household: Household, overdue: bool) -> None:
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
                CONDOLENCE_PARTY_NOTE if party_member else CONDOLENCE_NOTE,
                met,
                visitors=visitors,
                team=team,
                gifts=(*GIFTS, CASH_GIFT) if special else GIFTS,
            )
            continue
        kind, condition, needs_found = Visit.Kind.WELLBEING, Visit.Condition.NORMAL, ""
        roll = rng.random()
        if roll < 0.1:
            condition = Visit.Condition.ATTENTION
            notes, needs_found = rng.choice(ATTENTION_NOTES)
        elif roll < 0.25:
            kind = Visit.Kind.NEEDS
            notes, needs_found = rng.choice(NEEDS_NOTES)
        elif roll < 0.35:
            kind, notes = Visit.Kind.POLICY_OUTREACH, rng.choice(POLICY_NOTES)
        elif roll < 0.45 and elderly:
            kind, notes = Visit.Kind.HOME_SERVICE, rng.choice(HOME_SERVICE_NOTES)
        else:
            notes = rng.choice(ELDERLY_NOTES if elderly else GENERAL_NOTES)
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


def _load_patrols(grids: dict, users: dict, counts: Counter) -> list[PatrolFinding]:
    """Patrols around 黄河食渡, where residents complained of litter and parked cars, and one at home.

    Returns what they found, in the order found.
    """
    today = timezone.localdate()

    def at(days_ago: int, hour: int) -> datetime.datetime:
        day = today - datetime.timedelta(days=days_ago)
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 30)))

    Finding = visit_services.Finding
    patrols = (
        (
            "JCG-02",
            "gw2",
            20,
            "北滨河中路186号—黄河食渡—北滨河中路192号院",
            "居民反映黄河食渡周边环境卫生差、车辆乱停，现场查看属实",
            [
                Finding("北滨河中路黄河食渡周边", "环境卫生脏乱差，餐饮垃圾堆放在人行道旁"),
                Finding("黄河食渡门前人行道", "机动车乱停放，占用人行道和消防通道"),
            ],
        ),
        (
            "JCG-02",
            "gw2",
            13,
            "黄河食渡—北滨河中路188号",
            "会同“一亲三心”工作队清理整治，督促商户落实“门前三包”",
            [Finding("北滨河中路188号（黄河食渡东侧）商户门前", "个别商户未落实“门前三包”，门前油污未清理")],
        ),
        (
            "JCG-02",
            "gw2",
            6,
            "北滨河中路186号—黄河食渡—北滨河中路192号院",
            "整治后复查：黄河食渡周边垃圾已清运，机动车停放基本有序",
            [],
        ),
        ("JCG-01", "worker", 2, "靖远路9号—靖远路11号—靖远路23号院", "巡查楼道和院落，未发现问题", []),
    )
    logged = []
    for code, username, days_ago, route, notes, findings in patrols:
        patrol = visit_services.patrol_log(
            grid=grids[code],
            worker=users[username],
            started_at=at(days_ago, 9),
            ended_at=at(days_ago, 11),
            route=route,
            notes=notes,
            findings=findings,
        )
        logged.append(patrol)
        counts["patrols"] += 1
        counts["patrol_findings"] += len(findings)
    return list(PatrolFinding.objects.filter(patrol__in=logged).order_by("id"))


# Cases (诉求 / 工单) -----------------------------------------------------------------------------------
#
# Every case is registered and moved on through cases.services, so its timeline is the one the portal
# would have written. Times are counted back from the moment the demo is loaded, like the visits: service
# orders in hours, so that their clocks stand where the comments say (临期, 超期) whenever it is loaded.

CASE_SEED = SEED + 3  # the phone numbers of requesters from outside the registry

# (hours ago, action, username, note, params); params name accounts by username ("worker": "gw2").
Step = tuple[float, str, str, str, dict]


@dataclasses.dataclass(frozen=True)
class ServiceOrder:
    """A request from the service list (服务清单) and what was done with it; the first step registers it."""

    grid: str
    category: str
    channel: str
    description: str
    steps: tuple[Step, ...]
    outsider: str = ""  # a requester from outside the registry; otherwise the grid's next resident


def _steps(*steps: tuple) -> tuple[Step, ...]:
    """Steps written without the note or params they do not need."""
    return tuple(step + ("", {})[len(step) - 3 :] for step in steps)


A = Action
SERVICE_ORDERS = (
    # 待受理: on the desk of `staff`.
    ServiceOrder(
        "JCG-01",
        "下水疏通",
        Channel.PHONE,
        "厨房下水堵塞，洗菜池污水反溢，请网格员上门疏通。",
        _steps((1.5, A.REGISTER, "staff")),
    ),
    ServiceOrder(
        "JCG-03",
        "上门认证",
        Channel.ONLINE,
        "老人卧床，行动不便，无法到社保窗口，申请上门办理养老金领取资格认证。",
        _steps((3, A.REGISTER, "staff")),
    ),
    # 待接单: sent to 金城关第一网格 (any of its workers), running.
    ServiceOrder(
        "JCG-01",
        "送餐送药",
        Channel.WALK_IN,
        "老人独居，近日感冒行动不便，请帮忙到药店代购感冒药和降压药并送上门。",
        _steps((7, A.REGISTER, "staff"), (6.5, A.ACCEPT, "staff")),
    ),
    # 待接单: sent to `worker` by name 21 of its 24 hours ago, past 80% of the response limit (临期).
    ServiceOrder(
        "JCG-01",
        "陪同就医",
        Channel.PHONE,
        "女儿在外地工作，想请网格员陪同到社区卫生服务中心复查血压、配药。",
        _steps((21.5, A.REGISTER, "staff"), (21, A.ACCEPT, "staff", "", {"worker": "worker"})),
    ),
    # 待接单 and overdue: taken, returned while the worker was away, and urged (督办) by `leader`.
    ServiceOrder(
        "JCG-02",
        "上门认证",
        Channel.HOTLINE,
        "12345转办：老人瘫痪在床，申请上门办理养老金领取资格认证。",
        _steps(
            (90, A.REGISTER, "staff"),
            (89, A.ACCEPT, "staff"),
            (80, A.TAKE, "gw2"),
            (78, A.RETURN, "gw2", "本周参加区里集中培训，无法按约上门，退回重新派单"),
            (5, A.URGE, "leader", "超期未接单，请网格长尽快安排人员上门认证"),
        ),
    ),
    # 办理中 by `worker`, past 80% of the resolution limit (临期).
    ServiceOrder(
        "JCG-01",
        "下水疏通",
        Channel.PHONE,
        "卫生间地漏返水，下水很慢，自己疏通不了。",
        _steps(
            (61, A.REGISTER, "staff"),
            (60.5, A.ACCEPT, "staff", "", {"worker": "worker"}),
            (59, A.TAKE, "worker", "已电话联系，约好上门时间"),
        ),
    ),
    # 办理中 by `worker` and overdue.
    ServiceOrder(
        "JCG-01",
        "送餐送药",
        Channel.PHONE,
        "常用的降压药快吃完了，腿脚不便，请帮忙到医院代开并送药上门。",
        _steps(
            (58, A.REGISTER, "staff"),
            (57, A.ACCEPT, "staff"),
            (56, A.TAKE, "worker", "医院药房暂时缺药，等待到货后代开"),
        ),
    ),
    # 办理中 by `worker`, well within its time.
    ServiceOrder(
        "JCG-01",
        "上门认证",
        Channel.WALK_IN,
        "家属来社区反映：老人行动不便，申请上门办理养老金领取资格认证。",
        _steps(
            (30, A.REGISTER, "staff"),
            (29.5, A.ACCEPT, "staff", "", {"worker": "worker"}),
            (26, A.TAKE, "worker"),
        ),
    ),
    # Reopened (重办) after the follow-up call found the drain blocked again; back with `worker`, its clock
    # running on from where it stood at the resolution.
    ServiceOrder(
        "JCG-01",
        "下水疏通",
        Channel.PHONE,
        "厨房下水管道堵塞，污水从地漏反溢。",
        _steps(
            (120, A.REGISTER, "staff"),
            (119.5, A.ACCEPT, "staff", "", {"worker": "worker"}),
            (118, A.TAKE, "worker"),
            (116, A.RESOLVE, "worker", "上门疏通厨房下水管道，试水正常"),
            (
                50,
                A.FOLLOW_UP,
                "staff",
                "居民反映疏通后第二天又堵了",
                {"resolved": False, "satisfaction": Satisfaction.UNSATISFIED},
            ),
            (49.5, A.REOPEN, "staff", "疏通不彻底，再次堵塞，请联系专业疏通人员重新处理"),
        ),
    ),
    # 已上报街道: the blockage is in the municipal sewer outside the building.
    ServiceOrder(
        "JCG-04",
        "下水疏通",
        Channel.PHONE,
        "一楼卫生间污水反溢，楼上几户也反映下水不畅。",
        _steps(
            (30, A.REGISTER, "staff"),
            (29.5, A.ACCEPT, "staff"),
            (28, A.TAKE, "gw4"),
            (24, A.ESCALATE, "gw4", "排查为楼外市政污水主管道堵塞，整栋楼反溢，需街道协调市政排水部门疏通"),
        ),
    ),
    # 协商中: who pays for clearing a shared drain blocked by a neighbour's renovation.
    ServiceOrder(
        "JCG-03",
        "下水疏通",
        Channel.WALK_IN,
        "楼上住户装修后公共下水管道堵塞，一楼家中反溢；疏通和赔偿费用由谁承担，双方有争议。",
        _steps(
            (50, A.REGISTER, "staff"),
            (49.5, A.ACCEPT, "staff", "", {"worker": "gw3"}),
            (48, A.TAKE, "gw3"),
            (40, A.OPEN_CONSULTATION, "gw3", "约楼上住户、一楼住户和楼栋长到社区协商"),
        ),
    ),
    # 已办结，待回访: on the desk of `staff` for the follow-up call.
    ServiceOrder(
        "JCG-01",
        "陪同就医",
        Channel.PHONE,
        "老人需要到医院做心脏复查，子女不在身边，请网格员陪同。",
        _steps(
            (70, A.REGISTER, "staff"),
            (69.5, A.ACCEPT, "staff", "", {"worker": "worker"}),
            (68, A.TAKE, "worker"),
            (20, A.RESOLVE, "worker", "陪同老人到医院做心脏复查，取回报告并配好一个月的药，已送回家"),
        ),
    ),
    ServiceOrder(
        "JCG-02",
        "送餐送药",
        Channel.WALK_IN,
        "老人术后在家休养，请帮忙代购药品送上门。",
        _steps(
            (40, A.REGISTER, "staff"),
            (39.5, A.ACCEPT, "staff"),
            (38, A.TAKE, "gw2"),
            (30, A.RESOLVE, "gw2", "代购药品送药上门，当面核对药品和用法用量"),
        ),
    ),
    # 已归档, resolved.
    ServiceOrder(
        "JCG-01",
        "下水疏通",
        Channel.PHONE,
        "洗衣机排水口堵塞，卫生间积水。",
        _steps(
            (290, A.REGISTER, "staff"),
            (289.5, A.ACCEPT, "staff", "", {"worker": "worker"}),
            (288, A.TAKE, "worker"),
            (285, A.RESOLVE, "worker", "上门疏通排水口，清出毛发杂物，试水正常"),
            (265, A.FOLLOW_UP, "staff", "", {"resolved": True, "satisfaction": Satisfaction.SATISFIED}),
            (264.9, A.CLOSE, "staff"),
        ),
    ),
    ServiceOrder(
        "JCG-01",
        "上门认证",
        Channel.WALK_IN,
        "老人高龄，申请上门办理养老金领取资格认证。",
        _steps(
            (430, A.REGISTER, "staff"),
            (429, A.ACCEPT, "staff"),
            (400, A.TAKE, "worker"),
            (380, A.RESOLVE, "worker", "上门协助老人通过手机完成人脸识别认证"),
            (
                360,
                A.FOLLOW_UP,
                "staff",
                "老人说等的时间有点长",
                {"resolved": True, "satisfaction": Satisfaction.BASICALLY},
            ),
            (359.9, A.CLOSE, "staff"),
        ),
    ),
    ServiceOrder(
        "JCG-04",
        "送餐送药",
        Channel.PHONE,
        "老人独居，近期腿疼下不了楼，请帮忙送餐。",
        _steps(
            (200, A.REGISTER, "staff"),
            (199.5, A.ACCEPT, "staff"),
            (198, A.TAKE, "gw4"),
            (190, A.RESOLVE, "gw4", "联系社区老年餐桌每天午餐送餐上门，已送一周"),
            (170, A.FOLLOW_UP, "staff", "", {"resolved": True, "satisfaction": Satisfaction.SATISFIED}),
            (169.9, A.CLOSE, "staff"),
        ),
    ),
    ServiceOrder(
        "JCG-02",
        "陪同就医",
        Channel.VISIT,
        "走访时老人提出需要有人陪同到医院眼科复查。",
        _steps(
            (350, A.REGISTER, "gw2"),
            (348, A.ACCEPT, "staff", "", {"worker": "gw2"}),
            (346, A.TAKE, "gw2"),
            (320, A.RESOLVE, "gw2", "陪同老人到医院眼科复查，协助挂号、取药"),
            (300, A.FOLLOW_UP, "staff", "", {"resolved": True, "satisfaction": Satisfaction.SATISFIED}),
            (299.9, A.CLOSE, "staff"),
        ),
    ),
    # 已归档 unresolved: the requester could not be reached; the requester withdrew.
    ServiceOrder(
        "JCG-03",
        "上门认证",
        Channel.PHONE,
        "申请上门办理养老金领取资格认证。",
        _steps(
            (260, A.REGISTER, "staff"),
            (259, A.ACCEPT, "staff"),
            (250, A.TAKE, "gw3"),
            (
                100,
                A.CLOSE,
                "staff",
                "多次电话联系不上诉求人，两次上门无人应答",
                {"reason": UnresolvedReason.UNREACHABLE},
            ),
        ),
    ),
    ServiceOrder(
        "JCG-02",
        "下水疏通",
        Channel.PHONE,
        "厨房下水不畅，请派人疏通。",
        _steps(
            (150, A.REGISTER, "staff"),
            (149.5, A.ACCEPT, "staff"),
            (
                147,
                A.CLOSE,
                "staff",
                "诉求人来电说已自行请人疏通，撤回诉求",
                {"reason": UnresolvedReason.WITHDRAWN},
            ),
        ),
    ),
    # 不予受理.
    ServiceOrder(
        "JCG-02",
        "上门认证",
        Channel.HOTLINE,
        "12345转办：申请社区为其在外省参保的亲属上门办理养老金资格认证。",
        _steps(
            (75, A.REGISTER, "staff"),
            (
                74,
                A.REJECT,
                "staff",
                "亲属在外省参保，不属本社区服务事项；已告知通过国家社会保险公共服务平台自助认证或联系参保地社保经办机构",
            ),
        ),
        outsider="李先生",
    ),
)


class _CaseWriter:
    """Registers the demo's requests and moves them on through cases.services, at times in the past."""

    def __init__(self, users: dict, counts: Counter) -> None:
        self.users = users
        self.counts = counts
        self.now = timezone.now()
        self.today = timezone.localdate()
        # The migration seeds the 事项清单 the stories use. A database flushed since it was migrated (as
        # transactional tests do) has lost it: seed what is missing the same way, leaving the rest alone.
        catalogue.seed(django_apps)
        self.categories = {category.name: category for category in Category.objects.all()}

    def hours_ago(self, hours: float) -> datetime.datetime:
        return self.now - datetime.timedelta(hours=hours)

    def date_ago(self, days: int) -> datetime.date:
        return self.today - datetime.timedelta(days=days)

    def day_at(self, days_ago: int, hour: int, minute: int = 0) -> datetime.datetime:
        day = self.date_ago(days_ago)
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))

    def name(self, username: str) -> str:
        return self.users[username].first_name

    def intake(self, grid: Grid, category: str, **fields) -> case_services.Intake:
        category = self.categories[category]
        return case_services.Intake(grid=grid, category=category, urgency=category.default_urgency, **fields)

    def register(self, at: datetime.datetime, username: str, intake: case_services.Intake) -> Case:
        case = case_services.case_register(intake=intake, actor=self.users[username], now=at)
        self.counts["cases"] += 1
        return case

    def act(self, case: Case, at: datetime.datetime, action: str, username: str, note: str = "", **params):
        if "worker" in params:
            params["worker"] = self.users[params["worker"]]
        return case_services.case_transition(
            case=case, action=action, actor=self.users[username], note=note, now=at, **params
        )

    def meeting(
        self, case: Case, recorded_at: datetime.datetime, username: str, record: case_services.MeetingRecord
    ) -> Meeting:
        meeting = case_services.meeting_record(
            case=case, actor=self.users[username], record=record, now=recorded_at
        )
        self.counts["meetings"] += 1
        return meeting


def _requesters(grids: dict) -> dict[str, list[Resident]]:
    """Who asks for the service orders of each grid: one adult per household, households in care first."""
    today = timezone.localdate()
    adult = _birthday(today, -18)
    in_care = CareEnrolment.objects.active_on(today).filter(household=OuterRef("household"))
    pools = {}
    for code, grid in grids.items():
        residents = (
            Resident.objects.current()
            .filter(household__grid=grid, household__status=Household.Status.ACTIVE, birth_date__lte=adult)
            .exclude(name__in=STORY_NAMES)
            .annotate(in_care=Exists(in_care))
            .select_related("household__dwelling__building")
            .order_by("-in_care", "household_id", "id")
        )
        seen, pool = set(), []
        for resident in residents:
            if resident.household_id not in seen:
                seen.add(resident.household_id)
                pool.append(resident)
        pools[code] = pool
    return pools


def _load_cases(
    grids: dict, users: dict, people: dict, findings: list[PatrolFinding], counts: Counter
) -> None:
    """赵女士's mediated dispute, 朱先生's application, the 黄河食渡 clean-up and the service orders."""
    writer = _CaseWriter(users, counts)
    _zhao_solar_heater(writer, grids, people["赵丽萍"])
    _zhu_assistance(writer, people["朱建国"])
    _huanghe_shidu(writer, grids, findings)
    _service_orders(writer, grids)


ZHAO_QUESTION = "楼顶保温层施工中赵女士家太阳能热水器被掀翻损坏，损失如何承担"
ZHAO_ROUND_1 = (
    "施工方承认施工时挪动过太阳能热水器，但认为热水器早已老化，不同意赔偿新热水器；赵女士要求照价赔偿。"
    "律师志愿者讲解了施工损坏他人财物的民事责任，调解员请双方各自考虑折中方案，约定一周后再议。"
)
ZHAO_ROUND_2 = (
    "经调解员和律师志愿者耐心劝解，双方达成协议：赵女士提供家中另一台旧太阳能热水器，施工方负责维修并在"
    "楼顶安装到位、恢复上下水管路，费用由施工方承担。双方签字确认。"
)
CONTRACTOR = "楼顶保温层施工队"


def _zhao_solar_heater(writer: _CaseWriter, grids: dict, zhao: Resident) -> None:
    """The heater knocked over by the roof insulation work: two rounds of mediation, then agreement."""
    household = zhao.household
    case = writer.register(
        writer.day_at(30, 9, 20),
        "ccj_staff",
        writer.intake(
            grids["CCJ-02"],
            "邻里纠纷",
            channel=Channel.WALK_IN,
            description="自家楼顶的太阳能热水器被人掀翻，怀疑是楼顶保温层施工所致，希望社区出面协商处理。",
            requester=case_services.Requester(resident=zhao),
            household=household,
            building=household.dwelling.building,
            address=str(household.dwelling),
        ),
    )
    case = writer.act(case, writer.day_at(30, 9, 45), A.ACCEPT, "ccj_staff", worker="gw6")
    case = writer.act(
        case, writer.day_at(30, 11), A.TAKE, "gw6", "已与施工负责人电话联系，对方同意到社区协商"
    )
    case = writer.act(
        case,
        writer.day_at(29, 14),
        A.OPEN_CONSULTATION,
        "gw6",
        "约施工方与赵女士到社区协商，邀请“法援帮帮团”律师志愿者和人民调解员参加",
    )
    Role = Participant.Role
    Entry = case_services.ParticipantEntry
    present = [
        Entry(Role.REQUESTER, zhao.name, resident=zhao),
        Entry(Role.OTHER_PARTY, "刘志明", f"{CONTRACTOR}（负责人）"),
        Entry(Role.VOLUNTEER_LAWYER, "陈静", "法援帮帮团"),
        Entry(Role.MEDIATOR, "马玉兰", "草场街社区人民调解委员会"),
        Entry(Role.STAFF, writer.name("gw6"), COMMUNITY_CCJ),
    ]
    meeting = functools.partial(
        case_services.MeetingRecord,
        place="草场街社区协商议事室",
        chair="马玉兰",
        question=ZHAO_QUESTION,
        participants=present,
    )
    writer.meeting(
        case,
        writer.day_at(27, 17, 30),
        "gw6",
        meeting(
            held_at=writer.day_at(27, 15), minutes=ZHAO_ROUND_1, outcome=Meeting.Outcome.ADJOURNED, terms=[]
        ),
    )
    writer.meeting(
        case,
        writer.day_at(20, 17),
        "gw6",
        meeting(
            held_at=writer.day_at(20, 15),
            minutes=ZHAO_ROUND_2,
            outcome=Meeting.Outcome.AGREEMENT,
            terms=[
                case_services.TermEntry(
                    zhao.name, "提供另一台旧太阳能热水器，放在楼下院内待施工方取用", writer.date_ago(19)
                ),
                case_services.TermEntry(
                    CONTRACTOR,
                    "维修旧太阳能热水器并在楼顶安装到位，恢复上下水管路，试水正常",
                    writer.date_ago(16),
                ),
            ],
        ),
    )
    case = writer.act(
        case,
        writer.day_at(16, 16, 30),
        A.RESOLVE,
        "gw6",
        "施工方已按协议将赵女士提供的旧太阳能热水器维修并安装到楼顶，上下水管路恢复，试水正常",
    )
    case = writer.act(
        case,
        writer.day_at(14, 10),
        A.FOLLOW_UP,
        "ccj_staff",
        "赵女士对社区的工作态度和办事效率给予充分肯定，对处理结果满意",
        resolved=True,
        satisfaction=Satisfaction.SATISFIED,
    )
    writer.act(case, writer.day_at(14, 10, 5), A.CLOSE, "ccj_staff")


def _zhu_assistance(writer: _CaseWriter, zhu: Resident) -> None:
    """临时救助 raised from the needs visit; paused while the family gathers the last papers."""
    visit = zhu.household.visits.get(kind=Visit.Kind.NEEDS)
    draft = visit_selectors.request_draft_from_visit(visit)
    case = writer.register(
        visit.visited_at + datetime.timedelta(minutes=90),
        "worker",
        writer.intake(
            draft.grid,
            "临时救助",
            channel=draft.channel,
            description=draft.description,
            requester=case_services.Requester(resident=zhu),
            household=draft.household,
            building=draft.household.dwelling.building,
            address=draft.location,
            origin_visit=draft.origin_visit,
        ),
    )
    case = writer.act(case, writer.day_at(23, 9, 10), A.ACCEPT, "staff", worker="worker")
    case = writer.act(case, writer.day_at(23, 10), A.TAKE, "worker", "已联系朱先生，协助准备临时救助申请材料")
    case = writer.act(
        case,
        writer.day_at(22, 16),
        A.PAUSE,
        "worker",
        "待补充材料：李秀梅的诊断证明和化疗费用票据，朱先生正在医院开具",
    )
    case = writer.act(case, writer.day_at(15, 10), A.RESUME, "worker", "诊断证明和费用票据已交齐")
    writer.act(case, writer.day_at(6, 11), A.PAUSE, "worker", "待补充材料：朱浩宇的在校证明，学校正在邮寄")


def _huanghe_shidu(writer: _CaseWriter, grids: dict, findings: list[PatrolFinding]) -> None:
    """The litter and the parked cars the patrol found at 黄河食渡, and a resident's call about the litter."""
    litter, parking = findings[0], findings[1]
    found_at = litter.patrol.ended_at

    def from_finding(finding: PatrolFinding, category: str) -> case_services.Intake:
        draft = visit_selectors.request_draft_from_finding(finding)
        return writer.intake(
            draft.grid,
            category,
            channel=draft.channel,
            description=draft.description,
            requester=case_services.Requester(anonymous=True),  # found on patrol: nobody asked
            address=draft.location,
            origin_finding=finding,
        )

    minutes = datetime.timedelta(minutes=1)
    sanitation = writer.register(found_at + 30 * minutes, "gw2", from_finding(litter, "环境卫生"))
    cars = writer.register(found_at + 40 * minutes, "gw2", from_finding(parking, "乱停放"))
    sanitation = writer.act(sanitation, writer.day_at(20, 14), A.ACCEPT, "staff", worker="gw2")
    cars = writer.act(cars, writer.day_at(20, 14, 5), A.ACCEPT, "staff", worker="gw2")
    sanitation = writer.act(
        sanitation,
        writer.day_at(20, 14, 30),
        A.TAKE,
        "gw2",
        "联系“一亲三心”工作队和沿街商户，约定集中清理时间",
    )
    cars = writer.act(cars, writer.day_at(20, 14, 40), A.TAKE, "gw2")
    cars = writer.act(
        cars,
        writer.day_at(19, 10),
        A.ESCALATE,
        "gw2",
        "机动车占用人行道和消防通道，需交警、城管执法，超出社区职权，上报街道协调",
    )

    # Two days later a resident calls about the same litter: the desk merges the call into the case.
    repeat = writer.register(
        writer.day_at(18, 10),
        "staff",
        writer.intake(
            grids["JCG-02"],
            "环境卫生",
            channel=Channel.PHONE,
            description="黄河食渡门前人行道旁餐饮垃圾堆放，气味很大，希望尽快清理。",
            requester=case_services.Requester(
                name="刘先生", phone=synthetic.make_mobile(random.Random(CASE_SEED))
            ),
            address="北滨河中路黄河食渡门前",
        ),
    )
    writer.act(repeat, writer.day_at(18, 10, 15), A.MERGE, "staff", target=sanitation)

    sanitation = writer.act(
        sanitation,
        writer.day_at(13, 12),
        A.RESOLVE,
        "gw2",
        "会同“一亲三心”工作队全面清理黄河食渡周边，餐饮垃圾已清运；督促商户落实“门前三包”，引导文明经营",
    )
    cars = writer.act(cars, writer.day_at(14, 9), A.URGE, "leader", "占道停车影响消防通道，请街道加快协调")
    cars = writer.act(
        cars,
        writer.day_at(8, 16),
        A.RESOLVE,
        "street",
        "街道协调交警和城管联合整治，劝离占道车辆，施划停车泊位并安装隔离桩",
    )
    # Both are followed up after the patrol that checked the street again.
    sanitation = writer.act(
        sanitation,
        writer.day_at(6, 14),
        A.FOLLOW_UP,
        "staff",
        "复查黄河食渡周边环境整洁；回访来电反映的刘先生，表示满意",
        resolved=True,
        satisfaction=Satisfaction.SATISFIED,
    )
    writer.act(sanitation, writer.day_at(6, 14, 5), A.CLOSE, "staff")
    cars = writer.act(
        cars,
        writer.day_at(6, 14, 10),
        A.FOLLOW_UP,
        "staff",
        "复查车辆停放基本有序，沿街商户和居民基本满意",
        resolved=True,
        satisfaction=Satisfaction.BASICALLY,
    )
    writer.act(cars, writer.day_at(6, 14, 15), A.CLOSE, "staff")


def _service_orders(writer: _CaseWriter, grids: dict) -> None:
    """下水疏通, 陪同就医, 送餐送药 and 上门认证 in every state of the workflow."""
    requesters = {code: iter(pool) for code, pool in _requesters(grids).items()}
    rng = random.Random(CASE_SEED + 1)
    for order in SERVICE_ORDERS:
        (hours, _register, registrar, _note, _params), *steps = order.steps
        if order.outsider:
            requester = case_services.Requester(name=order.outsider, phone=synthetic.make_mobile(rng))
            household = None
        else:
            resident = next(requesters[order.grid])
            requester, household = case_services.Requester(resident=resident), resident.household
        case = writer.register(
            writer.hours_ago(hours),
            registrar,
            writer.intake(
                grids[order.grid],
                order.category,
                channel=order.channel,
                description=order.description,
                requester=requester,
                household=household,
                building=household.dwelling.building if household else None,
                address=str(household.dwelling) if household else "",
            ),
        )
        for hours, action, username, note, params in steps:
            case = writer.act(case, writer.hours_ago(hours), action, username, note, **dict(params))


def summary(counts: Counter) -> str:
    return (
        "Demo community loaded: {streets} streets, {communities} communities, {grids} grids, "
        "{buildings} buildings, {dwellings} dwellings, {households} households "
        "({moved_out_households} moved out), {residents} residents, {enrolments} care enrolments, "
        "{liaison_links} liaison links, {users} users, {assignments} assignments, "
        "{work_team_members} work-team members, {visits} visits, {patrols} patrols, {cases} cases "
        "({meetings} consultation meetings). "
        "Password for every account: {password}"
    ).format(password=DEMO_PASSWORD, **counts)
