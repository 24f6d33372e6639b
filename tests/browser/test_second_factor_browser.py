"""A grid worker's first sign-in with the second factor required, on a phone: the password, then the
enrolment (QR code drawn on the server, the secret as text), a code from the authenticator, ten backup
codes shown once, then her workbench. Screenshots 40-42."""

from base64 import b32decode

import pytest
from django_otp.oath import totp
from playwright.sync_api import expect

from grids.models import Role
from tests.factories import GridFactory, UserFactory, assign

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_first_sign_in_enrols_an_authenticator(live_server, page, shot, chinese_font, settings):
    settings.PORTAL_OTP_REQUIRED = True  # as deployed (the other browser tests run as the demo)
    assign(UserFactory(username="gw-otp", password="Qiao-lu-2026-xu"), Role.GRID_WORKER, GridFactory())
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("gw-otp")
    page.get_by_label("密码").fill("Qiao-lu-2026-xu")
    page.get_by_role("button", name="登录").click()

    expect(page.get_by_role("heading", name="启用两步验证")).to_be_visible()
    expect(page.locator(".portal-qr svg")).to_be_visible()
    shot(page, "40-enrol-phone")
    secret = page.get_by_test_id("secret").inner_text().replace(" ", "")
    page.get_by_label("验证码").fill(f"{totp(b32decode(secret)):06d}")
    page.get_by_role("button", name="确认绑定").click()

    expect(page.get_by_role("heading", name="备用码")).to_be_visible()
    expect(page.get_by_test_id("backup-codes").locator("li")).to_have_count(10)
    shot(page, "41-backup-codes-phone")
    page.get_by_role("link", name="我已保存，继续").click()
    expect(page.get_by_role("heading", name="我的工作台")).to_be_visible()
    shot(page, "42-workbench-after-enrolment-phone")
    assert errors == []
