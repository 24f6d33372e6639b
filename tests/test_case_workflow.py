"""The case workflow: who may take which action in which state (the whole table, role by role), the
clocks, follow-up, reopen and merge, and bad input that changes nothing."""

import datetime
import io
import random
import struct
import zlib
import zoneinfo

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from PIL import Image

from cases import clock, permissions, services, workflow
from cases.models import Case, CaseAttachment, CaseEvent, Category, Meeting, Status
from grids.models import Role
from tests.factories import UserFactory, assign, case_in, register_case

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
HOUR = datetime.timedelta(hours=1)
MINUTE = datetime.timedelta(minutes=1)


def at(month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime.datetime:
    """A moment of spring 2026 on the portal's clock (Asia/Shanghai)."""
    return datetime.datetime(2026, month, day, hour, minute, second, tzinfo=SHANGHAI)


def _user(username: str, role: Role, place):
    user = UserFactory(username=username)
    assign(user, role, place)
    return user


@pytest.fixture
def cast(grid, other_grid, worker, staff, street_leader, building_head):
    """Everyone who might press a button on a case of `grid`. The handler is `worker`: the one who takes
    the case on its way to in_progress (tests.factories.case_in)."""
    return {
        "handler": worker,
        "peer": _user("peer", Role.GRID_WORKER, grid),
        "part_time": _user("pt", Role.PART_TIME_GRID_WORKER, grid),
        "grid_leader": _user("gl", Role.GRID_LEADER, grid),
        "instructor": _user("gi", Role.GRID_INSTRUCTOR, grid),
        "staff": staff,
        "community_leader": _user("cl", Role.COMMUNITY_LEADER, grid.community),
        "street_leader": street_leader,
        "building_head": building_head,
        "outsider": _user("os", Role.COMMUNITY_STAFF, other_grid.community),
        "anonymous": AnonymousUser(),
        # The residents' channel account: what a requester does through the case's tracking link.
        "requester": services.outside_actor(workflow.REQUESTER_ACTOR, "诉求人"),
    }


def _step(case: Case, action: str, actor, *, note: str = "处理说明", **params) -> Case:
    return services.case_transition(case=case, action=action, actor=actor, note=note, **params)


def _row(case: Case) -> dict:
    """The case as stored, every column."""
    return Case.objects.filter(pk=case.pk).values().get()


def _timeline(case: Case) -> list[tuple]:
    # By id: the tests date their moves in March 2026, the registration is stamped with the real time.
    return list(
        CaseEvent.objects.filter(case=case)
        .order_by("id")
        .values_list("action", "from_status", "to_status", "note")
    )


def _last_event(case: Case) -> CaseEvent:
    return case.events.order_by("-id").first()


# How each situation of the matrix is reached: a state, then what happened in it.
FOLLOW_UPS = {
    "satisfied": (True, "satisfied"),
    "basically": (True, "basically"),
    "unsatisfied": (True, "unsatisfied"),
    "unresolved": (False, "basically"),
}


def _case_at(situation: str, grid, cast: dict) -> Case:
    staff, handler = cast["staff"], cast["handler"]
    if situation == "dispatched_to_handler":
        return _step(register_case(grid, staff), "accept", staff, worker=handler)
    if situation == "dispatched_to_peer":
        return _step(register_case(grid, staff), "accept", staff, worker=cast["peer"])
    if situation.startswith("dispatched+returned"):
        case = _step(case_in("in_progress", grid, staff=staff, worker=handler), "return", handler)
        if situation.endswith("+redispatched"):
            case = _step(case, "dispatch", staff)
        return case
    if situation == "closed+resolved":
        case = case_in("resolved", grid, staff=staff, worker=handler)
        case = _step(case, "follow_up", staff, resolved=True, satisfaction="satisfied")
        return _step(case, "close", staff)
    state, _, then = situation.partition("+")
    case = case_in(state, grid, staff=staff, worker=handler)
    if then == "paused":
        case = _step(case, "pause", handler, note="等待诉求人补充材料")
    elif then:
        resolved, satisfaction = FOLLOW_UPS[then]
        case = _step(case, "follow_up", staff, resolved=resolved, satisfaction=satisfaction)
    return case


# --- The table, role by role ---------------------------------------------------------------------
#
# Written from DOMAIN.md ("Requests and the case workflow"), not from cases/workflow.py:
#   submitted        the desk (community staff and leader) accepts, rejects or merges
#   dispatched       any worker of the grid takes it (or only the worker it was sent to); the desk
#                    redispatches, merges or archives it
#   in_progress      the handler returns, escalates, consults, pauses/resumes, resolves; the desk may step
#                    in for an absent handler (all but returning) and archive it
#   escalated        the street hands it back, resolves it or archives it
#   in_consultation  meetings, escalation, pause/resume, resolution, as in progress
#   resolved         the desk follows up; reopens after an unresolved or unsatisfied answer; archives after
#                    any answer
#   closed           final
# The requester (through the tracking link) withdraws a request not yet accepted, sends what was asked
# for while the clock waits on them (补充材料), and answers the follow-up once per resolution.
# Leaders (community and street) urge any open case. 网格指导员, 楼栋长, another community's desk and
# anonymous visitors may do nothing. "!action": the role may press it, but the state of the clock or of
# the follow-up refuses it (a ValidationError, not a 403).
ALL_ACTIONS = [
    "accept",
    "reject",
    "merge",
    "dispatch",
    "take",
    "return",
    "escalate",
    "hand_back",
    "open_consultation",
    "record_meeting",
    "pause",
    "resume",
    "resolve",
    "follow_up",
    "reopen",
    "close",
    "urge",
]
# The requester's own actions, taken on the tracking page (not offered on the case page).
REQUESTER_ACTIONS = ["withdraw", "supplement"]
PRESSED = ALL_ACTIONS + REQUESTER_ACTIONS
ROLES = [
    "handler",
    "peer",
    "part_time",
    "grid_leader",
    "instructor",
    "staff",
    "community_leader",
    "street_leader",
    "building_head",
    "outsider",
    "anonymous",
    "requester",
]
_ANY_WORKER = {"handler": "take", "peer": "take", "part_time": "take", "grid_leader": "take"}
_DISPATCHED_DESK = {
    "staff": "dispatch merge close",
    "community_leader": "dispatch merge close urge",
    "street_leader": "urge",
}
EXPECTED: dict[str, dict[str, str]] = {
    "submitted": {
        "staff": "accept reject merge",
        "community_leader": "accept reject merge urge",
        "street_leader": "urge",
        "requester": "withdraw",
    },
    "dispatched": {**_ANY_WORKER, **_DISPATCHED_DESK},
    # The worker who returned it does not take it back until the desk sends it again (改派).
    "dispatched+returned": {**_ANY_WORKER, "handler": "!take", **_DISPATCHED_DESK},
    "dispatched+returned+redispatched": {**_ANY_WORKER, **_DISPATCHED_DESK},
    "dispatched_to_handler": {"handler": "take", **_DISPATCHED_DESK},
    "dispatched_to_peer": {"peer": "take", **_DISPATCHED_DESK},
    "in_progress": {
        "handler": "return escalate open_consultation pause !resume resolve",
        "staff": "escalate open_consultation pause !resume resolve close",
        "community_leader": "escalate open_consultation pause !resume resolve close urge",
        "street_leader": "urge",
        "requester": "!supplement",
    },
    "in_progress+paused": {
        "handler": "return escalate open_consultation !pause resume resolve",
        "staff": "escalate open_consultation !pause resume resolve close",
        "community_leader": "escalate open_consultation !pause resume resolve close urge",
        "street_leader": "urge",
        "requester": "supplement",
    },
    "escalated": {
        "community_leader": "urge",
        "street_leader": "hand_back resolve close urge",
    },
    "in_consultation": {
        "handler": "escalate record_meeting pause !resume resolve",
        "staff": "escalate record_meeting pause !resume resolve close",
        "community_leader": "escalate record_meeting pause !resume resolve close urge",
        "street_leader": "urge",
        "requester": "!supplement",
    },
    "in_consultation+paused": {
        "handler": "escalate record_meeting !pause resume resolve",
        "staff": "escalate record_meeting !pause resume resolve close",
        "community_leader": "escalate record_meeting !pause resume resolve close urge",
        "street_leader": "urge",
        "requester": "supplement",
    },
    "resolved": {
        "staff": "follow_up !reopen !close",
        "community_leader": "follow_up !reopen !close urge",
        "street_leader": "urge",
        "requester": "follow_up",
    },
    "resolved+satisfied": {
        "staff": "follow_up !reopen close",
        "community_leader": "follow_up !reopen close urge",
        "street_leader": "urge",
        "requester": "!follow_up",
    },
    "resolved+basically": {
        "staff": "follow_up !reopen close",
        "community_leader": "follow_up !reopen close urge",
        "street_leader": "urge",
        "requester": "!follow_up",
    },
    "resolved+unsatisfied": {
        "staff": "follow_up reopen close",
        "community_leader": "follow_up reopen close urge",
        "street_leader": "urge",
        "requester": "!follow_up",
    },
    "resolved+unresolved": {
        "staff": "follow_up reopen close",
        "community_leader": "follow_up reopen close urge",
        "street_leader": "urge",
        "requester": "!follow_up",
    },
    "closed": {},
    "closed+resolved": {},
}
# Where a successful action leaves the case (the others leave it where it was).
DESTINATION = {
    "accept": "dispatched",
    "reject": "closed",
    "withdraw": "closed",
    "merge": "closed",
    "take": "in_progress",
    "return": "dispatched",
    "escalate": "escalated",
    "hand_back": "in_progress",
    "open_consultation": "in_consultation",
    "resolve": "resolved",
    "reopen": "in_progress",
    "close": "closed",
}


def _state_of(situation: str) -> str:
    state = situation.partition("+")[0]
    return "dispatched" if state.startswith("dispatched") else state


def _expected(situation: str, role: str, action: str) -> str:
    """What pressing `action` must do: "ok-><state>", "guard" or "refused"."""
    words = EXPECTED[situation].get(role, "").split()
    assert {word.lstrip("!") for word in words} <= set(PRESSED), words  # a typo in the table
    if action in words:
        return f"ok->{DESTINATION.get(action, _state_of(situation))}"
    return "guard" if f"!{action}" in words else "refused"


class _Undo(Exception):
    """Raised inside the savepoint to roll a successful attempt back."""


def _press(case: Case, action: str, actor, **params) -> str:
    """Drive the transition service and report what happened, leaving the database as it was."""
    try:
        with transaction.atomic():
            moved = _step(case, action, actor, **params)
            raise _Undo(moved.status)
    except _Undo as undo:
        return f"ok->{undo.args[0]}"
    except services.CaseActionRefused:
        return "refused"
    except ValidationError as error:
        return "guard" if not hasattr(error, "error_dict") else f"invalid {error.message_dict}"


def test_workflow_user_actions_are_the_ones_the_matrix_covers():
    assert [str(action) for action in workflow.USER_ACTIONS] == ALL_ACTIONS


def test_workflow_matrix_covers_every_state():
    assert {situation.partition("+")[0].partition("_to_")[0] for situation in EXPECTED} == set(Status.values)


@pytest.mark.parametrize("situation", list(EXPECTED))
def test_workflow_allows_each_role_exactly_what_the_domain_says(situation, grid, cast):
    case = _case_at(situation, grid, cast)
    target = register_case(grid, cast["staff"], description="同一处楼道堆物，邻居再次来电。")
    expected_state = _state_of(situation)
    assert case.status == expected_state

    wrong_may, wrong_buttons, wrong_service = [], [], []
    for role in ROLES:
        user = cast[role]
        for action in PRESSED:
            expected = _expected(situation, role, action)
            if permissions.may(user, case, action) != expected.startswith("ok"):
                wrong_may.append((role, action, expected))
            got = _press(
                case, action, user, target=target, resolved=True, satisfaction="satisfied", reason="withdrawn"
            )
            if got != expected:
                wrong_service.append((role, action, expected, got))
        buttons = [a for a in ALL_ACTIONS if _expected(situation, role, a).startswith("ok")]
        if permissions.allowed_actions(user, case) != buttons:
            wrong_buttons.append((role, permissions.allowed_actions(user, case), buttons))

    assert wrong_may == []
    assert wrong_buttons == []
    assert wrong_service == []
    assert Case.objects.get(pk=case.pk).status == expected_state  # every attempt was rolled back


# --- Moves, one by one ----------------------------------------------------------------------------


def test_case_take_makes_the_worker_the_handler(grid, cast):
    case = case_in("dispatched", grid, staff=cast["staff"], worker=cast["handler"], now=at(3, 10, 9))

    case = _step(case, "take", cast["part_time"], now=at(3, 10, 9, 40))

    case.refresh_from_db()
    assert (case.status, case.handler, case.assigned_worker) == (
        "in_progress",
        cast["part_time"],
        cast["part_time"],
    )
    assert (case.taken_at, case.first_taken_at) == (at(3, 10, 9, 40), at(3, 10, 9, 40))
    assert permissions.allowed_actions(cast["handler"], case) == []


def test_case_return_sends_it_back_to_the_whole_grid(grid, cast):
    handler = cast["handler"]
    case = case_in("in_progress", grid, staff=cast["staff"], worker=handler, now=at(3, 10, 9))

    case = _step(case, "return", handler, note="不属于本网格的事项", now=at(3, 10, 11))

    case.refresh_from_db()
    assert (case.status, case.handler, case.assigned_worker, case.taken_at) == (
        "dispatched",
        None,
        None,
        None,
    )
    assert case.first_taken_at == at(3, 10, 9)
    assert case.clock_due_at == case.response_due == at(3, 11, 9)
    assert [permissions.may(cast[r], case, "take") for r in ("handler", "peer", "part_time")] == [
        False,
        True,
        True,
    ]
    assert _last_event(case).note == "不属于本网格的事项"


def test_case_returned_is_marked_with_who_and_why_until_the_desk_sends_it_again(grid, cast):
    handler = cast["handler"]
    case = case_in("in_progress", grid, staff=cast["staff"], worker=handler, now=at(3, 10, 9))
    case = _step(case, "return", handler, note="不属于本网格的事项", now=at(3, 10, 11))
    assert (case.returned_by, case.return_reason) == (handler, "不属于本网格的事项")

    with pytest.raises(ValidationError, match="须由社区受理台重新派单"):
        _step(case, "take", handler, now=at(3, 10, 12))
    assert _row(case)["status"] == "dispatched"

    case = _step(case, "dispatch", cast["staff"], now=at(3, 10, 13))
    assert (case.returned_by, case.return_reason) == (None, "")
    case = _step(case, "take", handler, now=at(3, 10, 14))
    assert (case.status, case.handler) == ("in_progress", handler)


def test_case_returned_and_taken_by_a_peer_is_no_longer_marked(grid, cast):
    handler = cast["handler"]
    case = case_in("in_progress", grid, staff=cast["staff"], worker=handler, now=at(3, 10, 9))
    case = _step(case, "return", handler, note="人手不足", now=at(3, 10, 11))
    case = _step(case, "take", cast["peer"], now=at(3, 10, 12))
    assert (_row(case)["returned_by_id"], _row(case)["return_reason"]) == (None, "")


def test_case_dispatched_to_one_worker_is_theirs_alone(grid, cast):
    case = case_in("dispatched", grid, staff=cast["staff"], worker=cast["handler"])

    case = _step(case, "dispatch", cast["staff"], worker=cast["peer"])

    assert case.assigned_worker == cast["peer"]
    assert _last_event(case).details == {"grid": grid.code, "worker": "peer"}
    with pytest.raises(services.CaseActionRefused):
        _step(case, "take", cast["handler"])
    assert _step(case, "take", cast["peer"]).handler == cast["peer"]


def test_case_hand_back_returns_it_to_the_same_handler(grid, cast):
    case = case_in("escalated", grid, staff=cast["staff"], worker=cast["handler"])

    case = _step(case, "hand_back", cast["street_leader"], note="由社区联系物业，街道城管科配合")

    case.refresh_from_db()
    assert (case.status, case.handler) == ("in_progress", cast["handler"])
    assert case.escalated_at is not None
    assert permissions.may(cast["handler"], case, "resolve") is True


def test_case_urge_is_an_event_not_a_move(grid, cast):
    case = case_in("in_progress", grid, staff=cast["staff"], worker=cast["handler"])

    _step(case, "urge", cast["community_leader"], note="", now=at(3, 12, 8))
    case = _step(case, "urge", cast["street_leader"], note="", now=at(3, 13, 8))

    case.refresh_from_db()
    assert (case.status, case.urge_count, case.last_urged_at) == ("in_progress", 2, at(3, 13, 8))
    assert list(case.events.filter(action="urge").values_list("from_status", "to_status")) == [
        ("in_progress", "in_progress"),
        ("in_progress", "in_progress"),
    ]


def test_meeting_record_numbers_the_rounds(grid, cast):
    case = case_in("in_consultation", grid, staff=cast["staff"], worker=cast["handler"])
    people = [
        services.ParticipantEntry(role="requester", name="赵女士"),
        services.ParticipantEntry(role="other_party", name="王师傅", organisation="保温施工队"),
        services.ParticipantEntry(role="volunteer_lawyer", name="刘律师"),
    ]
    first = services.MeetingRecord(
        held_at=timezone.now() - 48 * HOUR,
        place="社区议事厅",
        chair="人民调解员 马老师",
        question="屋顶保温施工碰倒太阳能热水器的赔偿",
        minutes="双方各执一词。",
        outcome="none",
        participants=people,
        terms=[],
    )
    second = services.MeetingRecord(
        held_at=timezone.now() - 2 * HOUR,
        place="社区议事厅",
        chair="人民调解员 马老师",
        question="屋顶保温施工碰倒太阳能热水器的赔偿（续）",
        minutes="赵女士提供旧热水器，施工队维修并安装。",
        outcome="agreement",
        participants=people,
        terms=[services.TermEntry(party="施工队", action="维修并安装热水器", due=datetime.date(2026, 4, 1))],
    )

    services.meeting_record(case=case, actor=cast["handler"], record=first, expected_status="in_consultation")
    services.meeting_record(case=case, actor=cast["staff"], record=second)

    assert list(case.meetings.values_list("round", "outcome")) == [(1, "none"), (2, "agreement")]
    assert list(case.meetings.get(round=2).terms.values_list("party", "action")) == [
        ("施工队", "维修并安装热水器")
    ]
    assert [e.details for e in case.events.filter(action="record_meeting")] == [
        {"round": 1, "outcome": "none"},
        {"round": 2, "outcome": "agreement"},
    ]
    assert Case.objects.get(pk=case.pk).status == "in_consultation"


def test_meeting_record_by_someone_the_table_refuses_writes_nothing(grid, cast):
    case = case_in("in_consultation", grid, staff=cast["staff"], worker=cast["handler"])
    record = services.MeetingRecord(
        held_at=timezone.now() - HOUR,
        place="社区议事厅",
        chair="马老师",
        question="议题",
        minutes="记录",
        outcome="none",
        participants=[
            services.ParticipantEntry(role="requester", name="赵女士"),
            services.ParticipantEntry(role="other_party", name="王师傅"),
        ],
        terms=[],
    )
    events_before = case.events.count()

    with pytest.raises(services.CaseActionRefused):
        services.meeting_record(case=case, actor=cast["peer"], record=record)

    assert Meeting.objects.exists() is False
    assert case.events.count() == events_before


# --- Deadlines ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("category", "urgency", "response_hours", "resolution_hours"),
    [
        ("环境卫生", "general", 24, 168),
        ("环境卫生", "emergency", 2, 24),
        ("环境卫生", "urgent", 24, 72),
        ("环境卫生", "complex", 24, 360),
        ("安全隐患", "emergency", 2, 24),
        ("下水疏通", "urgent", 24, 72),
        ("水电气暖", "urgent", 24, 24),
        ("上门认证", "general", 72, 168),
        ("上门认证", "urgent", 24, 72),
        ("上门认证", "emergency", 2, 24),
        ("邻里纠纷", "complex", 72, 360),
        ("政策咨询", "complex", 24, 360),
    ],
)
def test_limits_for_caps_the_category_by_urgency(category, urgency, response_hours, resolution_hours):
    limits = clock.limits_for(Category.objects.get(name=category), urgency)

    assert (limits.response, limits.resolution) == (response_hours * HOUR, resolution_hours * HOUR)


@pytest.mark.parametrize(
    ("urgency", "response_hours", "resolution_hours"),
    [("general", 48, 500), ("complex", 48, 500), ("urgent", 24, 72), ("emergency", 2, 24)],
)
def test_limits_for_keeps_a_category_longer_than_the_caps(urgency, response_hours, resolution_hours):
    category = Category(name="长期协调", response_hours=48, resolution_hours=500)

    limits = clock.limits_for(category, urgency)

    assert (limits.response, limits.resolution) == (response_hours * HOUR, resolution_hours * HOUR)


def test_case_accept_fixes_the_deadlines_and_warns_at_80_percent(grid, cast):
    case = register_case(grid, cast["staff"])  # 环境卫生: 24 hours to take, 7 days to resolve

    _step(case, "accept", cast["staff"], now=at(3, 10, 9))

    case = Case.objects.get(pk=case.pk)
    assert (case.accepted_at, case.response_limit, case.resolution_limit) == (
        at(3, 10, 9),
        24 * HOUR,
        168 * HOUR,
    )
    assert (case.response_due, case.resolution_due) == (at(3, 11, 9), at(3, 17, 9))
    assert (case.clock_due_at, case.clock_warn_at) == (at(3, 11, 9), at(3, 11, 4, 12))  # 19.2 of 24 hours
    moments = [at(3, 10, 9), at(3, 11, 4, 11, 59), at(3, 11, 4, 12), at(3, 11, 8, 59, 59), at(3, 11, 9)]
    assert [case.clock_state(moment) for moment in moments] == [
        "running",
        "running",
        "warning",
        "warning",
        "overdue",
    ]


@pytest.mark.parametrize(("category", "urgency"), [("安全隐患", ""), ("环境卫生", "emergency")])
def test_case_emergency_accepted_late_in_the_evening_is_due_after_midnight(grid, cast, category, urgency):
    case = register_case(grid, cast["staff"], category=category)

    _step(case, "accept", cast["staff"], urgency=urgency, now=at(3, 10, 23))

    case = Case.objects.get(pk=case.pk)
    assert (case.urgency, case.response_due, case.resolution_due) == (
        "emergency",
        at(3, 11, 1),
        at(3, 11, 23),
    )
    assert timezone.localtime(case.response_due).date() == datetime.date(2026, 3, 11)
    assert case.clock_warn_at == at(3, 11, 0, 36)  # 96 of 120 minutes
    moments = [at(3, 10, 23, 59), at(3, 11, 0, 35, 59), at(3, 11, 0, 36), at(3, 11, 1)]
    assert [case.clock_state(moment) for moment in moments] == ["running", "running", "warning", "overdue"]


def test_case_take_switches_to_the_resolution_clock(grid, cast):
    case = case_in("dispatched", grid, staff=cast["staff"], worker=cast["handler"], now=at(3, 10, 9))

    _step(case, "take", cast["handler"], now=at(3, 10, 10))

    case = Case.objects.get(pk=case.pk)
    assert (case.clock_due_at, case.clock_warn_at) == (at(3, 17, 9), at(3, 15, 23, 24))  # 134.4 of 168 hours
    moments = [at(3, 11, 9, 30), at(3, 15, 23, 23), at(3, 15, 23, 24), at(3, 17, 9)]
    assert [case.clock_state(moment) for moment in moments] == ["running", "running", "warning", "overdue"]


@pytest.mark.parametrize("state", ["submitted", "resolved", "closed"])
def test_case_clock_runs_only_between_acceptance_and_resolution(grid, cast, state):
    case = case_in(state, grid, staff=cast["staff"], worker=cast["handler"], now=at(3, 10, 9))

    case = Case.objects.get(pk=case.pk)

    assert (case.clock_due_at, case.clock_warn_at, case.clock_state(at(4, 30))) == (None, None, "")


@pytest.mark.parametrize("state", ["in_progress", "in_consultation"])
def test_case_pause_stops_the_clock(grid, cast, state):
    case = case_in(state, grid, staff=cast["staff"], worker=cast["handler"], now=at(3, 10, 9))

    _step(case, "pause", cast["handler"], note="  等待诉求人补充低保材料  ", now=at(3, 12, 10))

    case = Case.objects.get(pk=case.pk)
    assert (case.paused_at, case.pause_reason) == (at(3, 12, 10), "等待诉求人补充低保材料")
    assert (case.clock_due_at, case.clock_warn_at) == (None, None)
    assert case.resolution_due == at(3, 17, 9)
    assert case.clock_state(at(4, 30)) == "paused"  # long past the due time, yet not overdue
    assert _last_event(case).note == "等待诉求人补充低保材料"


@pytest.mark.parametrize(
    ("paused", "resumed", "minutes", "at_first_due"),
    [
        (at(3, 12, 22, 30), at(3, 13, 1, 15), 165, "warning"),  # over midnight
        (at(3, 12, 10), at(3, 14, 10), 2880, "running"),  # two whole days
    ],
)
def test_case_resume_moves_the_deadlines_on_by_the_pause(grid, cast, paused, resumed, minutes, at_first_due):
    case = case_in("in_progress", grid, staff=cast["staff"], worker=cast["handler"], now=at(3, 10, 9))
    _step(case, "pause", cast["handler"], note="等待诉求人补充材料", now=paused)

    _step(case, "resume", cast["handler"], note="", now=resumed)

    case = Case.objects.get(pk=case.pk)
    shift = minutes * MINUTE
    assert (case.paused_at, case.pause_reason) == (None, "")
    assert (case.response_due, case.resolution_due) == (at(3, 11, 9) + shift, at(3, 17, 9) + shift)
    assert case.clock_due_at == at(3, 17, 9) + shift
    assert case.clock_warn_at == at(3, 15, 23, 24) + shift
    assert _last_event(case).details == {"paused_minutes": minutes}
    assert case.clock_state(at(3, 17, 9)) == at_first_due
    assert case.clock_state(at(3, 17, 9) + shift) == "overdue"


def test_case_pauses_add_up(grid, cast):
    handler = cast["handler"]
    case = case_in("in_progress", grid, staff=cast["staff"], worker=handler, now=at(3, 10, 9))

    _step(case, "pause", handler, note="等待诉求人在家", now=at(3, 11, 10))
    _step(case, "resume", handler, now=at(3, 11, 12))
    _step(case, "pause", handler, note="等待诉求人补充材料", now=at(3, 12, 23))
    _step(case, "resume", handler, now=at(3, 13, 2))

    case = Case.objects.get(pk=case.pk)
    assert (case.resolution_due, case.clock_due_at) == (at(3, 17, 14), at(3, 17, 14))
    assert [e.details for e in case.events.filter(action="resume")] == [
        {"paused_minutes": 120},
        {"paused_minutes": 180},
    ]


def test_case_resolved_while_paused_ends_the_pause(grid, cast):
    case = case_in("in_progress", grid, staff=cast["staff"], worker=cast["handler"], now=at(3, 10, 9))
    _step(case, "pause", cast["handler"], note="等待诉求人补充材料", now=at(3, 12, 10))

    _step(case, "resolve", cast["handler"], note="材料已补齐，已办理。", now=at(3, 12, 16))

    case = Case.objects.get(pk=case.pk)
    assert (case.status, case.paused_at, case.pause_reason) == ("resolved", None, "")
    assert (case.resolved_at, case.resolution_due) == (at(3, 12, 16), at(3, 17, 15))
    assert _last_event(case).details == {"paused_minutes": 360}
    assert case.clock_state(at(4, 30)) == ""


# --- Follow-up, reopen, close ---------------------------------------------------------------------


@pytest.mark.parametrize(("resolved", "satisfaction"), [(True, "unsatisfied"), (False, "basically")])
def test_case_reopen_after_a_bad_follow_up_returns_it_to_the_handler(grid, cast, resolved, satisfaction):
    staff, handler = cast["staff"], cast["handler"]
    case = case_in("resolved", grid, staff=staff, worker=handler, now=at(3, 10, 9))
    _step(case, "follow_up", staff, resolved=resolved, satisfaction=satisfaction, now=at(3, 11, 9))

    _step(case, "reopen", staff, note="诉求人反映楼道仍有杂物", now=at(3, 11, 10))

    case = Case.objects.get(pk=case.pk)
    assert (case.status, case.handler, case.reopen_count) == ("in_progress", handler, 1)
    assert (case.resolved_at, case.taken_at, case.first_taken_at) == (None, at(3, 11, 10), at(3, 10, 9))
    assert case.clock_state(at(3, 11, 10)) == "running"
    assert list(case.events.order_by("id").values_list("action", "to_status")) == [
        ("register", "submitted"),
        ("accept", "dispatched"),
        ("take", "in_progress"),
        ("resolve", "resolved"),
        ("follow_up", "resolved"),
        ("reopen", "in_progress"),
    ]
    assert case.events.get(action="follow_up").details == {"resolved": resolved, "satisfaction": satisfaction}
    assert permissions.allowed_actions(handler, case) == [
        "return",
        "escalate",
        "open_consultation",
        "pause",
        "resolve",
    ]


def test_case_resolved_again_after_reopening_needs_a_new_follow_up(grid, cast):
    staff, handler = cast["staff"], cast["handler"]
    case = case_in("resolved", grid, staff=staff, worker=handler)
    _step(case, "follow_up", staff, resolved=True, satisfaction="unsatisfied")
    _step(case, "reopen", staff, note="不满意")
    _step(case, "resolve", handler, note="已联系物业清运。")

    with pytest.raises(ValidationError) as refused:
        _step(case, "close", staff)
    assert refused.value.messages == ["请先回访诉求人，再归档。"]

    _step(case, "follow_up", staff, resolved=True, satisfaction="satisfied")
    case = _step(case, "close", staff)
    assert (case.status, case.outcome, case.reopen_count) == ("closed", "resolved", 1)


@pytest.mark.parametrize("satisfaction", ["satisfied", "basically", "unsatisfied"])
def test_case_closed_after_a_resolved_follow_up_counts_as_resolved(grid, cast, satisfaction):
    staff = cast["staff"]
    case = case_in("resolved", grid, staff=staff, worker=cast["handler"], now=at(3, 10, 9))
    _step(case, "follow_up", staff, resolved=True, satisfaction=satisfaction, now=at(3, 11, 9))

    _step(case, "close", staff, note="", now=at(3, 11, 9, 5))

    case = Case.objects.get(pk=case.pk)
    assert (case.status, case.outcome, case.unresolved_reason) == ("closed", "resolved", "")
    assert (case.closed_at, case.satisfaction, case.follow_up_resolved) == (
        at(3, 11, 9, 5),
        satisfaction,
        True,
    )
    assert (case.clock_due_at, case.clock_state(at(4, 30))) == (None, "")


def test_case_closed_after_an_unresolved_follow_up_keeps_the_reason(grid, cast):
    staff = cast["staff"]
    case = case_in("resolved", grid, staff=staff, worker=cast["handler"], now=at(3, 10, 9))
    _step(case, "follow_up", staff, resolved=False, satisfaction="unsatisfied", now=at(3, 11, 9))

    _step(case, "close", staff, note="产权单位不在辖区", reason="outside_power", now=at(3, 11, 9, 5))

    case = Case.objects.get(pk=case.pk)
    assert (case.status, case.outcome, case.unresolved_reason) == ("closed", "unresolved", "outside_power")
    assert _last_event(case).details == {"reason": "outside_power"}
    assert _last_event(case).note == "产权单位不在辖区"


def test_case_closed_after_an_unresolved_follow_up_without_a_reason_changes_nothing(grid, cast):
    staff = cast["staff"]
    case = case_in("resolved", grid, staff=staff, worker=cast["handler"])
    _step(case, "follow_up", staff, resolved=False, satisfaction="unsatisfied")
    before, timeline = _row(case), _timeline(case)

    with pytest.raises(ValidationError) as refused:
        _step(case, "close", staff, note="")

    assert refused.value.message_dict == {"reason": ["未解决归档须选择原因。"]}
    assert (_row(case), _timeline(case)) == (before, timeline)


def test_case_reopen_after_a_satisfied_follow_up_is_refused(grid, cast):
    staff = cast["staff"]
    case = case_in("resolved", grid, staff=staff, worker=cast["handler"])
    _step(case, "follow_up", staff, resolved=True, satisfaction="satisfied")
    before, timeline = _row(case), _timeline(case)

    with pytest.raises(ValidationError) as refused:
        _step(case, "reopen", staff, note="再办一次")

    assert refused.value.messages == ["回访确认已解决且满意的工单不需要重办。"]
    assert (_row(case), _timeline(case)) == (before, timeline)


# --- Merge ----------------------------------------------------------------------------------------


def test_case_merge_keeps_both_timelines(grid, cast):
    staff = cast["staff"]
    target = case_in("in_progress", grid, staff=staff, worker=cast["handler"], now=at(3, 10, 9))
    duplicate = register_case(grid, staff, description="三单元楼道堆放纸箱，邻居第二次来电。")
    target_timeline = _timeline(target)

    _step(duplicate, "merge", staff, note="", target=target, now=at(3, 10, 15))

    duplicate = Case.objects.get(pk=duplicate.pk)
    assert (duplicate.status, duplicate.outcome, duplicate.merged_into) == ("closed", "merged", target)
    assert duplicate.closed_at == at(3, 10, 15)
    assert list(
        duplicate.events.order_by("id").values_list("action", "from_status", "to_status", "details")
    ) == [
        ("register", "", "submitted", {}),
        ("merge", "submitted", "closed", {"into": target.number}),
    ]
    assert _timeline(target) == [
        *target_timeline,
        ("merged_from", "in_progress", "in_progress", "三单元楼道堆放纸箱，邻居第二次来电。"),
    ]
    merged_from = target.events.get(action="merged_from")
    assert (merged_from.details, merged_from.actor, merged_from.at) == (
        {"from": duplicate.number},
        staff,
        at(3, 10, 15),
    )
    assert Case.objects.get(pk=target.pk).status == "in_progress"


@pytest.mark.parametrize("into", ["itself", "closed", "other_grid"])
def test_case_merge_into_a_case_it_cannot_join_changes_nothing(grid, other_grid, cast, into):
    staff = cast["staff"]
    duplicate = register_case(grid, staff)
    if into == "itself":
        target, message = duplicate, "只能合并到另一件未归档的工单。"
    elif into == "closed":
        target, message = (
            case_in("closed", grid, staff=staff, worker=cast["handler"]),
            "只能合并到另一件未归档的工单。",
        )
    else:
        desk = _user("od", Role.COMMUNITY_STAFF, other_grid.community)
        target, message = register_case(other_grid, desk), "找不到该工单。"
    before, timeline, target_timeline = _row(duplicate), _timeline(duplicate), _timeline(target)

    with pytest.raises(ValidationError) as refused:
        _step(duplicate, "merge", staff, target=target)

    assert refused.value.message_dict == {"target": [message]}
    assert (_row(duplicate), _timeline(duplicate), _timeline(target)) == (before, timeline, target_timeline)


# --- Bad input changes nothing --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("situation", "action", "role", "message"),
    [
        ("submitted", "reject", "staff", "请填写不予受理的理由。"),
        ("dispatched", "close", "staff", "请填写归档说明。"),
        ("in_progress", "return", "handler", "请填写退单理由。"),
        ("in_progress", "escalate", "handler", "请填写上报街道的理由。"),
        ("in_progress", "pause", "handler", "请填写暂停计时的原因，如等待诉求人补充材料。"),
        ("in_progress", "resolve", "handler", "请填写办理结果。"),
        ("in_progress+paused", "close", "staff", "请填写归档说明。"),
        ("in_consultation", "resolve", "staff", "请填写办理结果。"),
        ("escalated", "hand_back", "street_leader", "请填写回派的处理意见。"),
        ("escalated", "resolve", "street_leader", "请填写办理结果。"),
        ("resolved+unsatisfied", "reopen", "staff", "请填写重办的原因。"),
    ],
)
@pytest.mark.parametrize("note", ["", "  \n "])
def test_case_transition_without_a_required_reason_changes_nothing(
    grid, cast, situation, action, role, message, note
):
    case = _case_at(situation, grid, cast)
    before, timeline = _row(case), _timeline(case)

    with pytest.raises(ValidationError) as refused:
        _step(case, action, cast[role], note=note, reason="withdrawn")

    assert refused.value.message_dict == {"note": [message]}
    assert (_row(case), _timeline(case)) == (before, timeline)


def test_case_follow_up_on_a_case_not_resolved_is_refused(grid, cast):
    case = case_in("in_progress", grid, staff=cast["staff"], worker=cast["handler"])
    before, timeline = _row(case), _timeline(case)

    with pytest.raises(services.CaseActionRefused) as refused:
        _step(case, "follow_up", cast["staff"], resolved=True, satisfaction="satisfied")

    assert isinstance(refused.value, PermissionDenied)  # a 403 in the views
    assert str(refused.value) == "您不能对“办理中”的工单执行“回访”。"
    assert (_row(case), _timeline(case)) == (before, timeline)


@pytest.mark.parametrize(
    ("answers", "errors"),
    [
        ({"satisfaction": "satisfied"}, {"resolved": ["请选择诉求人是否确认已解决。"]}),
        ({"resolved": True}, {"satisfaction": ["请选择满意度。"]}),
        ({"resolved": True, "satisfaction": "very"}, {"satisfaction": ["请选择满意度。"]}),
    ],
)
def test_case_follow_up_without_the_answers_changes_nothing(grid, cast, answers, errors):
    case = case_in("resolved", grid, staff=cast["staff"], worker=cast["handler"])
    before, timeline = _row(case), _timeline(case)

    with pytest.raises(ValidationError) as refused:
        _step(case, "follow_up", cast["staff"], **answers)

    assert refused.value.message_dict == errors
    assert (_row(case), _timeline(case)) == (before, timeline)


def test_case_stale_take_names_who_took_it(grid, cast):
    case = case_in("dispatched", grid, staff=cast["staff"], worker=cast["handler"])
    page = Case.objects.get(pk=case.pk)  # the handler's phone shows the case waiting to be taken
    _step(case, "take", cast["peer"], expected_status="dispatched")
    before, timeline = _row(case), _timeline(case)
    taken = case.events.get(action="take")

    with pytest.raises(services.CaseConflict) as conflict:
        _step(page, "take", cast["handler"], expected_status=page.status)

    when = timezone.localtime(taken.at).strftime("%H:%M")
    assert str(conflict.value) == f"{cast['peer'].first_name} 已于 {when} 接单，您无需再接。"
    assert (_row(case), _timeline(case)) == (before, timeline)
    assert Case.objects.get(pk=case.pk).handler == cast["peer"]


def test_case_stale_page_names_who_moved_the_case_and_how(grid, cast):
    case = case_in("in_progress", grid, staff=cast["staff"], worker=cast["handler"])
    _step(case, "resolve", cast["handler"], note="已清运。")
    before, timeline = _row(case), _timeline(case)
    resolved = case.events.get(action="resolve")

    with pytest.raises(services.CaseConflict) as conflict:
        _step(case, "escalate", cast["staff"], note="物业不配合", expected_status="in_progress")

    when = timezone.localtime(resolved.at).strftime("%m-%d %H:%M")
    assert str(conflict.value) == (
        f"{cast['handler'].first_name} 已于 {when} 办结，工单现为“已办结，待回访”，请查看后再操作。"
    )
    assert (_row(case), _timeline(case)) == (before, timeline)


def test_case_accept_to_a_worker_of_another_grid_changes_nothing(grid, other_grid, cast):
    case = register_case(grid, cast["staff"])
    stranger = _user("ow", Role.GRID_WORKER, other_grid)
    before, timeline = _row(case), _timeline(case)

    with pytest.raises(ValidationError) as refused:
        _step(case, "accept", cast["staff"], worker=stranger)

    assert refused.value.message_dict == {"worker": [f"{stranger.first_name} 不是该网格的网格员。"]}
    assert (_row(case), _timeline(case)) == (before, timeline)


def test_case_accept_with_an_unknown_urgency_changes_nothing(grid, cast):
    case = register_case(grid, cast["staff"])
    before, timeline = _row(case), _timeline(case)

    with pytest.raises(ValidationError) as refused:
        _step(case, "accept", cast["staff"], urgency="whenever")

    assert refused.value.message_dict == {"urgency": ["请选择紧急程度。"]}
    assert (_row(case), _timeline(case)) == (before, timeline)


def test_case_merge_without_a_target_changes_nothing(grid, cast):
    case = register_case(grid, cast["staff"])
    before, timeline = _row(case), _timeline(case)

    with pytest.raises(ValidationError) as refused:
        _step(case, "merge", cast["staff"])

    assert refused.value.message_dict == {"target": ["请选择要合并到的工单。"]}
    assert (_row(case), _timeline(case)) == (before, timeline)


def test_case_dispatch_to_a_grid_outside_the_desks_scope_changes_nothing(grid, other_grid, cast):
    case = case_in("dispatched", grid, staff=cast["staff"], worker=cast["handler"])
    before, timeline = _row(case), _timeline(case)

    with pytest.raises(ValidationError) as refused:
        _step(case, "dispatch", cast["staff"], grid=other_grid)

    assert refused.value.message_dict == {"grid": ["只能派往您负责的网格。"]}
    assert (_row(case), _timeline(case)) == (before, timeline)


# --- Photos ---------------------------------------------------------------------------------------


def _image_bytes(kind: str, pad_to: int = 0) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (24, 16), (180, 40, 40)).save(buffer, kind)
    data = buffer.getvalue()
    return data + b"\0" * (pad_to - len(data)) if pad_to else data


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge picture (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def _register_with(grid, actor, *photos: SimpleUploadedFile) -> Case:
    category = Category.objects.get(name="环境卫生")
    intake = services.Intake(
        channel="walk_in",
        grid=grid,
        category=category,
        urgency="general",
        description="楼道堆放杂物，影响通行。",
        requester=services.Requester(name="李女士", phone="13800001234"),
    )
    return services.case_register(intake=intake, actor=actor, attachments=list(photos))


def _nothing_written(settings) -> bool:
    media = settings.MEDIA_ROOT
    files = [p for p in media.rglob("*") if p.is_file()] if media.exists() else []
    return not (
        Case.objects.exists() or CaseEvent.objects.exists() or CaseAttachment.objects.exists() or files
    )


@pytest.mark.parametrize(
    ("name", "kind", "content_type"),
    [
        ("楼道.png", "PNG", "image/png"),
        ("楼道.jpg", "JPEG", "image/jpeg"),
        ("楼道.webp", "WEBP", "image/webp"),
        ("楼道.txt", "PNG", "image/png"),  # the content decides, not the name
    ],
)
def test_case_register_keeps_a_real_photo(grid, cast, name, kind, content_type):
    data = _image_bytes(kind)

    case = _register_with(grid, cast["handler"], SimpleUploadedFile(name, data, content_type="text/plain"))

    photo = case.attachments.get()
    with photo.file.open("rb") as stored:
        content = stored.read()  # re-encoded (tests/test_photos.py): the same picture, not the same bytes
    assert (photo.original_name, photo.content_type, photo.size, photo.uploaded_by) == (
        name,
        content_type,
        len(content),
        cast["handler"],
    )
    assert (Image.open(io.BytesIO(content)).format, Image.open(io.BytesIO(content)).size) == (kind, (24, 16))
    assert list(case.events.values_list("action", flat=True)) == ["register"]


def test_case_register_accepts_a_photo_of_exactly_5_mb(grid, cast):
    data = _image_bytes("PNG", pad_to=5 * 1024 * 1024)

    case = _register_with(grid, cast["staff"], SimpleUploadedFile("整栋楼.png", data))

    # Accepted; the padding after the picture is not stored.
    assert case.attachments.get().size == len(_image_bytes("PNG"))


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        (
            "大图.png",
            _image_bytes("PNG", pad_to=5 * 1024 * 1024 + 1),
            "“大图.png”有 5.0 MB，照片不能超过 5 MB。",
        ),
        ("噪声.jpg", random.Random(7).randbytes(4096), "“噪声.jpg”不是照片：只接受 JPEG、PNG 或 WebP 图片。"),
        (
            "说明.jpg",
            "这是一份文本，不是照片。\n".encode() * 40,
            "“说明.jpg”不是照片：只接受 JPEG、PNG 或 WebP 图片。",
        ),
        ("动图.gif", _image_bytes("GIF"), "“动图.gif”不是照片：只接受 JPEG、PNG 或 WebP 图片。"),
        ("截断.png", _image_bytes("PNG")[:60], "“截断.png”不是照片：只接受 JPEG、PNG 或 WebP 图片。"),
        (
            "炸弹.png",
            _png_claiming(20000, 20000),
            "“炸弹.png”的像素过多（超过 5000 万像素）：请用相机的普通模式拍摄，或缩小后再上传。",
        ),
    ],
)
def test_case_register_with_a_bad_photo_writes_nothing(grid, cast, settings, name, data, message):
    good = SimpleUploadedFile("楼道.png", _image_bytes("PNG"), content_type="image/png")
    bad = SimpleUploadedFile(name, data, content_type="image/jpeg")

    with pytest.raises(ValidationError) as refused:
        _register_with(grid, cast["staff"], good, bad)

    assert refused.value.message_dict == {"attachments": [message]}
    assert _nothing_written(settings)


def test_case_register_with_eleven_photos_writes_nothing(grid, cast, settings):
    photos = [SimpleUploadedFile(f"{n}.png", _image_bytes("PNG")) for n in range(11)]

    with pytest.raises(ValidationError) as refused:
        _register_with(grid, cast["staff"], *photos)

    assert refused.value.message_dict == {"attachments": ["每件最多上传 10 张照片。"]}
    assert _nothing_written(settings)


def test_case_register_of_an_anonymous_request_with_a_name_writes_nothing(grid, cast, settings):
    with pytest.raises(ValidationError) as refused:
        register_case(grid, cast["staff"], requester=services.Requester(name="李女士", anonymous=True))

    assert refused.value.message_dict == {"requester": ["匿名诉求不能填写诉求人。"]}
    assert _nothing_written(settings)
