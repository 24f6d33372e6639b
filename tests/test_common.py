import datetime
import zoneinfo
from urllib.parse import quote

import pytest
from django.contrib.messages import get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.test import RequestFactory

from common import dates
from common.views import export_response

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def test_day_bounds_are_local_midnights_around_the_days():
    start, end = dates.day_bounds(datetime.date(2026, 3, 1), datetime.date(2026, 3, 31))
    assert start == datetime.datetime(2026, 3, 1, tzinfo=SHANGHAI)
    assert end == datetime.datetime(2026, 4, 1, tzinfo=SHANGHAI)
    assert start.astimezone(datetime.UTC) == datetime.datetime(2026, 2, 28, 16, tzinfo=datetime.UTC)


def test_day_bounds_leave_a_missing_end_open():
    assert dates.day_bounds(None, None) == (None, None)
    assert dates.day_bounds(None, datetime.date(2026, 12, 31)) == (
        None,
        datetime.datetime(2027, 1, 1, tzinfo=SHANGHAI),
    )


def test_local_now_to_the_minute_drops_seconds(monkeypatch):
    now = datetime.datetime(2026, 5, 4, 23, 59, 59, 999, tzinfo=datetime.UTC)
    monkeypatch.setattr(dates.timezone, "now", lambda: now)
    assert dates.local_now_to_the_minute() == datetime.datetime(2026, 5, 5, 7, 59, tzinfo=SHANGHAI)


@pytest.mark.parametrize("day", [datetime.date(2026, 1, 1), datetime.date(2026, 6, 30)])
def test_day_end_is_the_next_day_start(day):
    assert dates.day_end(day) == dates.day_start(day + datetime.timedelta(days=1))


class _TooLarge(Exception):
    def __init__(self, row_count: int):
        super().__init__(row_count)
        self.row_count = row_count


class _Export:
    content = b"sheet"


def _export(query: dict, build, filters="filters"):
    request = RequestFactory().get("/export", query)
    request._messages = CookieStorage(request)
    response = export_response(
        request,
        filters=filters,
        build=build,
        too_large=_TooLarge,
        too_large_message="%(count)s > %(max)s",
        max_rows=2,
        back="/list",
        drop=("full",),
        filename="台账",
        fallback="ledger",
    )
    return response, [str(m) for m in get_messages(request)]


def test_export_response_serves_the_built_sheet_under_a_dated_name(monkeypatch):
    monkeypatch.setattr(
        dates.timezone, "now", lambda: datetime.datetime(2026, 3, 31, 17, tzinfo=datetime.UTC)
    )
    built = []
    response, notes = _export({"q": "王"}, lambda filters: built.append(filters) or _Export())
    assert built == ["filters"]
    assert response.content == b"sheet"
    assert response["Content-Disposition"] == (
        "attachment; filename=\"ledger-20260401.xlsx\"; filename*=UTF-8''" + quote("台账-20260401.xlsx")
    )
    assert notes == []


def test_export_response_sends_a_wrong_filter_back_to_the_list_unbuilt():
    def build(filters):
        raise AssertionError("built")

    response, notes = _export({"date_to": "2026-13-40"}, build, filters=None)
    assert response["Location"] == "/list?date_to=2026-13-40"
    assert notes == ["筛选条件有误，请更正后再导出。"]


def test_export_response_sends_a_too_large_export_back_without_the_dropped_parameters():
    def build(filters):
        raise _TooLarge(3)

    response, notes = _export({"q": "王", "full": "1"}, build)
    assert response["Location"] == "/list?q=%E7%8E%8B"
    assert notes == ["3 > 2"]


@pytest.mark.django_db
def test_any_lookup_finds_the_rows_of_a_list_of_ids_sent_as_one_array():
    from django.db import connection

    from grids.models import Grid
    from residents.models import Household
    from tests.factories import GridFactory, HouseholdFactory

    a, b, c = GridFactory(), GridFactory(), GridFactory()
    household = HouseholdFactory(dwelling__building__grid=b)
    assert set(Grid.objects.filter(pk__any=[a.pk, b.pk, b.pk])) == {a, b}
    assert list(Grid.objects.filter(pk__any=[])) == []
    assert list(Household.objects.filter(grid_id__any=[b.pk, c.pk])) == [household]
    assert list(Household.objects.filter(grid__any=[a.pk])) == []
    sql, params = Household.objects.filter(grid_id__any=[c.pk, b.pk]).query.sql_with_params()
    if connection.vendor == "postgresql":  # one parameter: the array in PostgreSQL's text form
        assert "= ANY(%s::bigint[])" in sql and f"{{{min(b.pk, c.pk)},{max(b.pk, c.pk)}}}" in params
    else:
        assert "IN (%s, %s)" in sql


@pytest.mark.django_db
def test_any_lookup_takes_its_ids_from_a_subquery_run_once_first():
    from django.db import connection

    from grids.models import Grid
    from residents.models import Household
    from tests.factories import GridFactory, HouseholdFactory

    GridFactory()  # a grid without households: not among the subquery's ids
    b, c = GridFactory(), GridFactory()
    HouseholdFactory(dwelling__building__grid=b)
    HouseholdFactory(dwelling__building__grid=c)
    with_households = Household.objects.filter(grid__in=[b, c]).values("grid_id").order_by()
    found = Grid.objects.filter(pk__any=with_households)
    assert set(found) == {b, c}
    assert set(Grid.objects.filter(pk__any=with_households, code=b.code)) == {b}
    assert list(Grid.objects.filter(pk__any=Household.objects.none().values("grid_id"))) == []
    sql = str(found.query)
    assert ("= ANY(ARRAY(SELECT" if connection.vendor == "postgresql" else "IN (SELECT") in sql


# --- Pagination (common.pagination) ---------------------------------------------------------------


@pytest.fixture
def five_streets(db):
    from tests.factories import StreetFactory

    return [StreetFactory(name=f"街道{n}") for n in range(5)]


def test_a_capped_count_stops_at_the_cap_and_counts_without_ordering(five_streets, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from common import pagination
    from grids.models import Street

    monkeypatch.setattr(pagination, "COUNT_CAP", 3)
    capped = pagination.CappedPaginator(Street.objects.order_by("-name"), 2)
    with CaptureQueriesContext(connection) as queries:
        assert capped.count == 4  # the cap and one more: "3+"
    assert capped.capped
    # Any four rows count the same: the count does not ask the database for the list's order.
    assert "ORDER BY" not in queries.captured_queries[0]["sql"]
    # The pages still follow the list's order.
    assert [street.name for street in capped.page(1)] == ["街道4", "街道3"]
    under = pagination.CappedPaginator(Street.objects.order_by("name").filter(name__lt="街道2"), 2)
    assert (under.count, under.capped) == (2, False)
    # A list already cut short keeps its own order and cut.
    sliced = pagination.CappedPaginator(Street.objects.order_by("name")[1:3], 2)
    assert (sliced.count, sliced.capped) == (2, False)
