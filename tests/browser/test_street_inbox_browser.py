"""The street leader resolves an escalated case from the inbox on a phone: the action's form is loaded
when the action is opened (htmx), not drawn with the page, and posting it goes through the workflow."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from cases.models import Case, Status
from tests.browser.conftest import PHONE
from tests.browser.test_case_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_street_resolves_a_case_from_its_inbox_on_a_phone(live_server, page, shot, chinese_font):
    call_command("load_demo", verbosity=0)
    case = Case.objects.filter(status=Status.ESCALATED).order_by("pk").first()
    assert case is not None, "the demo has a case escalated to the street"
    base = live_server.url
    page.set_viewport_size(PHONE)
    log_in(page, base, "street")
    page.goto(f"{base}/cases/street/")
    row = page.locator(f"#case-{case.pk}")
    note = row.locator(f'textarea[name="c{case.pk}-resolve-note"]')
    expect(note).to_have_count(0)  # not drawn with the page
    row.locator(f"#act-{case.pk}-resolve summary").click()
    expect(note).to_be_visible()  # loaded when opened
    shot(page, "60-street-inbox-action-opened-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    note.fill("街道协调城管部门，已清理完毕。")
    row.get_by_role("button", name="确认办结").click()
    expect(page.get_by_text(f"工单 {case.number} 已办结")).to_be_visible()
    case.refresh_from_db()
    assert case.status == Status.RESOLVED
    assert case.resolution == "街道协调城管部门，已清理完毕。"
