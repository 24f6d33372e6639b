"""The bell in the top bar loads its count after the page (htmx). When its request is answered by sending
the user to sign in again (the session ended while the page stood open), the window goes to the sign-in
page, to come back to the page afterwards, instead of drawing the sign-in page where the bell stands."""

import pytest
from playwright.sync_api import expect

from grids.models import Role
from tests.factories import GridFactory, UserFactory, assign

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Qiao-lu-2026-xu"


def test_the_bell_loads_and_an_ended_session_goes_to_the_sign_in_page(live_server, page, chinese_font):
    assign(UserFactory(username="gw-bell", password=PASSWORD), Role.GRID_WORKER, GridFactory())
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("gw-bell")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="我的工作台")).to_be_visible()
    # Loaded: the bell no longer asks (its hx-get is gone once the answer is drawn).
    expect(page.locator("a.portal-bell[hx-get]")).to_have_count(0)
    expect(page.locator("a.portal-bell")).to_have_count(1)

    page.context.clear_cookies()  # the session ends while the page stays open
    page.evaluate("htmx.ajax('GET', '/notifications/bell/', {target: 'a.portal-bell', swap: 'outerHTML'})")
    # Signed in again, the user comes back to the workbench, not to the bell's fragment.
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=%2F")
    expect(page.get_by_role("button", name="登录")).to_be_visible()
    assert page.locator("form[action='/accounts/login/']").count() <= 1
