"""404, 403 and the expired-form page in the portal's layout, menu and language (issue 15, item 1)."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import HouseholdFactory

pytestmark = pytest.mark.django_db


def _has_the_layout(response) -> bool:
    page = response.content.decode()
    return 'class="navbar-nav me-auto"' in page and reverse("visits:due") in page


def test_a_record_out_of_scope_answers_the_portals_404(client, worker, other_grid):
    client.force_login(worker)
    household = HouseholdFactory(dwelling__building__grid=other_grid)
    response = client.get(reverse("household_file", args=[household.pk]))
    assert response.status_code == 404
    assert _has_the_layout(response)
    assert "不在您负责的范围内" in response.content.decode()


def test_a_page_the_role_may_not_use_answers_the_portals_403(client, building_head):
    client.force_login(building_head)
    response = client.get(reverse("audit:list"))
    assert response.status_code == 403
    assert _has_the_layout(response)
    assert "您的岗位不能打开此页面" in response.content.decode()


def test_the_error_pages_speak_the_users_language(client, building_head):
    client.force_login(building_head)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    response = client.get(reverse("audit:list"))
    assert response.status_code == 403
    assert '<html lang="en">' in response.content.decode()
    assert "No permission" in response.content.decode()
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404 and "Page not found" in missing.content.decode()


def test_an_expired_form_says_so_and_nothing_is_saved(worker, grid):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(worker)
    response = browser.post(reverse("residents:household_create"), {"note": "x"})
    assert response.status_code == 403
    assert "页面已过期" in response.content.decode()
    assert _has_the_layout(response)
