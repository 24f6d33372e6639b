"""Bad input never gives a 500: dates at the edges of the calendar, ids past a column's range.

Each list filter and form with a date, a date-time or an id is hit with the values a probe sent
(issue 14, finding 6); each must answer with a form error or a clear message.
"""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from grids.models import Role
from tests.factories import (
    HouseholdFactory,
    ResidentFactory,
    UserFactory,
    assign,
    case_in,
    log_visit,
)

pytestmark = pytest.mark.django_db

HUGE = "1" * 23  # an id no bigint column can hold
DATE_ERROR = "请填写 1900 年至 2099 年之间的日期"
TIME_ERROR = "请填写 1900 年至 2099 年之间的时间"
CHOICE_ERROR = "选择一个有效的选项"
PAGE_TEXT = {"DATE": DATE_ERROR, "TIME": TIME_ERROR, "CHOICE": CHOICE_ERROR}


@pytest.fixture
def world(grid, staff, worker):
    leader = UserFactory(username="cl")
    assign(leader, Role.COMMUNITY_LEADER, grid.community)
    household = HouseholdFactory(dwelling__building__grid=grid)
    resident = ResidentFactory(household=household)
    an_hour_ago = timezone.now() - datetime.timedelta(hours=1)
    visit = log_visit(household, worker, an_hour_ago)
    case = case_in("in_consultation", grid, staff=staff, worker=worker)
    submitted = case_in("submitted", grid, staff=staff, worker=worker)
    return {
        "leader": leader,
        "worker": worker,
        "grid": grid,
        "household": household,
        "resident": resident,
        "visit": visit,
        "case": case,
        "submitted": submitted,
    }


def _minute(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def _visit_form(w, **changes):
    data = {
        "visited_at": _minute(timezone.now() - datetime.timedelta(minutes=5)),
        "kind": "wellbeing",
        "condition": "normal",
        "visitors": [str(w["worker"].pk)],
        "gifts-TOTAL_FORMS": "0",
        "gifts-INITIAL_FORMS": "0",
    }
    return data | changes


def _meeting_form(w, **changes):
    data = {
        "expected_status": "in_consultation",
        "held_at": _minute(timezone.now() - datetime.timedelta(hours=1)),
        "place": "社区议事厅",
        "chair": "孙调解员",
        "question": "热水器如何赔偿",
        "minutes": "双方同意修复。",
        "outcome": "none",
        "participants-TOTAL_FORMS": "2",
        "participants-INITIAL_FORMS": "0",
        "participants-0-role": "requester",
        "participants-0-name": "赵女士",
        "participants-1-role": "other_party",
        "participants-1-name": "钱师傅",
        "terms-TOTAL_FORMS": "1",
        "terms-INITIAL_FORMS": "0",
    }
    return data | changes


def _patrol_form(w, **changes):
    data = {
        "grid": str(w["grid"].pk),
        "started_at": _minute(timezone.now() - datetime.timedelta(hours=1)),
        "route": "靖远路9号—11号",
        "findings-TOTAL_FORMS": "0",
        "findings-INITIAL_FORMS": "0",
    }
    return data | changes


def _intake_form(w, **changes):
    data = {
        "channel": "walk_in",
        "requester_mode": "named",
        "requester_name": "赵女士",
        "grid": str(w["grid"].pk),
        "category": "邻里纠纷",
        "description": "热水器被碰倒。",
        "duplicate_choice": "new",
    }
    return data | changes


def _resident_form(w, **changes):
    data = {"name": "王芳", "sex": "female", "relation_to_head": "spouse", "residence_type": "registered"}
    return data | changes


# (who, method, url, query or data, text the answer must carry). The URL and data are built from the world.
CASES = {
    # List filters and exports.
    "search grid": ("leader", "get", lambda w: reverse("residents:search"), {"grid": HUGE}, None),
    "search street": ("leader", "get", lambda w: reverse("residents:search"), {"street": HUGE}, None),
    "households grid": ("leader", "get", lambda w: reverse("residents:household_list"), {"grid": HUGE}, None),
    "ledger export grid": (
        "leader",
        "get",
        lambda w: reverse("residents:ledger_export"),
        {"grid": HUGE},
        None,
    ),
    "visits date_to": ("leader", "get", lambda w: reverse("visits:list"), {"date_to": "9999-12-31"}, "DATE"),
    "visits date_from": (
        "leader",
        "get",
        lambda w: reverse("visits:list"),
        {"date_from": "0001-01-01"},
        "DATE",
    ),
    "visits grid": ("leader", "get", lambda w: reverse("visits:list"), {"grid": HUGE}, "CHOICE"),
    "visits visitor": ("leader", "get", lambda w: reverse("visits:list"), {"visitor": HUGE}, "CHOICE"),
    "visit export date_to": (
        "leader",
        "get",
        lambda w: reverse("visits:export"),
        {"date_to": "9999-12-31"},
        None,
    ),
    "visit export date_from": (
        "leader",
        "get",
        lambda w: reverse("visits:export"),
        {"date_from": "0001-01-01"},
        None,
    ),
    "overdue grid": ("leader", "get", lambda w: reverse("visits:overdue"), {"grid": HUGE}, None),
    "overdue community": ("leader", "get", lambda w: reverse("visits:overdue"), {"community": HUGE}, None),
    "cases date_to": ("leader", "get", lambda w: reverse("cases:list"), {"date_to": "9999-12-31"}, "DATE"),
    "cases date_from": (
        "leader",
        "get",
        lambda w: reverse("cases:list"),
        {"date_from": "0001-01-01"},
        "DATE",
    ),
    "cases category": ("leader", "get", lambda w: reverse("cases:list"), {"category": HUGE}, "CHOICE"),
    "cases grid": ("leader", "get", lambda w: reverse("cases:list"), {"grid": HUGE}, "CHOICE"),
    "case export date_to": (
        "leader",
        "get",
        lambda w: reverse("cases:export"),
        {"date_to": "9999-12-31"},
        None,
    ),
    "case export date_from": (
        "leader",
        "get",
        lambda w: reverse("cases:export"),
        {"date_from": "0001-01-01"},
        None,
    ),
    "case export category": ("leader", "get", lambda w: reverse("cases:export"), {"category": HUGE}, None),
    "dashboard date_to": (
        "leader",
        "get",
        lambda w: reverse("dashboard:index"),
        {"period": "custom", "date_from": "2026-01-01", "date_to": "9999-12-31"},
        "DATE",
    ),
    "dashboard date_from": (
        "leader",
        "get",
        lambda w: reverse("dashboard:index"),
        {"period": "custom", "date_from": "0001-01-01", "date_to": "2026-01-01"},
        "DATE",
    ),
    "dashboard export date_from": (
        "leader",
        "get",
        lambda w: reverse("dashboard:export"),
        {"period": "custom", "date_from": "0001-01-01", "date_to": "2026-01-01"},
        None,
    ),
    "report month 0001": (
        "leader",
        "get",
        lambda w: reverse("dashboard:report"),
        {"month": "0001-01"},
        "MONTH",
    ),
    "report month 9999": (
        "leader",
        "get",
        lambda w: reverse("dashboard:report"),
        {"month": "9999-12"},
        "所选月份尚未开始",
    ),
    "intake from visit": ("leader", "get", lambda w: reverse("cases:new"), {"visit": HUGE}, None),
    "intake from finding": ("leader", "get", lambda w: reverse("cases:new"), {"finding": HUGE}, None),
    "building options": ("leader", "get", lambda w: reverse("cases:building_options"), {"grid": HUGE}, None),
    "new visit household": ("worker", "get", lambda w: reverse("visits:new"), {"household": HUGE}, None),
    # Forms.
    "visit at year 1": (
        "worker",
        "post",
        lambda w: reverse("visits:new") + f"?household={w['household'].pk}",
        lambda w: _visit_form(w, visited_at="0001-01-01T00:00"),
        "TIME",
    ),
    "visit at year 9999": (
        "worker",
        "post",
        lambda w: reverse("visits:new") + f"?household={w['household'].pk}",
        lambda w: _visit_form(w, visited_at="9999-12-31T23:59"),
        "TIME",
    ),
    "visit visitor id": (
        "worker",
        "post",
        lambda w: reverse("visits:new") + f"?household={w['household'].pk}",
        lambda w: _visit_form(w, visitors=[HUGE]),
        "所选走访人员不在本网格的工作人员名册中",
    ),
    "visit resident met id": (
        "worker",
        "post",
        lambda w: reverse("visits:new") + f"?household={w['household'].pk}",
        lambda w: _visit_form(w, residents_met=[HUGE]),
        "见到的居民须是本户成员",
    ),
    "visit gift quantity": (
        "worker",
        "post",
        lambda w: reverse("visits:new") + f"?household={w['household'].pk}",
        lambda w: _visit_form(
            w,
            kind="condolence",
            **{
                "gifts-TOTAL_FORMS": "1",
                "gifts-0-item": "米",
                "gifts-0-quantity": str(10**12),
                "gifts-0-value": "50",
            },
        ),
        "数量最多 9999",
    ),
    "visit edit at year 1": (
        "worker",
        "post",
        lambda w: reverse("visits:edit", args=[w["visit"].pk]),
        lambda w: _visit_form(w, visited_at="0001-01-01T00:00"),
        "TIME",
    ),
    "visit plan interval": (
        "leader",
        "post",
        lambda w: reverse("visits:plan", args=[w["household"].pk]),
        lambda w: {"interval_override_days": str(10**30), "override_reason": "送物资"},
        "走访间隔最多",
    ),
    "patrol at year 1": (
        "worker",
        "post",
        lambda w: reverse("visits:patrol_new"),
        lambda w: _patrol_form(w, started_at="0001-01-01T00:00"),
        "TIME",
    ),
    "patrol grid id": (
        "worker",
        "post",
        lambda w: reverse("visits:patrol_new"),
        lambda w: _patrol_form(w, grid=HUGE),
        "CHOICE",
    ),
    "meeting at year 1": (
        "leader",
        "post",
        lambda w: reverse("cases:meeting_new", args=[w["case"].pk]),
        lambda w: _meeting_form(w, held_at="0001-01-01T00:00"),
        "TIME",
    ),
    "meeting term due 9999": (
        "leader",
        "post",
        lambda w: reverse("cases:meeting_new", args=[w["case"].pk]),
        lambda w: _meeting_form(
            w,
            outcome="agreement",
            **{"terms-0-party": "施工方", "terms-0-action": "修复", "terms-0-due": "9999-12-31"},
        ),
        "DATE",
    ),
    "intake grid id": (
        "leader",
        "post",
        lambda w: reverse("cases:new"),
        lambda w: _intake_form(w, grid=HUGE),
        "CHOICE",
    ),
    "intake building id": (
        "leader",
        "post",
        lambda w: reverse("cases:new"),
        lambda w: _intake_form(w, building=HUGE),
        "CHOICE",
    ),
    "intake worker id": (
        "leader",
        "post",
        lambda w: reverse("cases:new"),
        lambda w: _intake_form(w, worker=HUGE, accept_now="on"),
        "CHOICE",
    ),
    "intake requester id": (
        "leader",
        "post",
        lambda w: reverse("cases:new"),
        lambda w: _intake_form(w, requester_mode="resident", requester=HUGE),
        "找不到该居民",
    ),
    "intake origin visit id": (
        "leader",
        "post",
        lambda w: reverse("cases:new"),
        lambda w: _intake_form(w, origin_visit=HUGE),
        None,
    ),
    "intake duplicate choice id": (
        "leader",
        "post",
        lambda w: reverse("cases:new"),
        lambda w: _intake_form(w, duplicate_choice=HUGE),
        "找不到要合并到的工单",
    ),
    "accept grid id": (
        "leader",
        "post",
        lambda w: reverse("cases:act", args=[w["submitted"].pk, "accept"]),
        lambda w: {"accept-expected_status": "submitted", "accept-grid": HUGE, "accept-urgency": "general"},
        "CHOICE",
    ),
    "accept worker id": (
        "leader",
        "post",
        lambda w: reverse("cases:act", args=[w["submitted"].pk, "accept"]),
        lambda w: {
            "accept-expected_status": "submitted",
            "accept-grid": str(w["grid"].pk),
            "accept-worker": HUGE,
            "accept-urgency": "general",
        },
        "CHOICE",
    ),
    "household building id": (
        "leader",
        "post",
        lambda w: reverse("residents:household_create"),
        lambda w: {"building": HUGE},
        "CHOICE",
    ),
    "resident born in year 1": (
        "leader",
        "post",
        lambda w: reverse("residents:resident_create", args=[w["household"].pk]),
        lambda w: _resident_form(w, birth_date="0001-01-01"),
        "DATE",
    ),
    "enrolment since year 1": (
        "leader",
        "post",
        lambda w: reverse("residents:enrolment_create", args=[w["household"].pk]),
        lambda w: {"category": "elderly_living_alone", "since": "0001-01-01"},
        "DATE",
    ),
    "enrolment resident id": (
        "leader",
        "post",
        lambda w: reverse("residents:enrolment_create", args=[w["household"].pk]),
        lambda w: {"category": "elderly_living_alone", "since": "2026-01-01", "resident": HUGE},
        "CHOICE",
    ),
    "liaison since 9999": (
        "leader",
        "post",
        lambda w: reverse("residents:liaison_set", args=[w["household"].pk]),
        lambda w: {"party_member": HUGE, "since": "9999-12-31"},
        "DATE",
    ),
    "move out year 1": (
        "leader",
        "post",
        lambda w: reverse("residents:household_move_out", args=[w["household"].pk]),
        lambda w: {"moved_out_on": "0001-01-01"},
        "DATE",
    ),
    "resident status date 9999": (
        "leader",
        "post",
        lambda w: reverse("residents:resident_status", args=[w["resident"].pk]),
        lambda w: {"status": "moved_out", "status_date": "9999-12-31"},
        "DATE",
    ),
}
PAGE_TEXT["MONTH"] = "请选择 1900 年至今的月份"


@pytest.mark.parametrize("name", CASES)
def test_bad_input_is_answered_without_a_server_error(world, name):
    who, method, url, data, text = CASES[name]
    client = Client(raise_request_exception=False)
    client.force_login(world[who])
    values = data(world) if callable(data) else data
    response = getattr(client, method)(url(world), values)
    assert response.status_code != 500, name
    assert response.status_code in (200, 302, 400, 404), name
    if text is not None:
        assert response.status_code in (200, 400), name
        assert PAGE_TEXT.get(text, text) in response.content.decode(), name
