"""A grid worker on a phone: open the due list, log a visit to 苏奶奶, see her leave the due list."""

import datetime
import re

import pytest
from django.core.management import call_command
from django.db.models import F
from django.utils import timezone
from playwright.sync_api import expect

from residents.models import Household, Resident
from tooling.demo import DEMO_PASSWORD
from visits import selectors
from visits.models import Visit, VisitPlan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def make_due(household: Household) -> None:
    """Make sure the household's visit is due whatever day the test runs on.

    The demo schedules 苏奶奶 to be due on the day it is loaded. Should that ever change, her visits
    (and the latest-visit time the visit plan keeps in step with them) are moved ten days back, which
    makes a weekly household overdue.
    """
    schedule = selectors.care_schedule(Household.objects.filter(pk=household.pk)).get()
    if schedule.next_due <= timezone.localdate():
        return
    back = datetime.timedelta(days=10)
    Visit.objects.filter(household=household).update(visited_at=F("visited_at") - back)
    VisitPlan.objects.filter(household=household).update(last_visited_at=F("last_visited_at") - back)


def test_worker_logs_a_visit_to_su_and_she_leaves_the_due_list(live_server, page, shot, chinese_font):
    call_command("load_demo", verbosity=0)
    su = Resident.objects.get(name="苏秀兰")
    make_due(su.household)
    visits_before = Visit.objects.filter(household=su.household).count()

    page.goto(f"{live_server.url}/")
    page.get_by_label("用户名").fill("worker")
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="我的工作台")).to_be_visible()  # a grid worker's home

    # 我的走访 from the menu (folded behind the toggler on a phone).
    page.get_by_role("button", name="菜单").click()
    page.get_by_role("link", name="我的走访").click()
    expect(page.get_by_role("heading", name="我的走访")).to_be_visible()
    due_rows = page.locator("section[data-section=overdue] .due-row, section[data-section=today] .due-row")
    su_row = due_rows.filter(has_text="苏秀兰")
    expect(su_row).to_have_count(1)
    expect(su_row).to_be_visible()
    shot(page, "10-due-list-phone")

    su_row.get_by_role("link", name="记录走访").click()
    expect(page.get_by_role("heading", name="记录走访")).to_be_visible()
    # The defaults: now, me, someone answered; nobody is ticked as met: the worker ticks whom they saw.
    expect(page.get_by_label("苏秀兰")).not_to_be_checked()
    expect(page.get_by_label("马晓燕")).to_be_checked()  # the worker herself, among the visitors
    expect(page.get_by_label("张德福")).to_have_count(0)  # her late husband is not offered
    expect(page.get_by_role("radio", name="有人应答")).to_be_checked()
    # A knock with nobody home meets nobody: the residents' ticks fold away while it is chosen.
    page.get_by_text("无人应答", exact=True).click()
    expect(page.locator("#residents-met")).to_be_hidden()
    page.get_by_text("有人应答", exact=True).click()
    expect(page.locator("#residents-met")).to_be_visible()
    page.get_by_label("苏秀兰").check()
    expect(page.get_by_label("走访时间")).to_have_value(re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d$"))
    expect(page.locator("#gifts")).to_be_hidden()
    # Gifts appear for a condolence visit only.
    page.get_by_text("慰问", exact=True).click()
    expect(page.locator("#gifts")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    shot(page, "11a-log-visit-gifts-phone")
    page.get_by_text("访民问暖", exact=True).click()
    expect(page.get_by_role("radio", name="访民问暖")).to_be_checked()
    expect(page.locator("#gifts")).to_be_hidden()
    page.get_by_label("走访情况").fill("陪老人聊天，血压正常，叮嘱天冷添衣")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    shot(page, "11-log-visit-phone")

    page.get_by_role("button", name="保存走访记录").click()
    expect(page).to_have_url(re.compile(r"/visits/due/$"))
    expect(page.get_by_role("alert")).to_have_text("已记录对 苏秀兰 的走访。")
    expect(page.locator(".due-row", has_text="苏秀兰")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    shot(page, "12-after-visit-phone")

    # The household file lists the new visit first, with the schedule moved on a week.
    page.goto(f"{live_server.url}/residents/households/{su.household_id}/")
    history = page.locator(".visit-history li")
    expect(history.first).to_contain_text(f"{timezone.localdate():%Y-%m-%d} · 访民问暖")
    next_due = timezone.localdate() + datetime.timedelta(days=7)
    expect(page.locator("[data-schedule]")).to_have_text(f"间隔 7 天，下次应访 {next_due:%Y-%m-%d}")
    page.get_by_role("heading", name="走访记录").scroll_into_view_if_needed()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    shot(page, "13-household-visits-phone")

    # The visit's own page: the author may still change it today.
    history.first.get_by_role("link").click()
    expect(page.get_by_role("heading", name="访民问暖")).to_be_visible()
    expect(page.get_by_role("link", name="修改")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    shot(page, "14-visit-detail-phone")

    visit = Visit.objects.filter(household=su.household).order_by("-created_at").first()
    assert Visit.objects.filter(household=su.household).count() == visits_before + 1
    assert (visit.kind, visit.notes, visit.author.username) == (
        "wellbeing",
        "陪老人聊天，血压正常，叮嘱天冷添衣",
        "worker",
    )
    assert [r.name for r in visit.residents_met.all()] == ["苏秀兰"]
