"""Property-based tests (hypothesis): the validators, the ledger import and the case workflow hold their
rules for inputs nobody thought to write down.

Examples are bounded (`settings(max_examples=...)`) so `make test` stays quick; `derandomize=True` makes a
run repeatable, so a failure here fails the same way on every machine until it is fixed.
"""

import datetime
import io
import string

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from stdnum.cn import ric

from cases import permissions as case_permissions
from cases import services as case_services
from cases.models import Action, Case, CaseEvent, Outcome, Satisfaction, Status, UnresolvedReason
from cases.workflow import WORKFLOW
from grids.models import Community, Role
from residents import identity
from residents.ledger import importer
from residents.models import Household, Resident
from tests.factories import BuildingFactory, UserFactory, assign, case_in, register_case

BOUNDED = settings(
    max_examples=60,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# --- ID numbers ---------------------------------------------------------------------------------------

REGIONS = ["620102", "620103", "110101", "440305", "510104"]
births = st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2025, 12, 31))


def _id(region: str, birth: datetime.date, sequence: int) -> str:
    body = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")


@BOUNDED
@given(st.sampled_from(REGIONS), births, st.integers(0, 999))
def test_a_valid_id_number_is_accepted_with_its_birth_date_and_sex(region, birth, sequence):
    number = _id(region, birth, sequence)
    assert identity.normalize_id_number(number) == number
    assert identity.normalize_id_number(number.lower()) == number
    assert identity.id_birth_date(number) == birth
    assert identity.id_sex(number) == (identity.MALE if sequence % 2 else identity.FEMALE)
    masked = identity.mask_id_number(number)
    assert masked[:6] == region and masked[-4:] == number[-4:]
    assert f"{birth:%Y%m%d}" not in masked


@BOUNDED
@given(st.sampled_from(REGIONS), births, st.integers(0, 999), st.integers(0, 17), st.integers(1, 9))
def test_one_mistyped_digit_is_always_caught(region, birth, sequence, position, shift):
    number = _id(region, birth, sequence)
    if number[position] == "X":
        return
    typo = number[:position] + str((int(number[position]) + shift) % 10) + number[position + 1 :]
    with pytest.raises(ValidationError):
        identity.normalize_id_number(typo)


@BOUNDED
@given(st.text(max_size=40))
def test_any_text_as_an_id_number_is_accepted_or_refused_with_a_message(text):
    try:
        number = identity.normalize_id_number(text)
    except ValidationError as error:
        assert error.messages and all(error.messages)
    else:
        assert len(number) == 18 and identity.normalize_id_number(number) == number


# --- phones -------------------------------------------------------------------------------------------


@BOUNDED
@given(st.text(alphabet=string.digits + " -+()", max_size=20) | st.text(max_size=20))
def test_any_text_as_a_phone_is_refused_or_normalized_to_digits_that_stay_the_same(text):
    try:
        phone = identity.normalize_phone(text)
    except ValidationError as error:
        assert error.messages and all(error.messages)
        return
    assert phone.isdigit()
    assert identity.normalize_phone(phone) == phone
    masked = identity.mask_phone(phone)
    assert len(masked) == len(phone) and masked[-4:] == phone[-4:]
    assert sum(ch.isdigit() for ch in masked) <= 7


@BOUNDED
@given(st.sampled_from(["13", "15", "17", "18", "19"]), st.integers(0, 999_999_999))
def test_every_mobile_number_is_kept_as_its_eleven_digits(prefix, rest):
    number = f"{prefix}{rest:09d}"
    try:
        phone = identity.normalize_phone(number)
    except ValidationError:
        return  # a number range not (yet) allocated: refused with a message, like any invalid number
    assert phone == number
    assert identity.normalize_phone(f"+86 {number[:3]} {number[3:7]} {number[7:]}") == number


# --- dates: a resident's birth date must agree with the ID number --------------------------------------


@pytest.mark.django_db
@BOUNDED
@given(births, births, st.integers(0, 999))
def test_a_birth_date_other_than_the_id_numbers_is_refused(birth, typed, sequence):
    number = _id("620102", birth, sequence)
    resident = Resident(
        name="测试", id_number=number, birth_date=typed, sex=identity.id_sex(number), relation_to_head="head"
    )
    errors = {}
    try:
        resident.clean()
    except ValidationError as error:
        errors = error.message_dict
    assert ("birth_date" in errors) == (typed != birth)


# --- the ledger import: random and malformed rows -------------------------------------------------------

HEADER = list(importer.COLUMNS)
# Text a workbook can hold (a worksheet cannot store control characters at all).
cell = st.one_of(
    st.none(),
    st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=30),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.dates(),
    st.booleans(),
)


def _workbook(rows) -> io.BytesIO:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for values in rows:
        sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    buffer.name = "台账.xlsx"
    return buffer


def _good_row(grid, address, index: int, birth: datetime.date, sequence: int) -> dict:
    number = _id("620102", birth, sequence)
    return {
        "网格编号": grid.code,
        "楼栋地址": address,
        "单元": "1",
        "门牌/室号": str(101 + index),
        "户序号": "1",
        "姓名": "张建国",
        "身份证号": number,
        "性别": "男" if sequence % 2 else "女",
        "出生日期": birth.isoformat(),
        "联系电话": "",
        "与户主关系": "户主",
        "政治面貌": "",
        "居住类型": "",
    }


@pytest.mark.django_db
@BOUNDED
@given(
    st.lists(
        st.tuples(births, st.integers(0, 999), st.dictionaries(st.sampled_from(HEADER), cell, max_size=3)),
        min_size=1,
        max_size=6,
    )
)
def test_a_ledger_with_random_rows_imports_all_of_them_or_none(grid, rows):
    """Any workbook: either every row is written, or nothing is and every refusal names a row and column."""
    building = BuildingFactory(grid=grid)
    communities = Community.objects.filter(pk=grid.community_id)
    values = []
    for index, (birth, sequence, damage) in enumerate(rows):
        row = _good_row(grid, building.address, index, birth, sequence)
        row.update(damage)
        values.append([row.get(column) for column in HEADER])
    before = (Household.objects.count(), Resident.objects.count())
    try:
        result = importer.ledger_import(file=_workbook(values), communities=communities)
    except importer.LedgerRejected as rejected:
        assert rejected.errors
        assert all(error.row >= 2 and error.message for error in rejected.errors)
        assert (Household.objects.count(), Resident.objects.count()) == before
    except importer.LedgerFileError as refused:
        assert str(refused)
        assert (Household.objects.count(), Resident.objects.count()) == before
    else:
        assert result.residents == len(rows)
        assert Resident.objects.count() == before[1] + len(rows)


# --- the case workflow: random actions by random people ---------------------------------------------------

ACTIONS = [action for action in Action if action not in (Action.REGISTER, Action.MERGED_FROM)]
PEOPLE = [
    "worker",
    "peer",
    "part_time",
    "instructor",
    "building_head",
    "staff",
    "leader",
    "street",
    "outsider",
]

choices = st.fixed_dictionaries(
    {
        "note": st.sampled_from(["", "处理说明"]),
        "resolved": st.sampled_from([None, True, False]),
        "satisfaction": st.sampled_from(["", "bogus", *Satisfaction.values]),
        "reason": st.sampled_from(["", "bogus", *UnresolvedReason.values]),
        "target": st.sampled_from([None, "other", "self"]),
        "worker": st.sampled_from([None, "worker", "outsider"]),
    }
)


@pytest.fixture
def people(grid, other_grid, db):
    def user(name, role, place):
        person = UserFactory(username=f"prop-{name}")
        assign(person, role, place)
        return person

    return {
        "worker": user("worker", Role.GRID_WORKER, grid),
        "peer": user("peer", Role.GRID_WORKER, grid),
        "part_time": user("part_time", Role.PART_TIME_GRID_WORKER, grid),
        "instructor": user("instructor", Role.GRID_INSTRUCTOR, grid),
        "building_head": user("building_head", Role.BUILDING_HEAD, grid),
        "staff": user("staff", Role.COMMUNITY_STAFF, grid.community),
        "leader": user("leader", Role.COMMUNITY_LEADER, grid.community),
        "street": user("street", Role.STREET_LEADER, grid.community.street),
        "outsider": user("outsider", Role.COMMUNITY_STAFF, other_grid.community),
    }


def _stored(case: Case) -> dict:
    return Case.objects.filter(pk=case.pk).values().get()


def _check_invariants(case: Case) -> None:
    case = Case.objects.get(pk=case.pk)
    last = CaseEvent.objects.filter(case=case).exclude(action=Action.MERGED_FROM).order_by("id").last()
    assert last is not None and last.to_status == case.status, "the state is its timeline's last move"
    assert (case.status == Status.CLOSED) == bool(case.outcome), "closed exactly when there is an outcome"
    assert (case.status == Status.CLOSED) == (case.closed_at is not None)
    if case.outcome == Outcome.UNRESOLVED:
        assert case.unresolved_reason
    if case.outcome == Outcome.MERGED:
        assert case.merged_into_id and case.merged_into_id != case.pk
    if case.status in (Status.DISPATCHED, Status.SUBMITTED):
        assert case.handler_id is None
    if case.paused_at is not None:
        assert case.status in (Status.IN_PROGRESS, Status.IN_CONSULTATION)
    case.full_clean(validate_unique=False)  # every field and check constraint of the row


@pytest.mark.django_db
@settings(BOUNDED, max_examples=30)
@given(st.sampled_from(["submitted", "dispatched", "in_progress", "in_consultation", "resolved"]), st.data())
def test_random_actions_by_random_people_never_break_the_workflow(grid, people, start, data):
    """Up to ten presses, each by anyone: mostly an action the page would offer that person (so cases travel
    far), sometimes any action at all (so refusals are tried too), with random answers and notes."""
    case = case_in(start, grid, staff=people["staff"], worker=people["worker"])
    other = register_case(grid, people["staff"], category="乱停放")
    now = timezone.now()
    for number in range(data.draw(st.integers(1, 10))):
        who = data.draw(st.sampled_from(PEOPLE))
        actor = people[who]
        offered = case_permissions.allowed_actions(actor, Case.objects.get(pk=case.pk))
        if offered and data.draw(st.booleans()):
            action = data.draw(st.sampled_from(offered))
        else:
            action = data.draw(st.sampled_from(ACTIONS))
        choice = data.draw(choices)
        before, events_before = _stored(case), CaseEvent.objects.filter(case=case).count()
        allowed = case_permissions.may(actor, Case.objects.get(pk=case.pk), action)
        params = {
            "resolved": choice["resolved"],
            "satisfaction": choice["satisfaction"],
            "reason": choice["reason"],
            "target": {"other": other, "self": case, None: None}[choice["target"]],
            "worker": people[choice["worker"]] if choice["worker"] else None,
        }
        try:
            case = case_services.case_transition(
                case=case,
                action=action,
                actor=actor,
                note=choice["note"],
                now=now + datetime.timedelta(minutes=number + 1),
                **params,
            )
        except (PermissionDenied, ValidationError, case_services.CaseConflict):
            assert _stored(case) == before, f"a refused {action} changed the case"
            assert CaseEvent.objects.filter(case=case).count() == events_before
        else:
            assert allowed, f"{who} could {action} a case in {before['status']}"
            event(f"done: {action}")
            move = WORKFLOW[(before["status"], action)]
            assert case.status == (move.to or before["status"])
            assert CaseEvent.objects.filter(case=case).latest("id").action == action
        _check_invariants(case)
