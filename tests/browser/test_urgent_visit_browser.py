"""A 紧急 visit in the browser (issue 15, items 2 and 5): the worker records it at the door, the desk of
金城关社区 sees the bell count go up and the visit on its desk, acknowledges it (确认已知悉), and it is gone.
Screenshots of the desk block and the notification list at 375 px, in Chinese and English."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from notifications import selectors
from notifications.models import VisitAlert
from residents.models import Resident
from tests.browser.test_case_flow import log_in
from visits.models import Visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_an_urgent_visit_reaches_the_desk_which_acknowledges_it(live_server, page, shot, chinese_font):
    call_command("load_demo", verbosity=0)
    base = live_server.url
    su = Resident.objects.get(name="苏秀兰")
    staff = su.household.grid.community.assignments.get(user__username="staff").user
    bell_before = selectors.bell(staff).count

    # The worker at 苏奶奶's door: she has had a fall.
    log_in(page, base, "worker")
    page.goto(f"{base}/visits/new/?household={su.household_id}")
    expect(page.get_by_role("heading", name="记录走访")).to_be_visible()
    met = page.get_by_label("苏秀兰")
    if not met.is_checked():
        met.check()
    page.get_by_text("紧急", exact=True).click()
    page.get_by_label("走访情况").fill("老人在家中摔倒，腿部疼痛，已联系其女儿")
    page.get_by_role("button", name="保存走访记录").click()
    expect(page.get_by_role("alert")).to_contain_text("苏秀兰")
    visit = Visit.objects.filter(household=su.household).latest("id")
    assert visit.condition == "urgent"

    # The desk: the bell counts it, and the desk shows it until acknowledged.
    log_in(page, base, "staff")
    count = bell_before + 1
    expect(page.locator("[data-bell-count]")).to_have_text("99+" if count > 99 else str(count))
    page.goto(f"{base}/cases/desk/")
    block = page.locator("#visit-alerts")
    expect(block.get_by_role("heading", name="紧急走访待确认")).to_be_visible()
    expect(block).to_contain_text(str(su.household.dwelling))
    no_sideways_scroll(page)
    shot(page, "40-desk-urgent-visit-phone")
    block.get_by_role("button", name="确认已知悉").click()
    expect(page.locator("#visit-alerts").get_by_role("button", name="确认已知悉")).to_have_count(0)
    page.reload()
    expect(page.locator("#visit-alerts")).to_be_attached()
    expect(page.locator("#visit-alerts").get_by_role("button", name="确认已知悉")).to_have_count(0)
    alert = VisitAlert.objects.get(visit=visit)
    assert alert.acknowledged_by == staff and alert.acknowledged_at is not None

    # The notification list, read: the visit is there, marked read by the acknowledgement.
    page.goto(f"{base}/notifications/")
    expect(page.get_by_role("heading", name="站内通知")).to_be_visible()
    item = page.locator("li", has_text="紧急走访").first
    expect(item).to_contain_text(str(su.household.dwelling))
    expect(item.locator(".badge", has_text="未读")).to_have_count(0)
    no_sideways_scroll(page)
    shot(page, "41-notifications-phone")

    # In English too, without sideways scrolling.
    page.get_by_role("button", name="菜单").click()
    page.get_by_label("语言").select_option("en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("button", name="Menu")).to_be_visible()
    no_sideways_scroll(page)
    shot(page, "41-notifications-phone-en")
