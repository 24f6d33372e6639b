"""The linked 街道 → 社区 → 网格 selects in the browser: an administrator who sees both demo streets picks a
street, and the community and grid selects fill with its places only; a grid then narrows the residents.
Screenshots 40-41."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.test_case_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_choosing_a_street_then_a_grid_in_the_resident_search(live_server, page, shot, chinese_font):
    call_command("load_demo", verbosity=0)
    base = live_server.url
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, base, "admin")
    page.set_viewport_size(DESKTOP)
    page.goto(f"{base}/residents/")

    street, community, grid = page.get_by_label("街道"), page.get_by_label("社区"), page.get_by_label("网格")
    expect(community).to_be_disabled()
    expect(grid).to_be_disabled()
    expect(grid.locator("option")).to_have_count(1)  # no grid is offered before a community is chosen

    # 草场街街道 has one community: choosing the street lists it and, at once, its grids.
    street.select_option(label="草场街街道")
    expect(community).to_be_enabled()
    expect(community.locator("option:checked")).to_have_text("草场街社区")
    expect(grid.locator("option")).to_have_count(5)  # 全部网格 and CCJ-01..04
    expect(grid.locator("option", has_text="金城关")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"street=\d+"))
    grid_cells = page.locator("#results tbody tr td:nth-child(4)")
    expect(grid_cells.filter(has_not_text="草场街")).to_have_count(0)  # waits for the new results
    expect(grid_cells).not_to_have_count(0)
    shot(page, "40-place-filter-street-desktop")

    # One grid: every resident listed lives in it.
    grid.select_option(label="草场街第二网格 · CCJ-02")
    expect(page).to_have_url(re.compile(r"grid=\d+"))
    expect(grid_cells.filter(has_not_text="草场街第二网格")).to_have_count(0)
    expect(grid_cells).not_to_have_count(0)

    # Back to every street: the community and grid chosen under the old street are let go.
    street.select_option(label="全部街道")
    expect(community).to_be_disabled()
    expect(grid).to_be_disabled()
    expect(page.locator("#results").get_by_text(re.compile(r"共 .+ 条"))).to_be_visible()

    # On a phone the three selects stack and nothing is wider than the screen.
    page.set_viewport_size(PHONE)
    page.goto(f"{base}/residents/")
    page.get_by_label("街道").select_option(label="靖远路街道")
    expect(page.get_by_label("网格").locator("option")).to_have_count(5)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "41-place-filter-phone")
    assert errors == []
