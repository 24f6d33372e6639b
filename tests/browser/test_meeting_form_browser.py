"""The meeting form on a phone: participant rows added beyond the six drawn, and a form drawn again with an
error brings that error into view (static/js/meeting_form.js, under the CSP)."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from cases.models import Case
from tests.factories import case_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_meeting_form_adds_rows_and_shows_the_first_error(live_server, page, grid, staff, worker, shot):
    case = case_in("in_consultation", grid, staff=staff, worker=worker)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(worker.username)
    page.get_by_label("密码").fill("pass-for-tests-only")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="菜单")).to_be_visible()

    page.goto(live_server.url + reverse("cases:meeting_new", args=[case.pk]))
    rows = page.locator("#participant-rows .participant-row")
    expect(rows).to_have_count(6)
    add = page.get_by_role("button", name="添加参会人")
    add.click()
    add.click()
    expect(rows).to_have_count(8)
    expect(page.locator("input[name='participants-TOTAL_FORMS']")).to_have_value("8")
    for index in range(8):
        page.locator(f"select[name='participants-{index}-role']").select_option("resident_representative")
        page.locator(f"input[name='participants-{index}-name']").fill(f"居民{index}")
    page.get_by_label("地点").fill("社区议事厅")
    page.get_by_label("主持人").fill("孙调解员")
    page.get_by_label("议题", exact=True).fill("楼道堆物如何清理")
    page.locator("label[for][class*='btn']", has_text="未达成").click()
    page.get_by_role("button", name="保存协商记录").click()  # no minutes: drawn again with that error

    minutes = page.get_by_label("会议记录")
    expect(minutes).to_have_class(re.compile(r"is-invalid"))
    expect(minutes).to_be_in_viewport()
    expect(minutes).to_be_focused()
    expect(rows).to_have_count(8)  # the added rows come back with what was typed
    shot(page, "meeting-form-first-error-phone")
    minutes.fill("各方同意下周六一起清理。")
    page.get_by_role("button", name="保存协商记录").click()
    expect(page.get_by_text("已记录第1轮协商")).to_be_visible()
    assert Case.objects.get(pk=case.pk).meetings.get().participants.count() == 8


def test_desk_bulk_dispatch_on_a_phone(live_server, page, grid, staff, worker, shot):
    cases = [case_in("submitted", grid, staff=staff, worker=worker) for _ in range(3)]
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(staff.username)
    page.get_by_label("密码").fill("pass-for-tests-only")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="菜单")).to_be_visible()

    page.goto(live_server.url + reverse("cases:desk"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scrolling
    for case in cases[:2]:
        page.get_by_label(f"选择工单 {case.number}").check()
    page.get_by_label("批量操作").select_option("dispatch")
    page.get_by_label("指派网格员").select_option(str(worker.pk))
    shot(page, "desk-bulk-dispatch-phone")
    page.get_by_role("button", name="执行").click()
    expect(page.get_by_text("已对 2 件工单执行“改派”。")).to_be_visible()
    assert [Case.objects.get(pk=c.pk).status for c in cases] == ["dispatched", "dispatched", "submitted"]
