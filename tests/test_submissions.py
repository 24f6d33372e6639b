"""A create form sent twice saves once (issue 14, finding 7): a double tap or a resend of the visit form,
a patrol, an intake, a consultation round, a household or a resident makes one record, and the second
press is sent to the record already saved."""

import datetime
import random
import re
import threading

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, Meeting
from common.synthetic import make_id_number
from residents.models import Household, Resident
from tests.factories import BuildingFactory, HouseholdFactory, ResidentFactory, case_in
from visits.models import Patrol, Visit

ALREADY = "已保存，未重复登记。"


def _minute(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def _an_hour_ago() -> str:
    return _minute(timezone.now() - datetime.timedelta(hours=1))


def _token(client, url: str) -> str:
    """The one-time token the form carries when it is drawn."""
    page = client.get(url).content.decode()
    found = re.search(r'name="submission_token" value="([0-9a-f-]{36})"', page)
    assert found, "the form carries no submission token"
    return found.group(1)


def _visit(household, worker, token):
    return {
        "visited_at": _an_hour_ago(),
        "kind": "wellbeing",
        "condition": "normal",
        "visitors": [str(worker.pk)],
        "gifts-TOTAL_FORMS": "0",
        "gifts-INITIAL_FORMS": "0",
        "submission_token": token,
    }


def _sent_twice(client, url, data):
    first = client.post(url, data)
    second = client.post(url, data)
    assert first.status_code == 302, first.content.decode()[:3000]
    return first, second


def _said_already_saved(response) -> bool:
    return ALREADY in [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.django_db
def test_a_visit_form_sent_twice_saves_one_visit_and_shows_it(client, grid, worker):
    household = HouseholdFactory(dwelling__building__grid=grid)
    client.force_login(worker)
    url = reverse("visits:new") + f"?household={household.pk}"

    _first, second = _sent_twice(client, url, _visit(household, worker, _token(client, url)))

    visit = Visit.objects.get(household=household)
    assert second.status_code == 302
    assert second["Location"] == reverse("visits:detail", args=[visit.pk])
    assert _said_already_saved(second)


@pytest.mark.django_db
def test_two_forms_drawn_apart_save_two_visits(client, grid, worker):
    household = HouseholdFactory(dwelling__building__grid=grid)
    client.force_login(worker)
    url = reverse("visits:new") + f"?household={household.pk}"

    client.post(url, _visit(household, worker, _token(client, url)))
    client.post(url, _visit(household, worker, _token(client, url)))

    assert Visit.objects.filter(household=household).count() == 2


@pytest.mark.django_db
def test_a_patrol_sent_twice_saves_one_patrol(client, grid, worker):
    client.force_login(worker)
    url = reverse("visits:patrol_new")
    data = {
        "grid": str(grid.pk),
        "started_at": _an_hour_ago(),
        "route": "靖远路9号—11号",
        "findings-TOTAL_FORMS": "1",
        "findings-INITIAL_FORMS": "0",
        "findings-0-location": "靖远路9号东侧",
        "findings-0-description": "下水道堵塞",
        "submission_token": _token(client, url),
    }

    _first, second = _sent_twice(client, url, data)

    patrol = Patrol.objects.get()
    assert patrol.findings.count() == 1
    assert second["Location"] == reverse("visits:patrol_detail", args=[patrol.pk])
    assert _said_already_saved(second)


@pytest.mark.django_db
def test_an_intake_sent_twice_registers_one_case(client, grid, staff):
    client.force_login(staff)
    url = reverse("cases:new")
    data = {
        "channel": "walk_in",
        "requester_mode": "named",
        "requester_name": "赵女士",
        "grid": str(grid.pk),
        "category": "邻里纠纷",
        "description": "热水器被碰倒。",
        "accept_now": "on",
        "duplicate_choice": "",
        "submission_token": _token(client, url),
    }

    _first, second = _sent_twice(client, url, data)

    case = Case.objects.get()
    assert second["Location"] == reverse("cases:detail", args=[case.pk])
    assert _said_already_saved(second)


@pytest.mark.django_db
def test_a_consultation_round_sent_twice_is_recorded_once(client, grid, staff, worker):
    case = case_in("in_consultation", grid, staff=staff, worker=worker)
    client.force_login(worker)
    url = reverse("cases:meeting_new", args=[case.pk])
    data = {
        "expected_status": "in_consultation",
        "held_at": _an_hour_ago(),
        "place": "社区议事厅",
        "chair": "孙调解员",
        "question": "热水器如何赔偿",
        "minutes": "双方各执一词。",
        "outcome": "none",
        "participants-TOTAL_FORMS": "2",
        "participants-INITIAL_FORMS": "0",
        "participants-0-role": "requester",
        "participants-0-name": "赵女士",
        "participants-1-role": "other_party",
        "participants-1-name": "钱师傅",
        "terms-TOTAL_FORMS": "0",
        "terms-INITIAL_FORMS": "0",
        "submission_token": _token(client, url),
    }

    _first, second = _sent_twice(client, url, data)

    assert Meeting.objects.filter(case=case).count() == 1
    assert second["Location"] == reverse("cases:detail", args=[case.pk])
    assert _said_already_saved(second)


@pytest.mark.django_db
def test_a_household_sent_twice_opens_one_file(client, grid, staff):
    building = BuildingFactory(grid=grid)
    client.force_login(staff)
    url = reverse("residents:household_create")
    data = {"building": str(building.pk), "unit": "2", "room": "301", "submission_token": _token(client, url)}

    _first, second = _sent_twice(client, url, data)

    household = Household.objects.get(dwelling__building=building)
    assert second["Location"] == reverse("household_file", args=[household.pk])
    assert _said_already_saved(second)


@pytest.mark.django_db
def test_a_resident_sent_twice_is_registered_once(client, grid, staff):
    household = HouseholdFactory(dwelling__building__grid=grid)
    ResidentFactory(household=household, relation_to_head="head")
    client.force_login(staff)
    url = reverse("residents:resident_create", args=[household.pk])
    data = {
        "name": "王芳",
        "sex": "female",
        "birth_date": "1990-01-01",
        "id_number": make_id_number(datetime.date(1990, 1, 1), False, random.Random(7)),
        "phone": "",
        "relation_to_head": "spouse",
        "political_status": "masses",
        "residence_type": "registered",
        "submission_token": _token(client, url),
    }

    _first, second = _sent_twice(client, url, data)

    assert Resident.objects.filter(household=household, name="王芳").count() == 1
    assert second["Location"] == reverse("household_file", args=[household.pk])
    assert _said_already_saved(second)


# --- the same form sent twice at the same moment -----------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_visit_form_sent_twice_at_once_saves_one_visit(grid, worker):
    """Two requests in two threads, each with its own PostgreSQL connection, start together."""
    household = HouseholdFactory(dwelling__building__grid=grid)
    url = reverse("visits:new") + f"?household={household.pk}"
    setup = Client()
    setup.force_login(worker)
    data = _visit(household, worker, _token(setup, url))
    barrier = threading.Barrier(2, timeout=15)
    answers: list = []

    def press() -> None:
        try:
            client = Client()
            client.force_login(worker)
            barrier.wait()
            response = client.post(url, data)
            answers.append((response.status_code, response["Location"], _said_already_saved(response)))
        except Exception as error:  # handed to the test, not lost with the thread
            answers.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=press) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    visit = Visit.objects.get(household=household)
    detail = reverse("visits:detail", args=[visit.pk])
    assert sorted(answers, key=str) == sorted(
        [(302, reverse("visits:due"), False), (302, detail, True)], key=str
    )
