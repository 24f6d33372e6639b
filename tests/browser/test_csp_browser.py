"""Pages whose inline scripts and handlers moved to static files still work under the Content-Security-
Policy, with no violation reported (the `no_csp_violations` fixture of conftest checks every browser test).
"""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from cases.models import Meeting
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.test_case_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_inline_script_is_blocked_and_reported(live_server, page, no_csp_violations):
    """The watcher itself: a script written into the page does not run, and the violation is seen."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.ran = true';"
        " document.body.appendChild(s); }"
    )
    expect(page.locator("body")).to_be_visible()
    page.wait_for_function("() => true")
    assert page.evaluate("() => window.ran === undefined")
    assert any("script-src" in violation for violation in no_csp_violations)
    no_csp_violations.clear()


def test_pages_work_without_inline_script(live_server, page, shot, chinese_font):
    call_command("load_demo", verbosity=0)
    base = live_server.url
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    # The patrol form adds a finding row from static/js/patrol_form.js.
    log_in(page, base, "worker")
    page.goto(f"{base}/visits/patrols/new/")
    rows = page.locator("#findings > *")
    before = rows.count()
    page.get_by_role("button", name="再加一处").click()
    expect(rows).to_have_count(before + 1)

    # The language menu submits itself on change (data-submit-on-change), there and back; on a phone
    # it sits in the collapsed menu (Bootstrap's collapse, under the policy too).
    page.get_by_role("button", name="菜单").click()
    page.get_by_label("语言").select_option("en")
    page.get_by_role("button", name="Menu").click()
    expect(page.get_by_role("link", name="Resident search")).to_be_visible()
    page.get_by_label("Language").select_option("zh-hans")
    page.get_by_role("button", name="菜单").click()
    expect(page.get_by_role("link", name="居民查询")).to_be_visible()

    # A list's place selects submit the filter on change: the household list by a page load, the case
    # list through htmx (a trigger filter there would need eval, which htmx may not use).
    log_in(page, base, "admin")
    page.set_viewport_size(DESKTOP)
    page.goto(f"{base}/residents/households/")
    page.get_by_label("街道").select_option(label="草场街街道")
    expect(page).to_have_url(re.compile(r"street=\d+"))
    page.goto(f"{base}/cases/")
    page.get_by_label("街道").select_option(label="草场街街道")
    expect(page).to_have_url(re.compile(r"street=\d+"))
    expect(page.get_by_label("社区")).to_be_enabled()

    # The agreement, styled from static/css/agreement.css, with its print button.
    meeting = Meeting.objects.filter(outcome="agreement").first()
    page.goto(f"{base}/cases/meetings/{meeting.pk}/agreement/")
    expect(page.locator("article.agreement")).to_have_css("max-width", "768px")
    expect(page.get_by_role("button", name="打印协议书")).to_have_attribute("data-print", "")

    # The admin's own inline style carries Django's nonce.
    page.goto(f"{base}/admin/cases/category/")
    expect(page.locator("#changelist")).to_be_visible()

    # The dashboard's chart tooltip (ECharts) under the policy.
    page.set_viewport_size(PHONE)
    log_in(page, base, "leader")
    page.set_viewport_size(DESKTOP)
    page.goto(f"{base}/dashboard/")
    chart = page.locator("#chart-satisfaction")
    expect(chart.locator("svg")).to_be_visible()
    texts = chart.locator("svg text")
    drawn = texts.count()
    # In view first: the pointer only hovers what the window shows, and the leader's longer menu pushes
    # the chart further down the page.
    chart.scroll_into_view_if_needed()
    box = chart.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2 + 60, box["y"] + box["height"] / 2 - 20)
    page.mouse.move(box["x"] + box["width"] / 2 + 70, box["y"] + box["height"] / 2 - 10)
    expect(texts).not_to_have_count(drawn)  # the tooltip, drawn inside the chart
    shot(page, "60-csp-dashboard-tooltip")
    assert errors == []
