"""One control character must not break an export, and logs print no personal data (issue 14, finding 5).

A name saved through a form with `\\x0b` (Word's line break, pasted) made the resident, visit and case
exports answer 500 for everyone, and the log printed the name.
"""

import datetime
import io
import logging
import random

import openpyxl
import pytest
from django import forms
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from common.forms import StyledFormMixin, without_control_characters
from common.logging import PersonalDataFilter, mask_personal_data
from common.synthetic import make_id_number
from residents.models import Resident
from tests.factories import HouseholdFactory, ResidentFactory, log_visit, register_case

pytestmark = pytest.mark.django_db

ID_NUMBER = "620102199001011234"
MOBILE = "13812345678"
NAME = "王芳"


class NoteForm(StyledFormMixin, forms.Form):
    name = forms.CharField()
    notes = forms.CharField(widget=forms.Textarea)


def test_forms_strip_control_characters_keeping_line_breaks_in_multiline_text():
    form = NoteForm({"name": "王\x00芳\x0b", "notes": "腿疼\x0b要送药\x07\r\n\t下周再来\x1f"})

    assert form.is_valid()
    assert form.cleaned_data == {"name": "王芳", "notes": "腿疼\n要送药\r\n\t下周再来"}


def test_single_line_text_turns_tabs_and_line_breaks_into_spaces():
    assert without_control_characters("靖远路\t9号\n1单元\x7f") == "靖远路 9号 1单元"


def test_a_name_with_a_control_character_is_saved_without_it(client, grid, staff):
    household = HouseholdFactory(dwelling__building__grid=grid)
    client.force_login(staff)
    data = {
        "name": "王\x1f芳\x0b",
        "sex": "female",
        "birth_date": "1990-01-01",
        "id_number": make_id_number(datetime.date(1990, 1, 1), False, random.Random(5)),
        "relation_to_head": "head",
        "residence_type": "registered",
        "political_status": "masses",
        "phone": "",
    }
    response = client.post(reverse("residents:resident_create", args=[household.pk]), data)

    assert response.status_code == 302, response.content.decode()[:2000]
    assert Resident.objects.get(household=household).name == "王芳"


def _sheet_texts(response) -> list:
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    return [value for row in workbook.active.iter_rows(values_only=True) for value in row]


@pytest.mark.parametrize("url", ["residents:ledger_export", "visits:export", "cases:export"])
def test_exports_clean_control_characters_stored_before(client, grid, staff, worker, url):
    # Rows saved before the forms cleaned text (or by a script): the exports still serve them.
    household = HouseholdFactory(dwelling__building__grid=grid)
    ResidentFactory(household=household, name="王\x0b芳")
    log_visit(household, worker, timezone.now() - datetime.timedelta(hours=1), notes="腿疼\x0b要送药\x01")
    register_case(grid, staff, description="=楼道\x0b堆放杂物\x02", address="靖远路\x0c9号")
    client.force_login(staff)

    response = client.get(reverse(url))

    assert response.status_code == 200
    texts = [value for value in _sheet_texts(response) if isinstance(value, str)]
    expected = {
        "residents:ledger_export": "王\n芳",
        "visits:export": "腿疼\n要送药",
        "cases:export": "=楼道\n堆放杂物",
    }[url]
    assert expected in texts
    assert not any(ch in text for text in texts for ch in "\x00\x01\x02\x0b\x0c")


def test_mask_personal_data_hides_id_numbers_and_phones_only():
    text = f"查找 {ID_NUMBER} 与 62010219900101123X、{MOBILE}、+86{MOBILE}、0931-8123456，工单 2026113000012"

    assert mask_personal_data(text) == (
        "查找 [ID number] 与 [ID number]、[phone]、[phone]、[phone]，工单 2026113000012"
    )


def test_a_log_message_with_an_id_number_and_a_phone_is_masked(caplog):
    logging.getLogger("residents.views").warning("search for %s by %s", ID_NUMBER, MOBILE)

    assert caplog.records[-1].getMessage() == "search for [ID number] by [phone]"
    assert ID_NUMBER not in caplog.text and MOBILE not in caplog.text


def test_a_server_error_logs_no_personal_text(caplog, monkeypatch, worker):
    """The configured handlers mask the record before any other handler (here caplog's) sees it."""

    def fails(user):
        raise ValueError(f"{NAME}\x0b cannot be used: {ID_NUMBER} {MOBILE}")

    monkeypatch.setattr("visits.views_records.selectors.patrols_for_user", fails)
    client = Client(raise_request_exception=False)
    client.force_login(worker)

    response = client.get(reverse("visits:patrols"), {"q": MOBILE})

    assert response.status_code == 500
    record = next(r for r in caplog.records if r.name == "django.request" and r.levelno == logging.ERROR)
    assert record.exc_info is None and not hasattr(record, "request")
    assert "ValueError: [value withheld" in caplog.text
    assert "patrols_for_user" in caplog.text  # the frames stay, to find the fault
    for personal in (NAME, ID_NUMBER, MOBILE):
        assert personal not in caplog.text


def test_every_handler_of_the_portal_carries_the_filter():
    handlers = [
        *logging.getLogger().handlers,
        *logging.getLogger("django.server").handlers,
        *logging.getLogger("portal.requests").handlers,  # the JSON request log (PORTAL_JSON_LOGS)
    ]
    configured = [h for h in handlers if type(h) is logging.StreamHandler]
    assert len(configured) == 3
    assert all(any(isinstance(f, PersonalDataFilter) for f in h.filters) for h in configured)
    assert logging.getLogger("django").handlers == []  # Django's unfiltered defaults are gone
