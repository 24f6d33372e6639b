"""Care enrolments for about 8% of households, and liaison links to Party members for a few."""

import datetime
import random
from decimal import Decimal

from residents.models import CareCategory, CareEnrolment, DisabilityGrade, DisabilityType, LiaisonLink
from visits.models import SEVERE_DISABILITY, SEVERE_DISABILITY_MAX_GRADE

from .district import District

ENROLLED_SHARE = 0.08
LIAISON_SHARE = 0.03
ENROLMENT_COLUMNS = (
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

Members = list[tuple[int, int, bool]]  # (resident id, age, is a Party member) of one household


def care_enrolments(
    district: District, households: list[tuple[int, int]], members: list[Members]
) -> dict[int, tuple[str, int | None]]:
    """About 8% of households in one care category each, chosen from what the household is.

    Returns, for each household enrolled today, its visit-interval rule and the resident enrolled.
    """
    loader, rng, today = district.loader, district.rng, district.today
    rows = []
    active: dict[int, tuple[str, int | None]] = {}
    next_id = loader.next_id(CareEnrolment)
    for (household_id, _grid_id), people in zip(households, members, strict=True):
        if rng.random() >= ENROLLED_SHARE:
            continue
        category = _category(rng, people)
        resident_id, years = _enrolled(rng, category, people)
        disability_type, disability_grade = "", None
        if category == CareCategory.DISABLED:
            disability_type = rng.choice(DisabilityType.values)
            disability_grade = rng.choice(DisabilityGrade.values)
        amount, certificate = _allowance(rng, category)
        since = today - datetime.timedelta(days=rng.randrange(years * 365 + 1))
        until = None
        if rng.random() < 0.1:  # an enrolment that has ended
            until = min(today, since + datetime.timedelta(days=rng.randrange(0, 3 * 365)))
        if until is None or until >= today:
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
                loader.now,
            )
        )
    loader.insert(CareEnrolment, ENROLMENT_COLUMNS, rows)
    return active


def _category(rng: random.Random, people: Members) -> str:
    """A care category that fits the household: by its size, its members' ages and Party members."""
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
    return rng.choice(choices)


def _enrolled(rng: random.Random, category: str, people: Members) -> tuple[int | None, int]:
    """Who is enrolled, and how many years back the enrolment may start (in the person's lifetime).

    Household-wide categories name no one; the rest name the person.
    """
    resident_id, years = None, 12
    if category in (CareCategory.ELDERLY_LIVING_ALONE, CareCategory.DISABLED):
        resident_id, age, _party = rng.choice(people)
        years = min(years, age)
    elif category == CareCategory.VERY_OLD:
        resident_id, age = next((rid, age) for rid, age, _party in people if age >= 80)
        years = min(years, age - 80)
    elif category == CareCategory.PARTY_MEMBER_IN_HARDSHIP:
        resident_id = next(rid for rid, _age, party in people if party)
    return resident_id, years


def _allowance(rng: random.Random, category: str) -> tuple[Decimal | None, str]:
    """The monthly amount and certificate number of an allowance (低保, 特困供养); none otherwise."""
    if category == CareCategory.MINIMUM_ALLOWANCE:
        return Decimal(rng.randrange(45_000, 90_000, 500)) / 100, f"LB{rng.randrange(10**8):08d}"
    if category == CareCategory.EXTREME_POVERTY_SUPPORT:
        return Decimal(rng.randrange(90_000, 130_000, 500)) / 100, f"TK{rng.randrange(10**8):08d}"
    return None, ""


def liaison_links(district: District, households: list[tuple[int, int]], members: list[Members]) -> None:
    """A few households of each grid linked to a Party member living in the same grid."""
    rng = district.rng
    party_by_grid: dict[int, list[tuple[int, int]]] = {}
    for (household_id, grid_id), people in zip(households, members, strict=True):
        party_by_grid.setdefault(grid_id, []).extend(
            (rid, household_id) for rid, _a, party in people if party
        )
    rows = []
    next_id = district.loader.next_id(LiaisonLink)
    for household_id, grid_id in households:
        candidates = party_by_grid.get(grid_id)
        if not candidates or rng.random() >= LIAISON_SHARE:
            continue
        party_member_id, home = rng.choice(candidates)
        if home != household_id:
            since = district.today - datetime.timedelta(days=rng.randrange(0, 5 * 365))
            rows.append((next_id + len(rows), party_member_id, household_id, since, None))
    district.loader.insert(LiaisonLink, ("id", "party_member_id", "household_id", "since", "until"), rows)
