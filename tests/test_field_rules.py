"""Field-level rules: what each kind of user gets of a resident's ID number, birth date and phone and of a
household's care details, on every page, htmx fragment and export that shows them.

The access matrix (tests/test_access_matrix.py) says who reaches which URL; this table says what they
see there. The users (the columns of FIELD_RULES, in this order), all serving grid A:
    worker         专职网格员 of grid A               reveals; sees care details
    part_time      兼职网格员 of grid A               edits the registry, never reveals; sees care details
    building_head  楼栋长 in grid A                   neither
    instructor     网格指导员 of grid A               neither
    staff          社区工作人员 of A's community       reveals; sees care details
    leader         社区党委书记 of A's community       reveals; sees care details
    street         街道领导 of A's street              neither
    admin          a superuser                        everything
The resident is 苏秀兰 (620102194403051243, born 1944-03-05, 13893215678), in a household on the minimum
allowance (650.00 a month, certificate DB-2024-0117) where she is enrolled as disabled (physical, grade
two, with a note).

What a cell says:
    full / masked   the whole ID number or phone / its mask (620102********1243, 138****5678)
    date / age      the birth date / the age in years in its place ("82岁")
    details         the care details (disability type and grade, allowance amount and certificate, note)
    groups          the care groups (categories) alone: 残疾人, 低保户
    yes / no        the reveal button is offered
    -               nothing of it on that surface
    403             the surface refuses the user
A masked ID number is never beside a birth date: the birth date is the eight digits the mask hides.
"""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from grids.models import Role
from residents.models import (
    CareCategory,
    DisabilityType,
    Resident,
    RevealReason,
    RevealRecord,
    SensitiveField,
)
from tests.factories import (
    CareEnrolmentFactory,
    CommunityFactory,
    GridFactory,
    HouseholdFactory,
    ResidentFactory,
    StreetFactory,
    UserFactory,
    assign,
)

pytestmark = pytest.mark.django_db

USERS = ("worker", "part_time", "building_head", "instructor", "staff", "leader", "street", "admin")

ID_NUMBER = "620102194403051243"
ID_MASK = "620102********1243"
PHONE = "13893215678"
PHONE_MASK = "138****5678"
BIRTH = datetime.date(1944, 3, 5)
BIRTH_TEXTS = ("1944-03-05", "1944-3-5", "1944年3月5日", "1944年03月05日", "1944/03/05", "1944/3/5")
CARE_DETAILS = ("肢体残疾", "二级", "月保障金额", "650.00", "DB-2024-0117", "右腿截肢")
CARE_CATEGORIES = ("残疾人", "低保户")

# fmt: off
FIELD_RULES = [
    # surface            field         worker  part_t  b_head  instr   staff   leader  street  admin
    # 一户一档: every ID number and phone masked, the age for the birth date; the details by role.
    ("household_file",   "id_number",  "masked  masked  masked  masked  masked  masked  masked  masked"),
    ("household_file",   "birth_date", "age     age     age     age     age     age     age     age"),
    ("household_file",   "phone",      "masked  masked  masked  masked  masked  masked  masked  masked"),
    ("household_file",   "reveal",     "yes     no      no      no      yes     yes     no      yes"),
    ("household_file",   "care",       "details details groups  groups  details details groups  details"),
    # The household file's reveal fragment (htmx): the full number, recorded, for reveal roles only.
    ("reveal_fragment",  "id_number",  "full    403     403     403     full    full    403     full"),
    # Resident search: the page's results and the htmx fragment that swaps them.
    ("search",           "id_number",  "masked  masked  masked  masked  masked  masked  masked  masked"),
    ("search",           "birth_date", "age     age     age     age     age     age     age     age"),
    ("search",           "phone",      "masked  masked  masked  masked  masked  masked  masked  masked"),
    ("search",           "care",       "-       -       -       -       -       -       -       -"),
    ("search_fragment",  "id_number",  "masked  masked  masked  masked  masked  masked  masked  masked"),
    ("search_fragment",  "birth_date", "age     age     age     age     age     age     age     age"),
    ("search_fragment",  "phone",      "masked  masked  masked  masked  masked  masked  masked  masked"),
    ("search_fragment",  "care",       "-       -       -       -       -       -       -       -"),
    # The dashboard's coverage drill-down: households by name, with their care categories only.
    ("drill_down",       "id_number",  "-       -       -       -       -       -       -       -"),
    ("drill_down",       "birth_date", "-       -       -       -       -       -       -       -"),
    ("drill_down",       "phone",      "-       -       -       -       -       -       -       -"),
    ("drill_down",       "care",       "groups  groups  groups  groups  groups  groups  groups  groups"),
    # The ledger export asked for in full (?full=1): in full for reveal roles, masked with the age otherwise.
    ("ledger_export",    "id_number",  "full    masked  masked  masked  full    full    masked  full"),
    ("ledger_export",    "birth_date", "date    age     age     age     date    date    age     date"),
    ("ledger_export",    "phone",      "full    masked  masked  masked  full    full    masked  full"),
    ("ledger_export",    "care",       "-       -       -       -       -       -       -       -"),
    # The resident edit form: the full values (a recorded reveal) or the masks without the birth date.
    ("edit_form",        "id_number",  "full    masked  403     403     full    full    403     full"),
    ("edit_form",        "birth_date", "date    -       403     403     date    date    403     date"),
    ("edit_form",        "phone",      "full    masked  403     403     full    full    403     full"),
]
# fmt: on


def _expected(surface: str, user: str) -> dict[str, str]:
    index = USERS.index(user)
    return {field: cells.split()[index] for s, field, cells in FIELD_RULES if s == surface}


def _age(today: datetime.date) -> int:
    return today.year - BIRTH.year - ((today.month, today.day) < (BIRTH.month, BIRTH.day))


@pytest.fixture
def world():
    street = StreetFactory()
    community = CommunityFactory(street=street)
    grid = GridFactory(community=community)
    household = HouseholdFactory(dwelling__building__grid=grid)
    resident = ResidentFactory(
        household=household,
        name="苏秀兰",
        id_number=ID_NUMBER,
        birth_date=BIRTH,
        sex="female",
        phone=PHONE,
    )
    since = timezone.localdate() - datetime.timedelta(days=60)
    CareEnrolmentFactory(
        household=household,
        resident=resident,
        category=CareCategory.DISABLED,
        disability_type=DisabilityType.PHYSICAL,
        disability_grade=2,
        note="右腿截肢，出行需轮椅",
        since=since,
    )
    CareEnrolmentFactory(
        household=household,
        category=CareCategory.MINIMUM_ALLOWANCE,
        allowance_monthly_amount=Decimal("650.00"),
        allowance_certificate="DB-2024-0117",
        since=since,
    )
    users = {
        "worker": (Role.GRID_WORKER, grid),
        "part_time": (Role.PART_TIME_GRID_WORKER, grid),
        "building_head": (Role.BUILDING_HEAD, grid),
        "instructor": (Role.GRID_INSTRUCTOR, grid),
        "staff": (Role.COMMUNITY_STAFF, community),
        "leader": (Role.COMMUNITY_LEADER, community),
        "street": (Role.STREET_LEADER, street),
    }
    people = {}
    for name, (role, place) in users.items():
        people[name] = UserFactory(username=f"rules-{name}")
        assign(people[name], role, place)
    people["admin"] = UserFactory(username="rules-admin", is_superuser=True, is_staff=True)
    return {"grid": grid, "household": household, "resident": resident, "users": people}


# --- what a response shows ---------------------------------------------------------------------------


def _number(text: str, full: str, mask: str) -> str:
    if full in text:
        return "full"
    return "masked" if mask in text else "-"


def _birth(text: str) -> str:
    if any(birth in text for birth in BIRTH_TEXTS):
        return "date"
    return "age" if f"{_age(timezone.localdate())}岁" in text else "-"


def _care(text: str) -> str:
    if any(detail in text for detail in CARE_DETAILS):
        return "details"
    return "groups" if all(category in text for category in CARE_CATEGORIES) else "-"


def _html_fields(text: str, fields) -> dict[str, str]:
    readers = {
        "id_number": lambda: _number(text, ID_NUMBER, ID_MASK),
        "phone": lambda: _number(text, PHONE, PHONE_MASK),
        "birth_date": lambda: _birth(text),
        "care": lambda: _care(text),
        "reveal": lambda: "yes" if "reveal-form" in text else "no",
    }
    return {field: readers[field]() for field in fields}


def _ledger_fields(content: bytes) -> dict[str, str]:
    rows = list(openpyxl.load_workbook(io.BytesIO(content))["居民台账"].iter_rows(values_only=True))
    header, *body = rows
    [row] = [r for r in body if r[header.index("姓名")] == "苏秀兰"]
    cells = dict(zip(header, row, strict=True))
    if "出生日期" in cells:
        assert "年龄" not in cells
        birth = "date" if cells["出生日期"] == datetime.datetime(1944, 3, 5) else "?"
    else:
        birth = "age" if cells["年龄"] == _age(timezone.localdate()) else "?"
    every_cell = " ".join(str(value) for r in rows for value in r if value is not None)
    return {
        "id_number": _number(str(cells["身份证号"]), ID_NUMBER, ID_MASK),
        "birth_date": birth,
        "phone": _number(str(cells["联系电话"]), PHONE, PHONE_MASK),
        "care": "details" if any(d in every_cell for d in CARE_DETAILS) else "-",
    }


def _results(html: str) -> str:
    """The search page's results, without its filter form (whose category menu names every category)."""
    return html[html.index('id="results"') :]


def _shown(client, world, surface: str, fields) -> dict[str, str]:
    household, resident = world["household"], world["resident"]
    if surface == "household_file":
        response = client.get(reverse("household_file", args=[household.pk]))
        assert response.status_code == 200
        return _html_fields(response.content.decode(), fields)
    if surface == "reveal_fragment":
        response = client.post(
            reverse("residents:resident_reveal", args=[resident.pk]),
            {"field": "id_number", "reason": "contact"},
            headers={"HX-Request": "true"},
        )
        if response.status_code == 403:
            return dict.fromkeys(fields, "403")
        assert response.status_code == 200
        return _html_fields(response.content.decode(), fields)
    if surface in ("search", "search_fragment"):
        headers = {"HX-Request": "true"} if surface == "search_fragment" else {}
        response = client.get(reverse("residents:search"), {"q": "苏秀兰"}, headers=headers)
        assert response.status_code == 200
        html = response.content.decode()
        if surface == "search_fragment":
            assert "<form" not in html  # only the results were sent
        return _html_fields(_results(html), fields)
    if surface == "drill_down":
        response = client.get(reverse("dashboard:households"), {"part": "all"})
        assert response.status_code == 200
        html = response.content.decode()
        assert "苏秀兰" in html  # the household is listed
        return _html_fields(html, fields)
    if surface == "ledger_export":
        response = client.get(reverse("residents:ledger_export"), {"full": "1"})
        assert response.status_code == 200
        return _ledger_fields(response.content)
    if surface == "edit_form":
        response = client.get(reverse("residents:resident_edit", args=[resident.pk]))
        if response.status_code == 403:
            return dict.fromkeys(fields, "403")
        assert response.status_code == 200
        return _html_fields(response.content.decode(), fields)
    raise AssertionError(surface)


SURFACES = tuple(dict.fromkeys(surface for surface, _field, _cells in FIELD_RULES))


@pytest.mark.parametrize("user", USERS)
@pytest.mark.parametrize("surface", SURFACES)
def test_field_rules(client, world, surface, user):
    client.force_login(world["users"][user])
    expected = _expected(surface, user)
    assert _shown(client, world, surface, expected) == expected


def test_every_user_and_surface_has_a_cell():
    for _surface, _field, cells in FIELD_RULES:
        assert len(cells.split()) == len(USERS), cells


# --- the edit form changes only what was typed (finding 2) -------------------------------------------


def _edit_data(resident: Resident, **changes) -> dict:
    data = {
        "name": resident.name,
        "id_number": ID_MASK,
        "sex": resident.sex,
        "phone": PHONE_MASK,
        "relation_to_head": resident.relation_to_head,
        "political_status": resident.political_status,
        "residence_type": resident.residence_type,
    }
    return data | changes


def test_part_time_worker_corrects_a_name_without_seeing_the_numbers(client, world):
    resident = world["resident"]
    client.force_login(world["users"]["part_time"])
    page = client.get(reverse("residents:resident_edit", args=[resident.pk])).content.decode()
    assert (f'value="{ID_MASK}"' in page, f'value="{PHONE_MASK}"' in page) == (True, True)
    assert 'name="birth_date"' not in page
    response = client.post(
        reverse("residents:resident_edit", args=[resident.pk]),
        _edit_data(resident, name="苏秀英"),
    )
    assert response.status_code == 302
    resident.refresh_from_db()
    assert (resident.name, resident.id_number, resident.phone, resident.birth_date) == (
        "苏秀英",
        ID_NUMBER,
        PHONE,
        BIRTH,
    )
    assert RevealRecord.objects.count() == 0


def test_a_typed_id_number_changes_the_birth_date_with_it(client, world):
    resident = world["resident"]
    client.force_login(world["users"]["part_time"])
    corrected = "620102194403061249"  # born a day later, a woman, valid check digit
    response = client.post(
        reverse("residents:resident_edit", args=[resident.pk]),
        _edit_data(resident, id_number=corrected, phone="13912345678"),
    )
    assert response.status_code == 302
    resident.refresh_from_db()
    assert (resident.id_number, resident.birth_date, resident.phone) == (
        corrected,
        datetime.date(1944, 3, 6),
        "13912345678",
    )


@pytest.mark.parametrize(
    ("field", "typed"),
    [("id_number", "620102****0305**43"), ("id_number", "620102********1244"), ("phone", "138****5679")],
)
def test_a_changed_mask_is_refused_not_stored(client, world, field, typed):
    resident = world["resident"]
    client.force_login(world["users"]["part_time"])
    response = client.post(
        reverse("residents:resident_edit", args=[resident.pk]), _edit_data(resident, **{field: typed})
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == [field]
    html = response.content.decode()
    assert (ID_NUMBER in html, PHONE in html) == (False, False)
    resident.refresh_from_db()
    assert (resident.id_number, resident.phone) == (ID_NUMBER, PHONE)


def test_showing_the_full_values_to_edit_is_a_recorded_reveal(client, world):
    resident, worker = world["resident"], world["users"]["worker"]
    client.force_login(worker)
    page = client.get(reverse("residents:resident_edit", args=[resident.pk])).content.decode()
    assert (f'value="{ID_NUMBER}"' in page, f'value="{PHONE}"' in page) == (True, True)
    records = RevealRecord.objects.order_by("field")
    assert [(r.user, r.resident, r.field, r.reason) for r in records] == [
        (worker, resident, SensitiveField.ID_NUMBER, RevealReason.EDIT),
        (worker, resident, SensitiveField.PHONE, RevealReason.EDIT),
    ]


def test_a_reveal_role_leaving_a_mask_keeps_the_stored_value(client, world):
    resident = world["resident"]
    client.force_login(world["users"]["staff"])
    data = _edit_data(resident, name="苏秀英", birth_date=BIRTH.isoformat())
    response = client.post(reverse("residents:resident_edit", args=[resident.pk]), data)
    assert response.status_code == 302
    resident.refresh_from_db()
    assert (resident.name, resident.id_number, resident.phone) == ("苏秀英", ID_NUMBER, PHONE)


def test_editing_is_not_a_reason_to_choose_when_revealing(client, world):
    client.force_login(world["users"]["worker"])
    page = client.get(reverse("household_file", args=[world["household"].pk])).content.decode()
    assert 'value="contact"' in page
    assert 'value="edit"' not in page
    response = client.post(
        reverse("residents:resident_reveal", args=[world["resident"].pk]),
        {"field": "id_number", "reason": "edit"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 400
    assert RevealRecord.objects.count() == 0
