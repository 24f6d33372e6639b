"""The request log (PORTAL_JSON_LOGS): one JSON line per request with its route, status, user id, query
count and time; never the query string, a name, a phone or an ID number. Its handler carries the log filter
like every other (tests/test_control_characters.py)."""

import io
import json
import logging

import pytest
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import path, reverse
from django.utils.functional import SimpleLazyObject

from portal import urls as portal_urls
from portal.middleware import RequestLogMiddleware
from tests.factories import ResidentFactory

pytestmark = pytest.mark.django_db


def _broken(request):
    raise RuntimeError("张三 13912345678 failed")  # a careless message, as an error's value may be


# The portal's URLs and one view that fails, for the 500 (ROOT_URLCONF points here in that test).
urlpatterns = [path("broken/", login_not_required(_broken), name="broken"), *portal_urls.urlpatterns]


def _json_lines_handler() -> logging.Handler:
    """The handler portal/settings.py's LOGGING gives the logger (pytest adds its own capturing ones)."""
    (handler,) = [h for h in logging.getLogger("portal.requests").handlers if h.name == "json_lines"]
    return handler


@pytest.fixture
def request_lines(settings):
    """The middleware installed as PORTAL_JSON_LOGS=true installs it, and what its configured handler
    (the one in portal/settings.py's LOGGING, with its filter) writes, as parsed lines."""
    settings.MIDDLEWARE = ["portal.middleware.RequestLogMiddleware", *settings.MIDDLEWARE]
    handler = _json_lines_handler()
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    handler.setStream(previous)


def _without_time(line: dict) -> dict:
    assert isinstance(line.pop("at"), str)
    assert line.pop("ms") >= 0
    return line


def test_a_search_is_logged_with_its_route_status_user_and_queries_and_nothing_it_searched(
    client, worker, grid, request_lines
):
    resident = ResidentFactory(household__dwelling__building__grid=grid)
    client.force_login(worker)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(
            reverse("residents:search"),
            {"q": resident.name, "phone": resident.phone, "id": resident.id_number},
        )

    assert response.status_code == 200
    (line,) = request_lines()
    assert _without_time(line) == {
        "method": "GET",
        "path": "/residents/",
        "view": "residents:search",
        "status": 200,
        "user": worker.pk,
        "queries": len(queries),
    }
    raw = json.dumps(line, ensure_ascii=False)
    for personal in (resident.name, resident.phone, resident.id_number, worker.first_name):
        assert personal not in raw


def test_a_record_outside_the_users_scope_is_logged_as_its_route_and_404(client, worker, request_lines):
    client.force_login(worker)

    response = client.get(reverse("cases:detail", args=[987654]))

    assert response.status_code == 404
    (line,) = request_lines()
    assert (line["path"], line["view"], line["status"], line["user"]) == (
        "/cases/<int:pk>/",
        "cases:detail",
        404,
        worker.pk,
    )


def test_an_unknown_url_is_logged_without_its_path(client, request_lines):
    response = client.get("/13912345678/张三/", {"phone": "13912345678"})

    assert response.status_code == 404
    (line,) = request_lines()
    assert _without_time(line) == {
        "method": "GET",
        "path": None,
        "view": None,
        "status": 404,
        "user": None,
        "queries": 0,
    }


def test_a_failing_view_is_logged_as_500_without_the_errors_text(settings, request_lines):
    settings.ROOT_URLCONF = __name__
    client = Client(raise_request_exception=False)

    response = client.get("/broken/", {"name": "张三"})

    assert response.status_code == 500
    (line,) = request_lines()
    assert _without_time(line) == {
        "method": "GET",
        "path": "/broken/",
        "view": "broken",
        "status": 500,
        "user": None,
        "queries": 0,
    }


def test_a_user_the_request_never_read_is_not_read_for_the_log(request_lines):
    """Reading it would cost queries after the response, or fail with the database down."""

    def unread_user():
        raise AssertionError("the log read a user the request had not")

    request = RequestFactory().get("/health/")
    request.user = SimpleLazyObject(unread_user)

    RequestLogMiddleware(lambda request: HttpResponse("ok"))(request)

    (line,) = request_lines()
    assert (line["status"], line["user"], line["path"]) == (200, None, None)
