"""The demo's households drawn from the seed, in memory, before anything is written.

Everyone outside the reports is drawn here: the kinds of household of data/households.toml's [synthetic]
in every grid, their care enrolments by age and living situation, and their liaison Party members.
"""

import dataclasses
import datetime
import random
from collections import Counter
from decimal import Decimal

from common import synthetic
from residents.models import CareCategory, DisabilityGrade, DisabilityType, Resident

from .common import REFERENCE_DATE, REGION, birthday, data
from .places import GRID_CODES

Relation = Resident.Relation
Political = Resident.PoliticalStatus
Residence = Resident.ResidenceType
Status = Resident.Status

SYNTHETIC = data("households")["synthetic"]
KINDS = SYNTHETIC["kinds"]
OTHER_REGIONS = tuple(SYNTHETIC["other_regions"])
# The people of the reports: their households are fixed, and nobody drawn takes their names.
STORY_NAMES = frozenset(
    member["name"] for household in data("households")["story"] for member in household["members"]
)


def _d(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


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


class Planner:
    """Draws the demo's households from the seed."""

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
        start = birthday(youngest, 22)
        end = min(birthday(youngest, 38), REFERENCE_DATE - datetime.timedelta(days=60))
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
        person.status_date = self.between(max(earliest, birthday(person.birth, 55)), _d("2025-10-31"))
        person.phone = ""

    def moves_out(self, person: Person) -> None:
        person.status = Status.MOVED_OUT
        person.status_date = self.between(max(_d("2018-01-01"), birthday(person.birth, 18)), _d("2025-10-31"))

    # Households, one method per kind ----------------------------------------------------------------

    def household(self, kind: str) -> tuple[list[Person], str]:
        """The members of a household of a kind, and its note."""
        draw = {
            "alone_elderly": self.alone_elderly,
            "elderly_couple": self.elderly_couple,
            "family": self.family,
            "three_generations": self.three_generations,
            "couple_adult_child": self.couple_adult_child,
            "tenant": self.tenant,
            "single_adult": self.single_adult,
        }
        members = draw[kind]()
        spec = KINDS[kind]
        note = self.rng.choice(spec["notes"]) if "notes" in spec else spec.get("note", "")
        if kind != "tenant" and self.rng.random() < 0.18:
            # Registered elsewhere but living here for years (常住).
            region = self.rng.choice(OTHER_REGIONS[:5])
            for p in members:
                p.residence = Residence.PERMANENT
                p.region = region
        return members, note

    def alone_elderly(self) -> list[Person]:
        head = self.person(Relation.HEAD, 65, 93)
        members = [head]
        if self.rng.random() < 0.6:
            spouse = self.person(
                Relation.SPOUSE, 0, 0, male=not head.male, birth=head.birth - datetime.timedelta(days=900)
            )
            self.dies(spouse, _d("2012-01-01"))
            members.append(spouse)
        return members

    def elderly_couple(self) -> list[Person]:
        return self.couple(62, 88)

    def family(self) -> list[Person]:
        members = self.couple(28, 48)
        for _ in range(1 if self.rng.random() < 0.6 else 2):
            members.append(self.child_of(members[:2]))
        return members

    def three_generations(self) -> list[Person]:
        members = self.couple(32, 50)
        head = members[0]
        # The head's parents: the father shares the head's surname.
        father_birth = self.between(birthday(head.birth, -36), birthday(head.birth, -24))
        old = [
            self.person(Relation.PARENT, 0, 0, male=True, surname=head.name[0], birth=father_birth),
            self.person(Relation.PARENT, 0, 0, male=False, birth=father_birth + datetime.timedelta(days=700)),
        ]
        if self.rng.random() < 0.35:
            self.dies(old[0], _d("2015-01-01"))
        members += old
        members.append(self.child_of(members[:2]))
        if self.rng.random() < 0.4:
            members.append(self.child_of(members[:2]))
        return members

    def couple_adult_child(self) -> list[Person]:
        members = self.couple(46, 64)
        child = self.child_of(members[:2])
        while child.age() < 18:
            child = self.child_of(members[:2])
        members.append(child)
        if self.rng.random() < 0.3:
            self.moves_out(child)
        return members

    def tenant(self) -> list[Person]:
        rng = self.rng
        members = self.couple(22, 38) if rng.random() < 0.5 else [self.person(Relation.HEAD, 20, 35)]
        region = rng.choice(OTHER_REGIONS)
        for p in members:
            p.residence = Residence.FLOATING
            p.region = region
            if not p.phone:
                p.phone = synthetic.make_mobile(rng)
        return members

    def single_adult(self) -> list[Person]:
        return [self.person(Relation.HEAD, 30, 59)]

    def synthetic_households(self, dwellings: dict[str, list[tuple[str, str, str]]]) -> list[HouseholdPlan]:
        rng = self.rng
        kinds = list(KINDS)
        weights = [spec["weight"] for spec in KINDS.values()]
        plans = []
        for code in GRID_CODES:
            free = list(dwellings[code])
            rng.shuffle(free)
            for dwelling in free[: SYNTHETIC["per_grid"]]:
                kind = rng.choices(kinds, weights)[0]
                members, note = self.household(kind)
                plans.append(
                    HouseholdPlan(grid=code, dwelling=dwelling, members=members, kind=kind, note=note)
                )
        return plans

    # Care enrolments, one method per step -----------------------------------------------------------

    def certificate(self, prefix: str, since: datetime.date) -> str:
        self.certificates[prefix] += 1
        return f"{prefix}{REGION}{since.year}{self.certificates[prefix] + 100:04d}"

    def enrol(self, plans: list[HouseholdPlan]) -> None:
        """Care enrolments of the synthetic households: by age and living situation, then drawn."""
        self.enrol_by_age(plans)
        registered = [p for p in plans if all(m.residence == Residence.REGISTERED for m in p.members)]
        self.enrol_bereaved_parents(registered)
        self.end_an_empty_nest(plans)
        self.enrol_disabled(plans)
        self.enrol_minimum_allowance(registered)
        self.enrol_extreme_poverty_support(registered)
        self.enrol_party_members_in_hardship(registered)
        self.move_tenants_out(plans)

    def enrol_by_age(self, plans: list[HouseholdPlan]) -> None:
        """独居老人, 空巢老人 and 高龄老人 (from the 80th birthday, ended by death), by age alone."""
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
                turned_80 = birthday(p.birth, 80)
                if turned_80 > REFERENCE_DATE or (p.status_date and p.status_date <= turned_80):
                    continue
                if p.status == Status.DECEASED:
                    plan.enrolments.append(
                        Enrolment(CareCategory.VERY_OLD, turned_80, p, until=p.status_date)
                    )
                elif p.active:
                    plan.enrolments.append(Enrolment(CareCategory.VERY_OLD, turned_80, p))

    def enrol_bereaved_parents(self, registered: list[HouseholdPlan]) -> None:
        """失独家庭: two elderly couples who lost their only child (instead of the empty-nest enrolment)."""
        couples = [p for p in registered if p.kind == "elderly_couple" and p.enrolments]
        for plan in self.rng.sample(couples, 2):
            plan.enrolments = [e for e in plan.enrolments if e.category != CareCategory.EMPTY_NEST_ELDERLY]
            plan.enrolments.append(
                Enrolment(
                    CareCategory.BEREAVED_PARENTS,
                    self.between(_d("2014-01-01"), _d("2022-12-31")),
                    note="独生子女病故",
                )
            )
            plan.note = ""

    def end_an_empty_nest(self, plans: list[HouseholdPlan]) -> None:
        """One empty-nest enrolment ended: a son came back to live with his parents."""
        nests = [p for p in plans if any(e.category == CareCategory.EMPTY_NEST_ELDERLY for e in p.enrolments)]
        nest = self.rng.choice(nests)
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
            birth=self.between(birthday(younger, 24), birthday(younger, 34)),
        )
        son.phone = son.phone or synthetic.make_mobile(self.rng)
        nest.members.append(son)
        nest.note = ""

    def enrol_disabled(self, plans: list[HouseholdPlan]) -> None:
        """残疾人: six residents besides 杜先生."""
        rng = self.rng
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

    def enrol_minimum_allowance(self, registered: list[HouseholdPlan]) -> None:
        """低保户: five registered households of working age; the last one left the allowance."""
        rng = self.rng
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

    def enrol_extreme_poverty_support(self, registered: list[HouseholdPlan]) -> None:
        """特困供养: two people living alone without support."""
        rng = self.rng
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

    def enrol_party_members_in_hardship(self, registered: list[HouseholdPlan]) -> None:
        """困难党员: three elderly Party members; one has recovered."""
        elders = [(plan, p) for plan in registered for p in plan.members if p.active and p.age() >= 60]
        for i, (plan, p) in enumerate(self.rng.sample(elders, 3)):
            p.political = Political.PARTY_MEMBER
            since = self.between(_d("2019-01-01"), _d("2024-06-30"))
            enrolment = Enrolment(CareCategory.PARTY_MEMBER_IN_HARDSHIP, since, p, note="长期患病")
            if i == 2:
                enrolment.until = self.between(since + datetime.timedelta(days=180), _d("2025-09-30"))
                enrolment.note = "病愈，生活恢复正常"
            plan.enrolments.append(enrolment)

    def move_tenants_out(self, plans: list[HouseholdPlan]) -> None:
        """Two tenant households have since left; they and their members are kept, dated."""
        tenants = [p for p in plans if p.kind == "tenant" and not p.enrolments]
        for plan in self.rng.sample(tenants, 2):
            plan.moved_out_on = self.between(_d("2024-01-01"), _d("2025-10-31"))

    # Liaisons and ID numbers ------------------------------------------------------------------------

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
