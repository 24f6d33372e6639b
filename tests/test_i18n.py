import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_chinese_by_default_even_for_an_english_browser(client, worker):
    client.force_login(worker)
    response = client.get(reverse("residents:search"), headers={"Accept-Language": "en-US,en;q=0.9"})
    assert "居民查询" in response.content.decode()


def test_english_once_chosen_in_the_menu(client, worker):
    client.force_login(worker)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = client.get(reverse("residents:search")).content.decode()
    assert "Resident search" in html
    assert "居民查询" not in html


def test_empty_choice_reads_in_chinese(client, worker, grid):
    from tests.factories import HouseholdFactory

    household = HouseholdFactory(dwelling__building__grid=grid)
    client.force_login(worker)
    html = client.get(reverse("residents:enrolment_create", args=[household.pk])).content.decode()
    assert "- 请选择 -" in html
    assert "Select an option" not in html
