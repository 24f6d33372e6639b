"""Every role's main pages on a 375-px phone, in Chinese and in English (issue 15, item 7).

None scrolls sideways, and its text meets WCAG 2.1 AA contrast (4.5:1; 3:1 for large text) as axe-core
measures it. The screenshots are kept in test-artifacts/screenshots for a person to look at.
"""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from cases.models import Meeting
from cases.selectors import cases_for_user
from cases.views_meetings import AGREEMENT_OUTCOMES
from tooling.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_WIDTH = 375
User = get_user_model()


def _sign_in(page, base: str, username: str, language: str) -> None:
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "django_language", "value": language, "url": base}])
    page.goto(f"{base}/accounts/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_load_state()


def _contrast_failures(page) -> list[str]:
    results = Axe().run(page, options={"runOnly": ["color-contrast"], "resultTypes": ["violations"]})
    return [
        f"{node['target']}: {node['any'][0]['message']}"
        for violation in results.response["violations"]
        for node in violation["nodes"]
    ]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_main_pages_fit_a_phone_and_read_clearly(live_server, page, shot, chinese_font, language):
    call_command("load_demo", verbosity=0)
    # The demo's consultation meetings are 草场街社区's, whose desk is ccj_staff.
    meeting = Meeting.objects.get(
        case__in=cases_for_user(User.objects.get(username="ccj_staff")), outcome__in=AGREEMENT_OUTCOMES
    )
    tour = [
        ("worker", "/", "workbench"),
        ("worker", reverse("visits:due"), "due-visits"),
        ("staff", reverse("cases:desk"), "desk"),
        ("staff", reverse("notifications:list"), "notifications"),
        ("staff", reverse("cases:list"), "case-list"),
        ("leader", reverse("dashboard:index"), "dashboard"),
        ("leader", reverse("dashboard:report"), "monthly-report"),
        ("street", reverse("cases:street_inbox"), "street-inbox"),
        ("leader", reverse("dashboard:workload"), "workload"),
        ("ccj_staff", reverse("cases:agreement", args=[meeting.pk]), "agreement"),
    ]
    assert _problems(page, shot, live_server.url, language, tour) == []


def _problems(page, shot, base, language, tour) -> list[str]:
    problems = []
    signed_in = None
    for username, path, name in tour:
        if username != signed_in:
            _sign_in(page, base, username, language)
            signed_in = username
        response = page.goto(base + path)
        assert response is not None and response.status == 200, (name, response and response.status)
        page.wait_for_load_state("networkidle")
        shot(page, f"tour-{name}-{language}-phone")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE_WIDTH:
            problems.append(f"{name}: {width} px wide")
        problems.extend(f"{name}: {failure}" for failure in _contrast_failures(page))
    return problems


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_longest_menus_fit_a_desktop_and_a_tablet(live_server, page, chinese_font, language):
    call_command("load_demo", verbosity=0)
    base = live_server.url
    for username in ("leader", "street", "staff"):
        _sign_in(page, base, username, language)
        for width in (768, 1024, 1280):
            page.set_viewport_size({"width": width, "height": 800})
            page.goto(f"{base}{reverse('grids:list')}")
            scroll = page.evaluate("document.documentElement.scrollWidth")
            assert scroll <= width, (username, width, scroll)
