"""The dashboard's period form always shows the period the figures are for (issue 15, item 1).

The page showed 本月 while its 统计时段 select showed 本周 with nothing selected, so changing only the scope
and pressing 统计 switched to this week without anyone asking.
"""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db


def _selected_period(response) -> list[str]:
    select = re.search(r'<select name="period".*?</select>', response.content.decode(), re.S)
    return re.findall(r'<option value="(\w*)" selected>', select.group(0))


def test_the_first_page_shows_this_month_in_the_form_and_the_figures(client, street_leader):
    client.force_login(street_leader)
    response = client.get(reverse("dashboard:index"))
    assert _selected_period(response) == ["month"]
    assert response.context["board"].period.first == timezone.localdate().replace(day=1)


def test_changing_only_the_scope_keeps_this_month(client, street_leader, grid):
    client.force_login(street_leader)
    response = client.get(reverse("dashboard:index"), {"scope": f"grid:{grid.pk}"})
    assert response.context["board"].scope.param == f"grid:{grid.pk}"
    assert _selected_period(response) == ["month"]
    assert response.context["board"].period.first == timezone.localdate().replace(day=1)
    assert "统计时段有误" not in response.content.decode()


def test_a_chosen_period_is_kept_when_the_scope_changes(client, street_leader, grid):
    client.force_login(street_leader)
    response = client.get(reverse("dashboard:index"), {"scope": f"grid:{grid.pk}", "period": "quarter"})
    assert _selected_period(response) == ["quarter"]
    today = timezone.localdate()
    assert response.context["board"].period.first == today.replace(
        month=(today.month - 1) // 3 * 3 + 1, day=1
    )
