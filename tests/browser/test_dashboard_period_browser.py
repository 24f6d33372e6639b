"""The leader changes only the scope and the period is kept (issue 15, item 1), on a desktop and on a phone
where the form folds behind a button saying what is shown."""

import re

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from grids.models import Community, Grid
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.test_case_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_changing_only_the_scope_keeps_the_period(live_server, page, shot, chinese_font):
    call_command("load_demo", verbosity=0)
    base = live_server.url
    first_of_month = timezone.localdate().replace(day=1).isoformat()
    community = Community.objects.get(name="金城关社区")
    grid = Grid.objects.get(name="金城关第一网格")
    log_in(page, base, "street")

    page.set_viewport_size(DESKTOP)
    page.goto(f"{base}/dashboard/")
    heading = page.get_by_role("heading", name=re.compile("数据看板"))
    expect(heading).to_contain_text(first_of_month)
    expect(page.get_by_label("统计时段")).to_have_value("month")  # the form says what the figures are for
    page.get_by_label("统计范围", exact=True).select_option(f"community:{community.pk}")
    page.get_by_role("button", name="统计", exact=True).click()
    expect(heading).to_contain_text("金城关社区")
    expect(heading).to_contain_text(first_of_month)  # still this month, not this week
    expect(page.get_by_label("统计时段")).to_have_value("month")

    page.set_viewport_size(PHONE)
    page.goto(f"{base}/dashboard/?period=quarter")
    fold = page.get_by_role("button", name=re.compile("统计范围和时段"))
    expect(fold).to_be_visible()
    expect(page.get_by_label("统计时段")).to_be_hidden()  # folded away on a phone
    fold.click()
    page.get_by_label("统计范围", exact=True).select_option(f"grid:{grid.pk}")
    page.get_by_role("button", name="统计", exact=True).click()
    expect(heading).to_contain_text("金城关第一网格")
    expect(page.get_by_label("统计时段")).to_have_value("quarter")
    shot(page, "50-dashboard-scope-kept-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
