"""On a phone: `staff` creates an activity, signs two volunteers up, takes attendance on the day, and
each volunteer's page shows the new hours (issue 16, Done means)."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from grids.models import Community
from tooling.demo import DEMO_PASSWORD
from volunteers.models import ActivitySignUp, Volunteer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_WIDTH = 375


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH


def test_staff_creates_an_activity_signs_two_up_takes_attendance_and_hours_show(
    live_server, page, shot, chinese_font
):
    call_command("load_demo", verbosity=0)
    community = Community.objects.get(name="金城关社区")
    one = Volunteer.objects.create(community=community, name="韩雪梅", phone="13919320001", skills=["escort"])
    two = Volunteer.objects.create(community=community, name="鲁建军", phone="13919320002", skills=["repair"])
    start = timezone.localtime().replace(second=0, microsecond=0) - datetime.timedelta(hours=1)

    page.goto(f"{live_server.url}/")
    page.get_by_label("用户名").fill("staff")
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()

    page.get_by_role("button", name="菜单").click()
    page.get_by_role("link", name="志愿服务").click()
    # The navigation waited for with the page's own timeout (30 s): the heading's 5 s ran out once while the
    # desk, the page the menu was opened on, was still showing under a full test run's load.
    page.wait_for_url("**/volunteers/activities/")
    expect(page.get_by_role("heading", name="志愿服务活动")).to_be_visible()
    page.get_by_role("link", name="发布活动").click()
    page.get_by_label("活动名称").fill("楼院清洁志愿服务")
    page.get_by_label("开始时间").fill(start.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("结束时间").fill((start + datetime.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("地点").fill("金城关社区广场")
    page.get_by_label("招募人数").fill("2")
    _fits(page)
    shot(page, "activity-01-new-phone")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("heading", name="楼院清洁志愿服务")).to_be_visible()

    for volunteer in (one, two):
        page.get_by_label("志愿者").select_option(label=volunteer.name)
        page.get_by_role("button", name="报名", exact=True).click()
        expect(page.locator("#sign-ups")).to_contain_text(volunteer.name)
    expect(page.get_by_text("已报满")).to_be_visible()
    _fits(page)
    shot(page, "activity-02-signed-up-phone")

    page.get_by_role("link", name="签到", exact=True).click()
    expect(page.get_by_role("heading", name="签到与服务时长")).to_be_visible()
    page.get_by_label("韩雪梅", exact=True).check()
    page.get_by_label("鲁建军", exact=True).check()
    page.get_by_label("鲁建军 的服务时长").fill("1.5")
    _fits(page)
    shot(page, "activity-03-attendance-phone")
    page.get_by_role("button", name="提交签到").click()
    expect(page.get_by_text("签到已保存：2 人到场。")).to_be_visible()

    rows = ActivitySignUp.objects.filter(activity__title="楼院清洁志愿服务").select_related("volunteer")
    assert {row.volunteer.name: row.hours for row in rows} == {
        "韩雪梅": 3,
        "鲁建军": 1.5,
    }
    year = str(start.year)
    for volunteer, hours in ((one, "3.00"), (two, "1.50")):
        page.goto(f"{live_server.url}/volunteers/{volunteer.pk}/")
        expect(page.locator("#hours-by-year")).to_contain_text(year)
        expect(page.locator("#hours-by-year .hours")).to_have_text(hours)
        _fits(page)
        shot(page, f"activity-04-volunteer-{volunteer.pk}-phone")
