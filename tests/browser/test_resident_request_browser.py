"""A resident's own request on a phone, from a building's poster to their rating: they scan the poster's
link, raise a request with a photo and keep the tracking link; the desk accepts it, the grid worker takes
and resolves it; the resident sees the result on the tracking page and rates it there. Screenshots at each
step (test-artifacts/screenshots/resident-*.png)."""

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from cases.models import Case, Channel, Status
from grids.models import Role
from public import services
from tests.browser.test_case_flow import act, log_in
from tests.factories import BuildingFactory, GridFactory, UserFactory, assign
from tooling.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _photo(tmp_path):
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "orange").save(buffer, format="JPEG")
    path = tmp_path / "楼道.jpg"
    path.write_bytes(buffer.getvalue())
    return path


def test_a_resident_raises_follows_and_rates_a_request(live_server, page, shot, chinese_font, tmp_path):
    grid = GridFactory(name="金城关第一网格")
    building = BuildingFactory(grid=grid, address="靖远路9号")
    assign(
        UserFactory(username="desk-li", first_name="李娟", password=DEMO_PASSWORD),
        Role.COMMUNITY_STAFF,
        grid.community,
    )
    assign(UserFactory(username="gw-ma", first_name="马晓燕", password=DEMO_PASSWORD), Role.GRID_WORKER, grid)
    poster = services.place_link_for(grid=grid, building=building)
    base = live_server.url

    # 1. The resident scans the building's poster: no account, the building already filled in.
    page.goto(f"{base}/q/r/{poster.code}/")
    expect(page.get_by_text("靖远路9号")).to_be_visible()
    page.get_by_label("反映什么事").select_option(label="环境卫生")
    page.get_by_label("问题描述").fill("2单元楼道堆满纸箱，晚上看不见路。")
    page.get_by_label("照片").set_input_files(str(_photo(tmp_path)))
    page.get_by_label("您的称呼").fill("王女士")
    page.locator("#id_phone").fill("13912345678")
    shot(page, "resident-1-form")
    page.get_by_role("button", name="提交").click()
    # Forgot to consent: told so, with what was typed kept (the photo must be chosen again, and is).
    expect(page.get_by_text("请勾选同意后再提交")).to_be_visible()
    expect(page.get_by_label("问题描述")).to_have_value("2单元楼道堆满纸箱，晚上看不见路。")
    expect(page.get_by_text("未保存，请重新选择")).to_be_visible()
    page.get_by_label("照片").set_input_files(str(_photo(tmp_path)))
    page.get_by_label("我同意社区为办理本诉求使用我的称呼和联系电话。").check()
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("heading", name="已提交，社区将尽快受理")).to_be_visible()
    shot(page, "resident-2-raised")
    track_url = page.locator("#track-link").get_attribute("href")
    case = Case.objects.get()
    assert (case.channel, case.status, case.building_id, case.attachments.count()) == (
        Channel.ONLINE,
        Status.SUBMITTED,
        building.pk,
        1,
    )

    page.goto(track_url)
    expect(page.locator("#stage")).to_have_text("已提交")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    # 2. The desk finds it on its desk and accepts it, sending it to the grid.
    log_in(page, base, "desk-li")
    page.goto(f"{base}/cases/desk/")
    page.get_by_role("link", name=case.number).first.click()
    act(page, "受理派单")
    expect(page.locator(".alert-success")).to_contain_text("受理派单")

    # 3. The grid worker takes it and resolves it.
    log_in(page, base, "gw-ma")
    page.goto(f"{base}/cases/{case.pk}/")
    page.get_by_role("button", name="接单").click()
    expect(page.locator(".alert-success")).to_contain_text("接单")
    act(page, "办结", "已清理楼道纸箱，并提醒住户不要在楼道堆放杂物。")
    # Wait for the answer: a response still in flight would set the worker's cookies again after they
    # are cleared, and the resident's form would then carry a token from another session.
    expect(page.locator(".alert-success")).to_contain_text("办结")

    # 4. The resident sees the result and rates it: counted as the desk's follow-up call.
    page.context.clear_cookies()
    page.goto(track_url)
    expect(page.locator("#stage")).to_have_text("已办结，请评价")
    expect(page.get_by_text("已清理楼道纸箱")).to_be_visible()
    expect(page.get_by_text("马晓燕")).to_have_count(0)  # never a staff member's name
    shot(page, "resident-3-resolved")
    rate = page.locator("#rate")
    rate.get_by_label("已解决").check()
    rate.get_by_label("满意", exact=True).check()
    rate.get_by_label("您的意见（选填）").fill("很快就处理了，谢谢。")
    rate.get_by_role("button", name="提交评价").click()
    expect(page.get_by_text("感谢您的评价。").first).to_be_visible()
    expect(page.locator("#rate")).to_have_count(0)
    shot(page, "resident-4-rated")
    case.refresh_from_db()
    assert (case.status, case.follow_up_resolved, case.satisfaction) == (Status.RESOLVED, True, "satisfied")
