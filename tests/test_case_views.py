"""The case pages: intake, queue, desk, the case page with its actions, the list and its export."""

import datetime
import io
import re

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from cases import services
from cases.models import Case, CaseEvent, Category
from grids.models import Role
from residents.models import ExportRecord
from tests.factories import (
    BuildingFactory,
    ResidentFactory,
    UserFactory,
    assign,
    case_in,
    register_case,
)

pytestmark = pytest.mark.django_db


def _png(name="photo.png") -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="PNG")
    buffer.seek(0)
    buffer.name = name
    return buffer


def _intake_data(grid, **changes) -> dict:
    data = {
        "channel": "walk_in",
        "requester_mode": "named",
        "requester_name": "赵女士",
        "requester_phone": "13800001111",
        "grid": str(grid.pk),
        "building": "",
        "address": "金城关小区3号楼楼顶",
        "category": "邻里纠纷",
        "urgency": "",
        "description": "屋顶保温施工时碰倒了我家的太阳能热水器，施工方不肯赔。",
        "accept_now": "on",
        "worker": "",
        "duplicate_choice": "",
    }
    data.update(changes)
    return data


# --- access -------------------------------------------------------------------------------------------


def test_case_pages_send_anonymous_users_to_login(client, grid, staff, worker):
    case = case_in("dispatched", grid, staff=staff, worker=worker)
    for url in (
        reverse("cases:queue"),
        reverse("cases:desk"),
        reverse("cases:list"),
        reverse("cases:new"),
        reverse("cases:detail", args=[case.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_case_page_is_404_outside_the_users_grids(client, grid, other_grid, staff, worker):
    case = case_in("dispatched", grid, staff=staff, worker=worker)
    outsider = UserFactory(username="outsider")
    assign(outsider, Role.GRID_WORKER, other_grid)
    client.force_login(outsider)
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 404
    response = client.post(
        reverse("cases:act", args=[case.pk, "take"]), {"take-expected_status": "dispatched"}
    )
    assert response.status_code == 404
    assert Case.objects.get(pk=case.pk).status == "dispatched"


def test_case_action_the_role_may_not_take_is_403(client, grid, staff, worker, building_head):
    case = case_in("dispatched", grid, staff=staff, worker=worker)
    client.force_login(building_head)
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 200
    response = client.post(
        reverse("cases:act", args=[case.pk, "take"]), {"take-expected_status": "dispatched"}
    )
    assert response.status_code == 403
    case.refresh_from_db()
    assert (case.status, case.handler) == ("dispatched", None)


def test_case_page_shows_only_the_actions_the_user_may_take(client, grid, staff, worker):
    case = case_in("dispatched", grid, staff=staff, worker=worker)
    client.force_login(worker)
    html = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'id="action-take"' in html
    assert 'id="action-dispatch"' not in html
    client.force_login(staff)
    html = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'id="action-take"' not in html
    assert 'id="action-dispatch"' in html
    assert 'id="action-merge"' in html


# --- intake -------------------------------------------------------------------------------------------


def test_intake_registers_accepts_and_dispatches(client, grid, staff, worker):
    client.force_login(staff)
    response = client.post(reverse("cases:new"), _intake_data(grid, attachments=[_png()]))
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:detail", args=[case.pk])
    assert (case.status, case.requester_name, case.category.name) == ("dispatched", "赵女士", "邻里纠纷")
    assert case.urgency == "complex"  # the category's default
    assert case.resolution_due - case.accepted_at == datetime.timedelta(days=15)
    assert case.attachments.get().content_type == "image/png"
    assert list(case.events.values_list("action", flat=True)) == ["register", "accept"]
    assert case.number == f"{timezone.localdate():%Y%m%d}{case.pk:06d}"


def test_intake_by_a_worker_waits_for_the_desk(client, grid, worker):
    client.force_login(worker)
    assert "登记后直接受理派单" not in client.get(reverse("cases:new")).content.decode()
    client.post(reverse("cases:new"), _intake_data(grid))
    assert Case.objects.get().status == "submitted"


def test_intake_with_a_registry_resident(client, grid, staff):
    resident = ResidentFactory(household__dwelling__building__grid=grid, name="朱建国")
    client.force_login(staff)
    data = _intake_data(grid, requester_mode="resident", requester=str(resident.pk), category="临时救助")
    client.post(reverse("cases:new"), data)
    case = Case.objects.get()
    assert (case.requester, case.household, case.requester_name) == (resident, resident.household, "")


def test_intake_bad_input_keeps_the_input_and_writes_nothing(client, grid, staff):
    client.force_login(staff)
    data = _intake_data(grid, category="不存在的类别", requester_name="")
    response = client.post(reverse("cases:new"), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "请从列表中选择事项类别。" in html
    assert "请填写诉求人姓名。" in html
    assert "屋顶保温施工时碰倒了我家的太阳能热水器" in html  # the description is kept
    assert Case.objects.count() == 0


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (io.BytesIO(b"not a picture at all"), "不是照片"),
        (io.BytesIO(b"\x89PNG" + b"0" * (5 * 1024 * 1024 + 1)), "照片不能超过 5 MB"),
    ],
)
def test_intake_refuses_a_bad_attachment_and_writes_nothing(client, grid, staff, upload, message):
    upload.name = "photo.jpg"
    client.force_login(staff)
    response = client.post(reverse("cases:new"), _intake_data(grid, attachments=[upload]))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert (Case.objects.count(), CaseEvent.objects.count()) == (0, 0)


def test_intake_shows_an_open_duplicate_and_merges_into_it(client, grid, staff, worker):
    building = BuildingFactory(grid=grid, address="黄河食渡")
    first = register_case(grid, staff, category="环境卫生", building=building, description="门前垃圾堆积")
    client.force_login(staff)
    data = _intake_data(grid, category="环境卫生", building=str(building.pk), description="又有垃圾没人清")
    response = client.post(reverse("cases:new"), data)
    assert first.number in response.content.decode()
    assert Case.objects.count() == 1  # nothing written until the user chooses

    response = client.post(reverse("cases:new"), {**data, "duplicate_choice": str(first.pk)})
    assert response["Location"] == reverse("cases:detail", args=[first.pk])
    merged = Case.objects.exclude(pk=first.pk).get()
    assert (merged.status, merged.outcome, merged.merged_into) == ("closed", "merged", first)
    assert first.events.filter(action="merged_from", details__from=merged.number).exists()


def test_intake_registers_a_new_case_when_told_it_is_not_a_duplicate(client, grid, staff):
    first = register_case(grid, staff, category="环境卫生")
    client.force_login(staff)
    data = _intake_data(grid, category="环境卫生", duplicate_choice="new")
    client.post(reverse("cases:new"), data)
    assert Case.objects.exclude(pk=first.pk).get().status == "dispatched"


# --- actions on the case page --------------------------------------------------------------------------


def test_take_from_the_case_page(client, grid, staff, worker):
    case = case_in("dispatched", grid, staff=staff, worker=worker)
    client.force_login(worker)
    response = client.post(
        reverse("cases:act", args=[case.pk, "take"]), {"take-expected_status": "dispatched"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.handler) == ("in_progress", worker)


def test_stale_form_says_who_moved_the_case_and_changes_nothing(client, grid, staff, worker):
    case = case_in("dispatched", grid, staff=staff, worker=worker)
    other = UserFactory(username="w2", first_name="马晓东")
    assign(other, Role.GRID_WORKER, grid)
    services.case_transition(case=case, action="take", actor=other)
    client.force_login(worker)
    response = client.post(
        reverse("cases:act", args=[case.pk, "take"]), {"take-expected_status": "dispatched"}, follow=True
    )
    assert "马晓东 已于" in response.content.decode()
    case.refresh_from_db()
    assert case.handler == other


def test_missing_reason_keeps_the_form_open_with_a_message(client, grid, staff, worker):
    case = case_in("in_progress", grid, staff=staff, worker=worker)
    client.force_login(worker)
    response = client.post(
        reverse("cases:act", args=[case.pk, "return"]),
        {"return-expected_status": "in_progress", "return-note": " "},
    )
    assert response.status_code == 400
    assert "请填写退单理由。" in response.content.decode()
    case.refresh_from_db()
    assert (case.status, case.handler) == ("in_progress", worker)


def test_follow_up_and_close_from_the_case_page(client, grid, staff, worker):
    case = case_in("resolved", grid, staff=staff, worker=worker)
    client.force_login(staff)
    client.post(
        reverse("cases:act", args=[case.pk, "follow_up"]),
        {
            "follow_up-expected_status": "resolved",
            "follow_up-resolved": "yes",
            "follow_up-satisfaction": "satisfied",
        },
    )
    client.post(reverse("cases:act", args=[case.pk, "close"]), {"close-expected_status": "resolved"})
    case.refresh_from_db()
    assert (case.status, case.outcome, case.satisfaction) == ("closed", "resolved", "satisfied")


def test_merge_offers_the_open_duplicates_and_merges_into_the_chosen_one(client, grid, staff, worker):
    target = case_in("in_progress", grid, staff=staff, worker=worker)
    other_category = case_in("in_progress", grid, staff=staff, worker=worker, category="乱停放")
    case = case_in("dispatched", grid, staff=staff, worker=worker)
    client.force_login(staff)
    html = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    # Offered: the open case of the same category in the same grid; not one of another category.
    assert f'name="merge-target" id="id_merge-target_0" value="{target.pk}"' in html
    assert not re.search(rf'name="merge-target"[^>]*value="{other_category.pk}"', html)
    assert 'name="merge-target" type="text"' not in html
    # A case that was not suggested (another category) cannot be posted as the target.
    response = client.post(
        reverse("cases:act", args=[case.pk, "merge"]),
        {"merge-expected_status": "dispatched", "merge-target": str(other_category.pk)},
    )
    assert response.status_code == 400
    case.refresh_from_db()
    assert case.status == "dispatched"
    client.post(
        reverse("cases:act", args=[case.pk, "merge"]),
        {"merge-expected_status": "dispatched", "merge-target": str(target.pk)},
    )
    case.refresh_from_db()
    assert (case.status, case.merged_into) == ("closed", target)
    assert CaseEvent.objects.filter(case=target, action="merged_from").count() == 1


def test_merge_without_suggestions_says_so(client, grid, staff, worker):
    case = case_in("dispatched", grid, staff=staff, worker=worker)
    client.force_login(staff)
    html = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "没有可合并的相似工单" in html
    response = client.post(
        reverse("cases:act", args=[case.pk, "merge"]), {"merge-expected_status": "dispatched"}
    )
    assert response.status_code == 400
    assert "请从相似工单中选择要合并到的工单。" in response.content.decode()


def test_photos_are_served_only_inside_the_scope(client, grid, other_grid, staff, worker):
    case = case_in("dispatched", grid, staff=staff, worker=worker)
    client.force_login(worker)
    client.post(reverse("cases:attachment_add", args=[case.pk]), {"files": [_png()]})
    photo = case.attachments.get()
    response = client.get(reverse("cases:attachment", args=[photo.pk]))
    assert (response.status_code, response["Content-Type"]) == (200, "image/png")
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    outsider = UserFactory(username="outsider")
    assign(outsider, Role.GRID_WORKER, other_grid)
    client.force_login(outsider)
    assert client.get(reverse("cases:attachment", args=[photo.pk])).status_code == 404


# --- queue, desk, list --------------------------------------------------------------------------------


def test_queue_lists_overdue_first_then_warning(client, grid, staff, worker):
    now = timezone.now()
    fresh = case_in("dispatched", grid, staff=staff, worker=worker, category="环境卫生")  # 24 h to respond
    warning = case_in("dispatched", grid, staff=staff, worker=worker, now=now - datetime.timedelta(hours=20))
    overdue = case_in("dispatched", grid, staff=staff, worker=worker, now=now - datetime.timedelta(hours=30))
    client.force_login(worker)
    response = client.get(reverse("cases:queue"))
    assert [c.pk for c in response.context["waiting"]] == [overdue.pk, warning.pk, fresh.pk]
    html = response.content.decode()
    assert "超期" in html and "临期" in html


def test_queue_shows_mine_and_not_cases_sent_to_another_worker(client, grid, staff, worker):
    other = UserFactory(username="w2")
    assign(other, Role.GRID_WORKER, grid)
    mine = case_in("in_progress", grid, staff=staff, worker=worker)
    for_other = register_case(grid, staff)
    services.case_transition(case=for_other, action="accept", actor=staff, worker=other)
    client.force_login(worker)
    response = client.get(reverse("cases:queue"))
    assert [c.pk for c in response.context["mine"]] == [mine.pk]
    assert response.context["waiting"] == []


def test_desk_counts_open_cases_by_state_and_lists_follow_ups(client, grid, staff, worker):
    case_in("submitted", grid, staff=staff, worker=worker)
    case_in("dispatched", grid, staff=staff, worker=worker)
    resolved = case_in("resolved", grid, staff=staff, worker=worker)
    client.force_login(staff)
    response = client.get(reverse("cases:desk"))
    counts = {status: n for status, _label, n in response.context["board"]["counts"]}
    assert counts == {
        "submitted": 1,
        "dispatched": 1,
        "in_progress": 0,
        "escalated": 0,
        "in_consultation": 0,
        "resolved": 1,
    }
    assert response.context["follow_ups"] == [resolved]


def test_case_list_filters_and_exports(client, grid, staff, worker):
    case_in("dispatched", grid, staff=staff, worker=worker, category="乱停放", description="车辆占用人行道")
    case_in("in_progress", grid, staff=staff, worker=worker, category="环境卫生")
    client.force_login(staff)
    response = client.get(reverse("cases:list"), {"category": Category.objects.get(name="乱停放").pk})
    assert [c.description for c in response.context["page"].object_list] == ["车辆占用人行道"]
    response = client.get(reverse("cases:export"), {"status": "open"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "工单编号"
    assert sorted(row[5] for row in rows[1:]) == ["乱停放", "环境卫生"]
    record = ExportRecord.objects.get()
    assert (record.user, record.kind, record.row_count, record.unmasked) == (
        staff,
        ExportRecord.Kind.CASES,
        2,
        False,
    )
    assert (record.filters["status"], "ledger" in record.filters) == ("open", False)


def test_case_list_rejects_reversed_dates_with_a_message(client, staff):
    client.force_login(staff)
    response = client.get(reverse("cases:list"), {"date_from": "2026-11-20", "date_to": "2026-11-01"})
    assert "截止日期不能早于起始日期。" in response.content.decode()


# --- query counts -------------------------------------------------------------------------------------


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def _fill(grid, staff, worker, n: int) -> None:
    for _ in range(n):
        case_in("dispatched", grid, staff=staff, worker=worker)
        case_in("in_progress", grid, staff=staff, worker=worker)
        case_in("resolved", grid, staff=staff, worker=worker)


@pytest.mark.parametrize("page", ["queue", "desk", "list"])
def test_case_lists_issue_the_same_queries_at_two_sizes(client, grid, staff, worker, page):
    user = {"queue": worker, "desk": staff, "list": staff}[page]
    client.force_login(user)
    url = reverse(f"cases:{page}")
    _fill(grid, staff, worker, 2)
    small = _count(client, url)
    _fill(grid, staff, worker, 8)
    assert _count(client, url) == small


def test_case_page_issues_the_same_queries_for_a_longer_case(client, grid, staff, worker):
    short = case_in("in_progress", grid, staff=staff, worker=worker)
    long = case_in("in_progress", grid, staff=staff, worker=worker)
    for _ in range(5):
        services.case_transition(case=long, action="pause", actor=worker, note="等材料")
        services.case_transition(case=long, action="resume", actor=worker)
    client.force_login(worker)
    assert _count(client, reverse("cases:detail", args=[short.pk])) == _count(
        client, reverse("cases:detail", args=[long.pk])
    )


# --- links with visits, patrols and the household file ------------------------------------------------


def test_request_raised_from_a_visit_keeps_its_origin(client, grid, staff, worker):
    from tests.factories import log_visit

    resident = ResidentFactory(household__dwelling__building__grid=grid, name="朱建国")
    visit = log_visit(
        resident.household,
        worker,
        timezone.now() - datetime.timedelta(hours=1),
        kind="needs",
        needs_found="妻子化疗，儿子上大学，申请临时救助",
    )
    client.force_login(worker)
    assert (
        reverse("cases:new") + f"?visit={visit.pk}"
        in client.get(reverse("visits:detail", args=[visit.pk])).content.decode()
    )
    form = client.get(reverse("cases:new"), {"visit": visit.pk}).context["form"]
    assert (form.initial["channel"], form.initial["requester"]) == ("visit", resident.pk)
    data = _intake_data(
        grid,
        channel="visit",
        requester_mode="resident",
        requester=str(resident.pk),
        category="临时救助",
        description="妻子化疗，儿子上大学，申请临时救助",
        origin_visit=str(visit.pk),
    )
    client.post(reverse("cases:new"), data)
    case = Case.objects.get()
    assert (case.origin_visit, case.channel) == (visit, "visit")
    html = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert reverse("visits:detail", args=[visit.pk]) in html
    household_html = client.get(reverse("household_file", args=[resident.household_id])).content.decode()
    assert case.number in household_html


def test_request_from_a_visit_outside_the_scope_is_404(client, grid, other_grid, staff, worker):
    from tests.factories import HouseholdFactory, log_visit

    outsider = UserFactory(username="outsider")
    assign(outsider, Role.GRID_WORKER, other_grid)
    visit = log_visit(HouseholdFactory(dwelling__building__grid=grid), worker, timezone.now())
    client.force_login(outsider)
    assert client.get(reverse("cases:new"), {"visit": visit.pk}).status_code == 404


def test_request_raised_from_a_patrol_finding(client, grid, worker):
    from visits import services as visit_services

    patrol = visit_services.patrol_log(
        grid=grid,
        worker=worker,
        started_at=timezone.now() - datetime.timedelta(hours=2),
        ended_at=None,
        route="靖远路",
        notes="",
        findings=[visit_services.Finding(location="黄河食渡门前", description="垃圾堆积")],
    )
    finding = patrol.findings.get()
    client.force_login(worker)
    form = client.get(reverse("cases:new"), {"finding": finding.pk}).context["form"]
    assert (form.initial["channel"], form.initial["address"], form.initial["requester_mode"]) == (
        "patrol",
        "黄河食渡门前",
        "anonymous",
    )
    data = _intake_data(
        grid,
        channel="patrol",
        requester_mode="anonymous",
        requester_name="",
        requester_phone="",
        category="环境卫生",
        origin_finding=str(finding.pk),
    )
    client.post(reverse("cases:new"), data)
    case = Case.objects.get()
    assert (case.origin_finding, case.anonymous) == (finding, True)


def test_reopened_case_resumes_its_clock_where_it_stood(grid, staff, worker):
    start = timezone.now() - datetime.timedelta(days=6)
    case = case_in("resolved", grid, staff=staff, worker=worker, now=start)
    left = case.resolution_due - start
    services.case_transition(
        case=case,
        action="follow_up",
        actor=staff,
        now=start + datetime.timedelta(days=3),
        resolved=False,
        satisfaction="unsatisfied",
    )
    reopened_at = start + datetime.timedelta(days=4)
    case = services.case_transition(case=case, action="reopen", actor=staff, note="仍未解决", now=reopened_at)
    assert (case.status, case.handler, case.reopen_count) == ("in_progress", worker, 1)
    assert case.resolution_due == reopened_at + left
    assert case.clock_due_at == case.resolution_due


def test_case_page_reads_in_english_once_chosen(client, grid, staff, worker):
    case = case_in("in_progress", grid, staff=staff, worker=worker)
    services.case_transition(case=case, action="pause", actor=worker, note="等待诉求人补充材料")
    client.force_login(worker)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "Clock paused" in html
    assert "办理过程" not in html
    assert "My cases" in client.get(reverse("cases:queue")).content.decode()


def test_case_page_query_count(client, grid, staff, worker):
    # session, user, the second factor's device, the user's grid ids, the case with its joins, events,
    # photos, meetings, merged cases, the user's roles over the grid (for the actions), the menu's roles
    # = 11 (the bell loads its count by a request of its own)
    case = case_in("in_progress", grid, staff=staff, worker=worker)
    client.force_login(worker)
    assert _count(client, reverse("cases:detail", args=[case.pk])) == 11


def test_queue_and_desk_query_counts(client, grid, staff, worker):
    case_in("submitted", grid, staff=staff, worker=worker)
    case_in("dispatched", grid, staff=staff, worker=worker)
    case_in("in_progress", grid, staff=staff, worker=worker)
    client.force_login(worker)
    # session, user, the second factor's device, the worker's grids, waiting cases and the worker they were
    # sent to, cases in hand and their handler, the menu's roles = 9
    assert _count(client, reverse("cases:queue")) == 9
    client.force_login(staff)
    # session, user, the second factor's device, the user's grid ids, counts by state, flag counts,
    # follow-ups, page count, page, the user's roles (bulk actions, and the menu's), the bulk form's grids
    # and workers, the user's grid ids and the overdue agreement terms = 14
    assert _count(client, reverse("cases:desk")) == 14
