"""Reads of the registry shared by pages, exports and dashboards, with their joins."""

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import (
    Case,
    Count,
    F,
    Func,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from common.pagination import COUNT_CAP
from grids.models import Building, Community, Grid, Street
from grids.selectors import within

from . import identity
from .models import CareCategory, CareEnrolment, Household, LiaisonLink, Resident, SensitiveField


class Ngrams(Func):
    """The characters and character pairs of a text; PostgreSQL function from migration 0002."""

    function = "resident_name_ngrams"
    output_field = ArrayField(TextField())


def _search_grams(fragment: str) -> list[str]:
    """The grams to look a fragment up by: its character pairs, or the character itself.

    A pair implies both its characters, and a single character's entry in the index lists every name
    holding it: asking for it too made the index scan grow with the district (1.8 ms against 0.07 ms
    for 婷秀 at 500,000 households).
    """
    pairs = sorted({fragment[i : i + 2] for i in range(len(fragment) - 1)})
    return pairs or [fragment]


def _fragment_filter(field: str, fragment: str) -> Q:
    """`field` contains `fragment`, served on PostgreSQL by the n-gram GIN index on that field."""
    contains = Q(**{f"{field}__contains": fragment})
    if connection.vendor != "postgresql":
        return contains
    grams = Value(_search_grams(fragment), output_field=ArrayField(TextField()))
    return Q(**{f"{field}_ngrams__contains": grams}) & contains


def _current_members_head_first() -> QuerySet[Resident]:
    head_first = Case(When(relation_to_head=Resident.Relation.HEAD, then=0), default=1)
    return Resident.objects.current().order_by(head_first, "id")


@dataclass(frozen=True)
class ResidentFilters:
    """What the resident search and its export filter on; empty values mean no filter."""

    q: str = ""
    grid: Grid | None = None
    category: str = ""
    include_inactive: bool = False
    street: Street | None = None
    community: Community | None = None
    # A search by a full ID number or phone (see number_query) finds only the ids that
    # residents.services.full_number_search allowed and recorded; without them it finds nobody.
    number_ids: tuple[int, ...] | None = None
    number_label: str = ""  # that number masked, for the page and the export record

    @property
    def place(self) -> bool:
        return bool(self.street or self.community or self.grid)

    @property
    def number(self) -> "NumberQuery | None":
        return number_query(self.q)

    def as_dict(self) -> dict:
        """The filters as recorded with an export: a full number masked, never in clear."""
        number = self.number
        return {
            "q": number.masked if number and number.kind != "tail" else self.q,
            **({"number": self.number_label} if self.number_ids is not None else {}),
            "street": self.street.name if self.street else "",
            "community": self.community.name if self.community else "",
            "grid": self.grid.code if self.grid else "",
            "category": self.category,
            "include_inactive": self.include_inactive,
        }


_ID_TAIL = re.compile(r"^\d{3}[\dXx]$")
_ID_NUMBER = re.compile(r"^\d{17}[\dXx]$")
_NUMBER = re.compile(r"^\+?[\d]{5,}[Xx]?$")
# A text search keeps its first matches by id; the pager says "more than 1,000" well before this.
MATCH_LIMIT = COUNT_CAP + 1


@dataclass(frozen=True)
class NumberQuery:
    """What a search text is as a number: the last four digits, a full ID number or phone, or a part.

    The last four digits are what every role searches by. A full number confirms a guess of the digits a
    mask hides, so it is a reveal-level search (residents.services.full_number_search). Any other run of
    digits (a longer tail, a number cut short) cannot be found in encrypted numbers and is refused.
    """

    kind: str  # "tail", "partial" or a SensitiveField
    value: str

    @property
    def full(self) -> bool:
        return self.kind in (SensitiveField.ID_NUMBER, SensitiveField.PHONE)

    @property
    def masked(self) -> str:
        if self.kind == SensitiveField.ID_NUMBER:
            return identity.mask_id_number(self.value)
        if self.kind == SensitiveField.PHONE:
            return identity.mask_phone(self.value)
        return self.value if self.kind == "tail" else "*" * len(self.value)


def number_query(q: str) -> NumberQuery | None:
    """The search text as a number, or None for a name or address text (six digits or fewer included)."""
    compact = q.strip().replace(" ", "").replace("-", "")
    if _ID_TAIL.match(compact):
        return NumberQuery("tail", compact.upper())
    if _ID_NUMBER.match(compact):
        return NumberQuery(SensitiveField.ID_NUMBER, compact.upper())
    if not _NUMBER.match(compact) or len(compact.lstrip("+")) < 7:
        return None
    try:
        return NumberQuery(SensitiveField.PHONE, identity.normalize_phone(compact))
    except ValidationError:
        return NumberQuery("partial", compact)


def ids_with_full_number(residents: QuerySet[Resident], number: NumberQuery) -> list[int]:
    """Ids of the residents holding the full number, by its blind index (at most MATCH_LIMIT)."""
    if number.kind == SensitiveField.ID_NUMBER:
        found = residents.filter(id_number_index=identity.id_number_index(number.value))
    else:
        found = residents.filter(phone_index=identity.phone_index(number.value))
    return sorted(found.order_by().values_list("id", flat=True)[:MATCH_LIMIT])


def _ids_matching_text(residents: QuerySet[Resident], q: str) -> list[int]:
    """Ids of the residents whose name or building address contains the text, at most MATCH_LIMIT.

    Fetched first, in a query of their own: each side uses its n-gram index and the scope is joined
    to a few hundred matches. Joined in one statement with the page's select_related tables,
    PostgreSQL instead joins every household of the scope before it looks at the matches.
    """
    by_name = _with_ngrams(residents, "name").filter(_fragment_filter("name", q))
    buildings = _with_ngrams(Building.objects.all(), "address").filter(_fragment_filter("address", q))
    by_address = residents.filter(household__dwelling__building__in=buildings)
    # UNION ALL without ORDER BY lets PostgreSQL stop at the limit instead of collecting and sorting
    # every match of a common name across the district; a resident matched twice is counted once.
    matches = (
        by_name.order_by()
        .values_list("id", flat=True)
        .union(by_address.order_by().values_list("id", flat=True), all=True)
        .order_by()
    )
    return list(dict.fromkeys(matches[:MATCH_LIMIT]))


def _with_ngrams(rows: QuerySet, field: str) -> QuerySet:
    if connection.vendor != "postgresql":
        return rows
    return rows.alias(**{f"{field}_ngrams": Ngrams(F(field))})


def _search(user, filters: ResidentFilters) -> tuple[QuerySet[Resident], list[int] | None]:
    """The residents matching every filter but a text; with a text, also the ids of those it matches."""
    residents: QuerySet[Resident] = Resident.objects.visible_to(user)
    if not filters.include_inactive:
        residents = residents.filter(status=Resident.Status.ACTIVE)
    residents = within(
        residents, "grid", street=filters.street, community=filters.community, grid=filters.grid
    )
    if filters.category:
        today = timezone.localdate()
        enrolled = CareEnrolment.objects.active_on(today).filter(category=filters.category)
        residents = residents.filter(
            Q(pk__in=enrolled.filter(resident__isnull=False).values("resident"))
            | Q(household__in=enrolled.filter(resident__isnull=True).values("household"))
        )
    if filters.number_ids is not None:
        # A search by a full number, resolved (allowed and recorded) by services.full_number_search.
        found = residents.filter(pk__in=filters.number_ids).order_by().values_list("id", flat=True)
        return residents, sorted(found)
    q = filters.q.strip()
    if not q:
        return residents, None
    # The ids already satisfy every filter above; the page and its count need only them.
    number = number_query(q)
    if number is None:
        return residents, sorted(_ids_matching_text(residents, q))
    if number.kind == "tail":
        tail = Q(id_last4=number.value) | Q(phone_last4=number.value)
        return residents, sorted(residents.filter(tail).order_by().values_list("id", flat=True)[:MATCH_LIMIT])
    # A full number is found only through services.full_number_search (above); a part not at all.
    return residents, []


def search_scope(user, filters: ResidentFilters) -> QuerySet[Resident]:
    """The residents every filter but the text allows (the set a full-number search looks in)."""
    return _search(user, replace(filters, q="", number_ids=None))[0]


def _rows(residents: QuerySet[Resident]) -> QuerySet[Resident]:
    related = ("household__dwelling__building", "household__grid__community")
    return residents.select_related(*related).order_by("id")


def search_residents(user, filters: ResidentFilters) -> QuerySet[Resident]:
    """Residents in the user's grids matching the filters, newest registrations last."""
    residents, ids = _search(user, filters)
    return _rows(residents if ids is None else Resident.objects.filter(pk__in=ids))


class MatchedResidents(Sequence):
    """A text search's matches as their ids in order; a slice (a page) loads only its own residents."""

    def __init__(self, ids: list[int]):
        self.ids = ids

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return list(_rows(Resident.objects.filter(pk__in=self.ids[index])))
        return self[index : index + 1][0]


def search_results(user, filters: ResidentFilters) -> QuerySet[Resident] | MatchedResidents:
    """What the search page pages through.

    A text search has its matches' ids already (at most MATCH_LIMIT): their number is the count and a
    page fetches twenty of them, instead of sending every id back to the database twice.
    """
    residents, ids = _search(user, filters)
    return _rows(residents) if ids is None else MatchedResidents(ids)


def households_in_grid(grid: Grid) -> QuerySet[Household]:
    """A grid's households for its page, each with its members for the head's name."""
    return (
        Household.objects.filter(grid=grid)
        .select_related("dwelling__building")
        .prefetch_related(Prefetch("members", queryset=_current_members_head_first()))
        .order_by("dwelling__building__address", "dwelling__unit", "dwelling__room", "id")
    )


def household_list(user, street=None, community=None, grid=None) -> QuerySet[Household]:
    """Households in the user's grids (or in one street, community or grid), with dwelling and members."""
    households = within(
        Household.objects.visible_to(user), "grid", street=street, community=community, grid=grid
    )
    return (
        households.select_related("dwelling__building", "grid")
        .prefetch_related(Prefetch("members", queryset=_current_members_head_first()))
        .order_by("id")
    )


def household_for_user(user, pk: int) -> Household:
    """One household in the user's scope (Household.DoesNotExist outside it), ready for its file."""
    return (
        Household.objects.visible_to(user)
        .select_related("dwelling__building", "grid__community__street")
        .get(pk=pk)
    )


@dataclass
class HouseholdFile:
    """Everything the household's one-page file (一户一档) shows."""

    household: Household
    members: list[Resident]
    enrolments: list[CareEnrolment]
    liaison: LiaisonLink | None
    liaison_history: list[LiaisonLink]


def household_file(household: Household) -> HouseholdFile:
    head_first = Case(When(relation_to_head=Resident.Relation.HEAD, then=0), default=1)
    members = list(household.members.order_by("status", head_first, "id"))
    enrolments = list(household.enrolments.select_related("resident").order_by("until", "-since", "id"))
    links = list(
        household.liaison_links.select_related("party_member__household__dwelling__building").order_by(
            "-since", "-id"
        )
    )
    current = next((link for link in links if link.until is None), None)
    return HouseholdFile(
        household=household,
        members=members,
        enrolments=enrolments,
        liaison=current,
        liaison_history=[link for link in links if link is not current],
    )


def care_counts_by_category(households: QuerySet[Household]) -> list[tuple[str, str, int]]:
    """(category, label, number of households) with an active enrolment, for the given households."""
    today = timezone.localdate()
    rows = (
        CareEnrolment.objects.active_on(today)
        .filter(household__in=households.values("pk"))
        .values("category")
        .annotate(households=Count("household", distinct=True))
    )
    by_category = {row["category"]: row["households"] for row in rows}
    return [(c.value, str(c.label), by_category.get(c.value, 0)) for c in CareCategory]


def grids_with_household_counts(grids: QuerySet[Grid]) -> QuerySet[Grid]:
    """Annotate each grid with its active household count; used on one page of grids at a time."""
    counts = (
        Household.objects.filter(grid=OuterRef("pk"), status=Household.Status.ACTIVE)
        .order_by()
        .values("grid")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return grids.annotate(household_count=Coalesce(Subquery(counts), 0))


def buildings_with_household_counts(grid: Grid) -> list[Building]:
    """The grid's buildings, each with how many active households it holds."""
    return list(
        grid.buildings.annotate(
            household_count=Count(
                "dwellings__households",
                filter=Q(dwellings__households__status=Household.Status.ACTIVE),
            )
        ).order_by("address")
    )
