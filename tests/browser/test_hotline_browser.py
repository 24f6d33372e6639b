"""The desk on the demo: a 12345 work order's case page loads its order id and updates (htmx, by URL
name), and the 12345办理反馈 page lists the demo platform's updates (waiting: no worker runs here), each
with a retry."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from hotline.models import WorkOrder
from tests.browser.test_case_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_desk_sees_a_work_orders_updates(live_server, page, shot, chinese_font):
    call_command("load_demo", verbosity=0)
    base = live_server.url
    order = WorkOrder.objects.get(order_id="LZ12345-20261130-0001")  # taken and resolved
    log_in(page, base, "staff")
    page.goto(f"{base}/cases/{order.case_id}/")
    block = page.locator("#hotline-updates")
    expect(block).to_contain_text("LZ12345-20261130-0001")
    expect(block).to_contain_text("已接单")
    expect(block).to_contain_text("已办结")
    shot(page, "hotline-case-block")
    page.goto(f"{base}/cases/desk/")
    page.get_by_role("link", name="12345办理反馈").click()
    expect(page.get_by_role("heading", name="12345办理反馈")).to_be_visible()
    rows = page.locator("tr[data-update]")
    expect(rows).to_have_count(3)  # two takes and a resolution
    expect(page.get_by_role("button", name="重新推送").first).to_be_visible()
    shot(page, "hotline-updates")
