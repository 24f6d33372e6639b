"""Households, one per dwelling, and their residents: one to four, with valid and unique ID numbers."""

import contextlib
import datetime
import random

from django.core.management.base import CommandError

from common import crypto
from common.synthetic import make_birth_date, make_id_number, make_mobile, make_name
from residents import identity
from residents.models import Household, Resident

from .district import District
from .loader import indexes_dropped

MEAN_HOUSEHOLD_SIZE = 2.7  # what member_plan() gives on average

H, S, C, P, G = (
    Resident.Relation.HEAD,
    Resident.Relation.SPOUSE,
    Resident.Relation.CHILD,
    Resident.Relation.PARENT,
    Resident.Relation.GRANDCHILD,
)
PARTY = (Resident.PoliticalStatus.PARTY_MEMBER, Resident.PoliticalStatus.PROBATIONARY)
RESIDENT_COLUMNS = (
    "id",
    "household_id",
    "grid_id",
    "name",
    "id_number",
    "id_number_index",
    "id_region",
    "id_last4",
    "sex",
    "birth_date",
    "phone",
    "phone_index",
    "phone_prefix",
    "phone_last4",
    "relation_to_head",
    "political_status",
    "residence_type",
    "status",
    "status_date",
    "created_at",
    "updated_at",
)


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


def households(district: District, dwellings: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """One active household per dwelling, in the dwelling's grid; returns (household id, grid id)."""
    loader = district.loader
    first = loader.next_id(Household)
    plan = [(first + i, grid_id) for i, (_dwelling_id, grid_id) in enumerate(dwellings)]
    rows = (
        (household_id, dwelling_id, grid_id, Household.Status.ACTIVE, None, "", loader.now, loader.now)
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
    loader.insert(Household, columns, rows)
    return plan


def residents(district: District, households: list[tuple[int, int]]) -> list[list[tuple[int, int, bool]]]:
    """Members of each household; returns (resident id, age, is a Party member) for each one."""
    loader, rng, today = district.loader, district.rng, district.today
    # ID numbers are stored encrypted (common.crypto): the generator writes the ciphertext, the blind
    # indexes and the stored parts itself, as Resident.store_identity_parts would, and checks uniqueness
    # against the blind indexes already registered.
    taken = set(Resident.objects.values_list("id_number_index", flat=True).iterator(chunk_size=50_000))
    members: list[list[tuple[int, int, bool]]] = []
    next_id = loader.next_id(Resident)
    encrypt = crypto.bulk_encrypter()

    def unique_id_number(birth: datetime.date, male: bool) -> tuple[datetime.date, str, str]:
        # 4 region codes x 500 sequence numbers per birth date and sex; on a clash draw again,
        # and after many clashes move the birthday a day back.
        for attempt in range(1000):
            day = birth - datetime.timedelta(days=attempt // 20)
            number = make_id_number(day, male, rng)
            index = identity.id_number_index(number)
            if index not in taken:
                taken.add(index)
                return day, number, index
        raise CommandError("Could not find a free ID number; the district is too dense.")

    def rows():
        nonlocal next_id
        for household_id, grid_id in households:
            residence = rng.choices(Resident.ResidenceType.values, weights=(78, 14, 8))[0]
            surname = None
            people = []
            for relation, male, age in member_plan(rng):
                birth, id_number, id_index = unique_id_number(make_birth_date(rng, age, age, today), male)
                phone = phone_for(rng, age)
                # Children and grandchildren take the head's surname, spouses and parents their own.
                name = make_name(male, rng, surname if relation in (C, G) else None)
                surname = surname or name[0]
                status = political_status(rng, age)
                people.append((next_id, age, status in PARTY))
                yield (
                    next_id,
                    household_id,
                    grid_id,
                    name,
                    encrypt(id_number),
                    id_index,
                    id_number[:6],
                    id_number[-4:],
                    identity.MALE if male else identity.FEMALE,
                    birth,
                    encrypt(phone) if phone else "",
                    identity.phone_index(phone) if phone else "",
                    phone[:3],
                    phone[-4:],
                    relation,
                    status,
                    residence,
                    Resident.Status.ACTIVE,
                    None,
                    loader.now,
                    loader.now,
                )
                next_id += 1
            members.append(people)

    # Rebuilding the indexes once costs less than updating them row by row when the table more than doubles.
    rebuild = loader.postgres and len(households) * MEAN_HOUSEHOLD_SIZE > len(taken)
    with indexes_dropped(Resident._meta.db_table) if rebuild else contextlib.nullcontext():
        loader.insert(Resident, RESIDENT_COLUMNS, rows())
    return members
