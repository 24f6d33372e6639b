"""A grid worker on a phone: log in, find 苏奶奶, open her household file, see her ID masked."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from residents.models import Resident, RevealRecord
from tooling.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_worker_searches_a_resident_and_sees_the_masked_id(live_server, page, shot, chinese_font):
    call_command("load_demo", verbosity=0)
    su = Resident.objects.get(name="苏秀兰")

    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("用户名").fill("worker")
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    shot(page, "01-login-phone")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="我的工作台")).to_be_visible()  # a grid worker's home
    shot(page, "02-workbench-phone")
    page.goto(f"{live_server.url}/grids/")
    expect(page.get_by_role("heading", name="我的网格")).to_be_visible()

    page.goto(f"{live_server.url}/residents/")
    page.get_by_label("搜索").fill("秀兰")
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#results")).to_contain_text("共 1 条")  # htmx swapped in the filtered list
    expect(page).to_have_url(re.compile(r"q=%E7%A7%80%E5%85%B0"))
    result = page.get_by_role("link", name="苏秀兰")
    expect(result).to_be_visible()
    shot(page, "03-search-phone")

    result.click()
    expect(page.get_by_role("heading", name="家庭成员")).to_be_visible()
    id_cell = page.locator("tr", has_text="苏秀兰").locator("td[data-field=id_number] .masked")
    expect(id_cell).to_have_text(su.masked_id_number)
    assert su.id_number not in page.content()
    shot(page, "04-household-file-phone")

    # The phone fits the screen: nothing wider than the 375-px viewport.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375

    # A deliberate reveal shows the full number and is recorded.
    row = page.locator("tr", has_text="苏秀兰").locator("td[data-field=id_number]")
    row.get_by_role("button", name="查看").click()
    expect(row.locator("[data-revealed=id_number]")).to_have_text(su.id_number)
    shot(page, "05-reveal-phone")
    assert RevealRecord.objects.filter(user__username="worker", resident=su).count() == 1
