"""The community leader's dashboard in the browser, on a desktop and on a phone: she lands on it from the
home page, sees every measure with what it rests on, opens a figure's cases and finds the same count,
switches to one grid, and reads a chart's numbers as a table. Screenshots 30-35."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.test_case_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _count_shown(page) -> int:
    """The "共 N 条" count of a list page."""
    text = page.locator("#results").get_by_text(re.compile(r"共 \d+ 条")).inner_text()
    return int(re.search(r"\d+", text).group())


def test_leader_dashboard_on_desktop_and_phone(live_server, page, shot, chinese_font):
    call_command("load_demo", verbosity=0)
    base = live_server.url
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    log_in(page, base, "leader")
    page.set_viewport_size(DESKTOP)
    page.goto(f"{base}/")
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.get_by_role("heading", name=re.compile("数据看板"))).to_contain_text("金城关社区")
    page.get_by_label("统计时段").select_option("quarter")
    page.get_by_role("button", name="统计").click()
    expect(page.locator("#chart-trend svg")).to_be_visible()  # ECharts drew the trend
    expect(page.get_by_role("heading", name="网格排名")).to_be_visible()
    # The co-governance section arrives after the page, with its figures linking to their records.
    expect(page.locator("#cogovernance [data-co='activities']")).to_be_visible()
    shot(page, "30-dashboard-desktop")

    # A figure's cases: the list counts exactly what the card says.
    card = page.locator("section.measure", has=page.get_by_role("heading", name=re.compile("^响应率")))
    based_on = card.locator("[data-drill='response-all']")
    figure = int(re.search(r"\d+", based_on.inner_text()).group())
    assert figure > 0
    based_on.click()
    expect(page.get_by_text("统计口径")).to_be_visible()
    assert _count_shown(page) == figure
    shot(page, "31-dashboard-drill-down-desktop")
    page.go_back()

    # A chart's numbers as a table, for a screen reader (always there) and for anyone who asks.
    table = page.locator("#category-table")
    expect(table).to_have_class(re.compile("visually-hidden"))
    page.locator("[data-table-toggle='category-table']").click()
    expect(table).not_to_have_class(re.compile("visually-hidden"))
    expect(table.get_by_role("row")).not_to_have_count(0)

    # One grid, from the ranking table.
    page.get_by_role("link", name=re.compile("金城关第二网格")).first.click()
    expect(page.get_by_role("heading", name=re.compile("数据看板"))).to_contain_text("金城关第二网格")
    expect(page.get_by_role("heading", name="网格排名")).to_have_count(0)

    # On a phone: nothing wider than the screen, the cards stacked, the charts drawn.
    page.set_viewport_size(PHONE)
    page.goto(f"{base}/dashboard/?period=quarter")
    expect(page.locator("#chart-satisfaction svg")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    expect(page.locator("#cogovernance [data-co='activities']")).to_be_visible()
    shot(page, "32-dashboard-phone")

    # A co-governance section that cannot be loaded says so, rather than "loading" for ever.
    page.route("**/dashboard/cogovernance/panel/**", lambda route: route.fulfill(status=500, body=""))
    page.reload()
    expect(page.locator("#cogovernance [role=status]")).to_have_text("共建共治数据未能加载，请刷新页面重试。")
    page.unroute("**/dashboard/cogovernance/panel/**")

    # The printable monthly report.
    page.set_viewport_size(DESKTOP)
    page.goto(f"{base}/dashboard/")
    page.get_by_role("link", name="月度报告").click()
    expect(page.get_by_role("heading", name=re.compile("网格化服务工作月报"))).to_be_visible()
    page.emulate_media(media="print")
    shot(page, "33-monthly-report-print")
    page.emulate_media(media="screen")
    assert errors == []
