"""The case flow at the desk and for the worker (issue 15): intake with duplicates and photos, the returned
case, the state after the follow-up, paused and late time, the worker picker and the desk's channel."""

import datetime
import io
import re
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from audit.models import AuditEvent
from cases import services
from cases.models import Case, RequesterReveal
from grids.models import Role
from residents.models import RevealRecord
from tests.factories import BuildingFactory, ResidentFactory, UserFactory, assign, case_in, register_case

pytestmark = pytest.mark.django_db


def _png(name="photo.png") -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="PNG")
    buffer.seek(0)
    buffer.name = name
    return buffer


def _intake_data(grid, **changes) -> dict:
    data = {
        "channel": "visit",
        "requester_mode": "named",
        "requester_name": "赵女士",
        "requester_phone": "13800001111",
        "grid": str(grid.pk),
        "building": "",
        "address": "黄河食渡门前",
        "category": "环境卫生",
        "urgency": "",
        "description": "又有垃圾没人清",
        "worker": "",
        "duplicate_choice": "",
    }
    data.update(changes)
    return data


def _hidden_choice(html: str) -> str:
    """The value the re-drawn form would send back in its hidden duplicate_choice field."""
    found = re.search(r'<input type="hidden" name="duplicate_choice"[^>]*>', html)
    assert found is not None
    value = re.search(r'value="([^"]*)"', found.group(0))
    return value.group(1) if value else ""


def _page(client, case) -> str:
    return client.get(reverse("cases:detail", args=[case.pk])).content.decode()


# --- 1. a worker meets an open duplicate at intake --------------------------------------------------


@pytest.fixture
def duplicate(grid, staff):
    building = BuildingFactory(grid=grid, address="黄河食渡")
    return register_case(grid, staff, category="环境卫生", building=building, description="门前垃圾堆积")


def test_intake_worker_sees_the_duplicate_without_a_merge_button_and_registers_anew(
    client, grid, worker, duplicate
):
    client.force_login(worker)
    data = _intake_data(grid, building=str(duplicate.building_id))

    html = client.post(reverse("cases:new"), data).content.decode()
    assert duplicate.number in html
    assert "合并到此工单" not in html  # merging is the desk's move
    assert reverse("cases:detail", args=[duplicate.pk]) in html  # the worker may look at it
    assert "仍作为新诉求登记" in html

    response = client.post(reverse("cases:new"), {**data, "duplicate_choice": "new"})
    case = Case.objects.exclude(pk=duplicate.pk).get()
    assert response["Location"] == reverse("cases:detail", args=[case.pk])
    assert (case.status, case.merged_into) == ("submitted", None)


def test_intake_worker_pressing_a_merge_is_told_why_and_is_not_stuck(client, grid, worker, duplicate):
    client.force_login(worker)
    data = _intake_data(grid, building=str(duplicate.building_id))
    # A merge press (an old page, a desk's page left open): refused with a message at the top, and cleared.
    response = client.post(reverse("cases:new"), {**data, "duplicate_choice": str(duplicate.pk)})
    html = response.content.decode()
    assert response.status_code == 200
    assert "合并工单由社区受理台办理" in html
    assert "请更正标红的内容" not in html  # nothing is marked red, so the page does not say so
    assert _hidden_choice(html) == ""
    assert Case.objects.count() == 1

    # The next press of 登记 sends what the page now holds: the duplicates are shown again, and the worker
    # registers anew.
    html = client.post(
        reverse("cases:new"), {**data, "duplicate_choice": _hidden_choice(html)}
    ).content.decode()
    assert duplicate.number in html
    response = client.post(reverse("cases:new"), {**data, "duplicate_choice": "new"})
    assert response.status_code == 302
    assert Case.objects.exclude(pk=duplicate.pk).get().status == "submitted"


def test_intake_desk_is_offered_the_merge(client, grid, staff, duplicate):
    client.force_login(staff)
    data = _intake_data(grid, building=str(duplicate.building_id))
    assert "合并到此工单" in client.post(reverse("cases:new"), data).content.decode()


def test_intake_merge_choice_is_not_kept_when_the_form_fails(client, grid, staff, duplicate):
    client.force_login(staff)
    data = _intake_data(grid, building=str(duplicate.building_id), category="不存在的类别")
    html = client.post(reverse("cases:new"), {**data, "duplicate_choice": str(duplicate.pk)}).content.decode()
    assert "请从列表中选择事项类别。" in html
    assert _hidden_choice(html) == ""


def test_intake_merge_by_a_worker_through_the_service_writes_nothing(grid, worker, duplicate):
    intake = services.Intake(
        channel="visit",
        grid=grid,
        category=duplicate.category,
        urgency="general",
        description="又有垃圾",
        requester=services.Requester(name="赵女士"),
    )
    with pytest.raises(services.ValidationError) as refused:
        services.case_intake(intake=intake, actor=worker, duplicate_choice=str(duplicate.pk))
    assert "合并工单由社区受理台办理" in str(refused.value.message_dict["duplicate_choice"])
    assert Case.objects.count() == 1


# --- 2. photos on a form that fails -------------------------------------------------------------------


def _kept_keys(html: str) -> list[str]:
    return re.findall(r'name="drop_kept" value="([^"]+)"', html)


def test_intake_keeps_chosen_photos_when_another_field_fails_and_registers_them(
    client, grid, staff, settings
):
    client.force_login(staff)
    token = uuid.uuid4()
    data = _intake_data(grid, category="不存在的类别", submission_token=str(token))
    html = client.post(
        reverse("cases:new"), {**data, "attachments": [_png("a.png"), _png("b.png")]}
    ).content.decode()
    assert "请从列表中选择事项类别。" in html
    assert "已保留 2 张照片，无需重新选择" in html
    assert html.count('src="data:image/jpeg;base64,') == 2  # thumbnails drawn inline, no URL to them
    assert "照片未保存" not in html
    assert Case.objects.count() == 0

    response = client.post(reverse("cases:new"), {**data, "category": "环境卫生"})  # no file chosen again
    case = Case.objects.get()
    assert response["Location"] == reverse("cases:detail", args=[case.pk])
    assert sorted(case.attachments.values_list("original_name", flat=True)) == ["a.png", "b.png"]
    assert not (settings.MEDIA_ROOT / "intake-pending" / str(staff.pk) / token.hex).exists()


def test_intake_kept_photo_can_be_taken_off_and_a_new_one_added(client, grid, staff):
    client.force_login(staff)
    data = _intake_data(grid, category="不存在的类别", submission_token=str(uuid.uuid4()))
    html = client.post(
        reverse("cases:new"), {**data, "attachments": [_png("a.png"), _png("b.png")]}
    ).content.decode()
    first, _second = _kept_keys(html)
    client.post(
        reverse("cases:new"),
        {**data, "category": "环境卫生", "drop_kept": [first], "attachments": [_png("c.png")]},
    )
    names = sorted(Case.objects.get().attachments.values_list("original_name", flat=True))
    assert names == ["b.png", "c.png"]


def test_intake_keeps_only_real_photos(client, grid, staff):
    client.force_login(staff)
    bad = io.BytesIO(b"not a picture at all")
    bad.name = "bad.jpg"
    data = _intake_data(grid, submission_token=str(uuid.uuid4()), attachments=[_png("a.png"), bad])
    html = client.post(reverse("cases:new"), data).content.decode()
    assert "不是照片" in html
    assert len(_kept_keys(html)) == 1
    assert Case.objects.count() == 0


def test_intake_kept_photos_are_the_users_own(client, grid, staff):
    token = str(uuid.uuid4())
    client.force_login(staff)
    data = _intake_data(grid, category="不存在的类别", submission_token=token)
    client.post(reverse("cases:new"), {**data, "attachments": [_png("a.png")]})
    other = UserFactory(username="s2")
    assign(other, Role.COMMUNITY_STAFF, grid.community)
    client.force_login(other)
    client.post(reverse("cases:new"), {**data, "category": "环境卫生"})  # the same token, another user
    assert Case.objects.get().attachments.count() == 0


def test_intake_without_a_token_says_the_photos_must_be_chosen_again(client, grid, staff):
    client.force_login(staff)
    data = _intake_data(grid, category="不存在的类别", attachments=[_png("a.png"), _png("b.png")])
    html = client.post(reverse("cases:new"), data).content.decode()
    assert "照片未保存，请重新选择（刚才选了 2 张）。" in html
    assert Case.objects.count() == 0


def test_intake_without_photos_says_nothing_about_them(client, grid, staff):
    client.force_login(staff)
    data = _intake_data(grid, category="不存在的类别", submission_token=str(uuid.uuid4()))
    html = client.post(reverse("cases:new"), data).content.decode()
    assert "照片未保存" not in html
    assert "已保留" not in html


# --- 4. a returned case ----------------------------------------------------------------------------------


def _returned(grid, staff, worker) -> Case:
    worker.first_name = "王网格"
    worker.save(update_fields=["first_name"])
    case = case_in("in_progress", grid, staff=staff, worker=worker)
    return services.case_transition(case=case, action="return", actor=worker, note="不属于本网格的事项")


def test_desk_shows_a_returned_case_with_who_and_why(client, grid, staff, worker):
    case = _returned(grid, staff, worker)
    client.force_login(staff)
    html = client.get(reverse("cases:desk") + "?state=dispatched").content.decode()
    assert case.number in html
    assert "已退单" in html
    assert "王网格" in html
    assert "不属于本网格的事项" in html


def test_desk_counts_the_returned_cases_on_every_tab(client, grid, staff, worker):
    _returned(grid, staff, worker)
    client.force_login(staff)
    assert "退单待改派 1 件" in client.get(reverse("cases:desk")).content.decode()


def test_returned_case_is_not_offered_to_the_worker_who_returned_it(client, grid, staff, worker):
    case = _returned(grid, staff, worker)
    peer = UserFactory(username="peer")
    assign(peer, Role.GRID_WORKER, grid)

    client.force_login(worker)
    html = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'id="action-take"' not in html
    response = client.post(
        reverse("cases:act", args=[case.pk, "take"]), {"take-expected_status": "dispatched"}
    )
    assert response.status_code == 403
    assert Case.objects.get(pk=case.pk).handler is None

    client.force_login(peer)
    assert 'id="action-take"' in client.get(reverse("cases:detail", args=[case.pk])).content.decode()


def test_returned_case_is_offered_again_once_the_desk_redispatches(client, grid, staff, worker):
    case = _returned(grid, staff, worker)
    client.force_login(staff)
    client.post(reverse("cases:act", args=[case.pk, "dispatch"]), {"dispatch-expected_status": "dispatched"})
    client.force_login(worker)
    response = client.post(
        reverse("cases:act", args=[case.pk, "take"]), {"take-expected_status": "dispatched"}
    )
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).handler == worker


# --- 5. the state after the follow-up ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resolved", "satisfaction", "label"),
    [("yes", "satisfied", "已回访，待归档"), ("no", "basically", "已回访，待重办或归档")],
)
def test_case_state_after_the_follow_up_says_it_is_done(
    client, grid, staff, worker, resolved, satisfaction, label
):
    case = case_in("resolved", grid, staff=staff, worker=worker)
    client.force_login(staff)
    assert '<span class="badge text-bg-secondary">已办结，待回访</span>' in _page(client, case)
    client.post(
        reverse("cases:act", args=[case.pk, "follow_up"]),
        {
            "follow_up-expected_status": "resolved",
            "follow_up-resolved": resolved,
            "follow_up-satisfaction": satisfaction,
        },
    )
    html = _page(client, case)
    assert f'<span class="badge text-bg-secondary">{label}</span>' in html  # the state line
    assert '<span class="badge text-bg-secondary">已办结，待回访</span>' not in html
    assert label in client.get(reverse("cases:list") + "?status=resolved").content.decode()


# --- 6. paused and late time ----------------------------------------------------------------------------


def test_case_paused_time_reads_in_days_and_hours(client, grid, staff, worker):
    start = timezone.now() - datetime.timedelta(days=8)
    case = case_in("in_progress", grid, staff=staff, worker=worker, now=start)
    case = services.case_transition(
        case=case, action="pause", actor=worker, note="等待诉求人补充材料", now=start
    )
    services.case_transition(
        case=case, action="resume", actor=worker, now=start + datetime.timedelta(minutes=9720)
    )
    client.force_login(staff)
    html = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "计时暂停了 6天18小时，期限相应顺延。" in html
    assert "9720" not in html


def test_case_resolved_late_says_so_and_by_how_much(client, grid, staff, worker):
    start = timezone.now() - datetime.timedelta(days=30)
    case = case_in("in_progress", grid, staff=staff, worker=worker, now=start)  # 环境卫生: 7 days
    late = case.resolution_due + datetime.timedelta(days=2, hours=3)
    services.case_transition(case=case, action="resolve", actor=worker, note="已清理", now=late)
    client.force_login(staff)
    assert "超期办结 2天3小时" in client.get(reverse("cases:detail", args=[case.pk])).content.decode()


def test_case_resolved_on_time_has_no_late_badge(client, grid, staff, worker):
    case = case_in("resolved", grid, staff=staff, worker=worker)
    client.force_login(staff)
    assert "超期办结" not in client.get(reverse("cases:detail", args=[case.pk])).content.decode()


# --- 7. the worker picker and the desk's channel ---------------------------------------------------------


def test_intake_worker_picker_names_each_workers_grid(client, grid, staff, worker):
    worker.first_name = "王网格"
    worker.save(update_fields=["first_name"])
    client.force_login(staff)
    html = client.get(reverse("cases:new")).content.decode()
    assert f">王网格 · {grid.name}</option>" in html


def test_intake_at_the_desk_defaults_to_walk_in(client, staff, worker):
    client.force_login(staff)
    html = client.get(reverse("cases:new")).content.decode()
    assert re.search(r'<option value="walk_in" selected>', html)
    client.force_login(worker)
    html = client.get(reverse("cases:new")).content.decode()
    assert not re.search(r'<option value="walk_in" selected>', html)


# --- 3. calling the requester back --------------------------------------------------------------------

PHONE, MASKED = "13800001234", "138****1234"  # tests.factories.register_case's outsider, 李女士


@pytest.fixture
def resolved(grid, staff, worker):
    return case_in("resolved", grid, staff=staff, worker=worker)


@pytest.mark.parametrize(
    ("role", "may_call"),
    [("staff", True), ("worker", True), ("street_leader", False), ("building_head", False)],
)
def test_case_page_shows_an_outside_requesters_phone_masked_and_a_call_to_those_who_may(
    client, request, resolved, role, may_call
):
    client.force_login(request.getfixturevalue(role))
    html = _page(client, resolved)
    assert PHONE not in html  # nobody gets the full number without asking for it
    assert MASKED in html
    assert (reverse("cases:requester_phone", args=[resolved.pk]) in html) is may_call


def test_requester_phone_reveal_is_a_tel_link_recorded_in_the_audit(client, grid, staff, resolved):
    client.force_login(staff)
    response = client.post(
        reverse("cases:requester_phone", args=[resolved.pk]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert f'<a class="fw-semibold" href="tel:{PHONE}">{PHONE}</a>' in response.content.decode()
    reveal = RequesterReveal.objects.get()
    assert (reveal.user, reveal.case) == (staff, resolved)
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.REVEAL)
    assert (event.user, event.record_model, event.record_id, event.grid_id) == (
        staff,
        "cases.case",
        resolved.pk,
        grid.pk,
    )
    assert (event.details["field"], event.details["reason"], event.details["case"]) == (
        "phone",
        "contact",
        resolved.number,
    )


@pytest.mark.parametrize("role", ["street_leader", "building_head"])
def test_requester_phone_reveal_is_refused_to_roles_that_may_not_reveal(client, request, resolved, role):
    client.force_login(request.getfixturevalue(role))
    response = client.post(reverse("cases:requester_phone", args=[resolved.pk]))
    assert response.status_code == 403
    assert PHONE not in response.content.decode()
    assert (RequesterReveal.objects.count(), AuditEvent.objects.filter(kind="reveal").count()) == (0, 0)


def test_requester_phone_of_a_registry_resident_is_revealed_as_the_residents(client, grid, staff, worker):
    resident = ResidentFactory(household__dwelling__building__grid=grid, phone="13912345678")
    case = register_case(grid, staff, requester=services.Requester(resident=resident))
    client.force_login(staff)
    assert "139****5678" in _page(client, case)
    response = client.post(reverse("cases:requester_phone", args=[case.pk]))
    assert 'href="tel:13912345678"' in response.content.decode()
    reveal = RevealRecord.objects.get()
    assert (reveal.user, reveal.resident, reveal.field, reveal.reason) == (
        staff,
        resident,
        "phone",
        "contact",
    )
    assert RequesterReveal.objects.count() == 0


def test_anonymous_requester_has_no_phone_to_reveal(client, grid, staff):
    case = register_case(grid, staff, requester=services.Requester(anonymous=True))
    client.force_login(staff)
    assert reverse("cases:requester_phone", args=[case.pk]) not in _page(client, case)
    assert client.post(reverse("cases:requester_phone", args=[case.pk])).status_code == 403


def test_desk_follow_ups_show_the_masked_phone_and_a_call_to_the_desk(client, staff, street_leader, resolved):
    client.force_login(staff)
    html = client.get(reverse("cases:desk")).content.decode()
    assert MASKED in html
    assert PHONE not in html
    assert reverse("cases:requester_phone", args=[resolved.pk]) in html


def test_household_file_reveals_a_phone_as_a_tel_link(client, grid, staff):
    resident = ResidentFactory(household__dwelling__building__grid=grid, phone="13912345678")
    client.force_login(staff)
    response = client.post(
        reverse("residents:resident_reveal", args=[resident.pk]),
        {"field": "phone", "reason": "contact"},
        headers={"HX-Request": "true"},
    )
    assert 'href="tel:13912345678"' in response.content.decode()
